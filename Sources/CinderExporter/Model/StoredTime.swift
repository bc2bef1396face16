/// A timestamp column as stored by Cinder: naive UTC, or NULL, or something
/// that is not a timestamp at all (SPEC §1: unparsable means "unknown", with
/// no fallback to another column).
public enum StoredTime: Sendable, Equatable {
    case null
    case invalid
    /// Microseconds since the Unix epoch, UTC.
    case micros(Int64)

    /// Cinder's `updated_at or created_at` (SPEC §1), for services and work
    /// alike; nil when it cannot be known. An unparsable `updated_at` does not
    /// fall back to `created_at`.
    public static func lastChange(updatedAt: StoredTime, createdAt: StoredTime) -> Int64? {
        switch updatedAt {
        case .micros(let value): return value
        case .invalid: return nil
        case .null:
            if case .micros(let value) = createdAt { return value }
            return nil
        }
    }
}

/// Converts between civil UTC dates and microseconds since the epoch without
/// Foundation or the process's time zone: stored times are UTC whatever `TZ` says.
public enum UTCTime {
    public static let microsPerSecond: Int64 = 1_000_000

    /// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The civil date for a day count since 1970-01-01.
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func isLeapYear(_ year: Int64) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Microseconds since the epoch for a validated civil date and time, or nil
    /// when any field is out of range (MySQL's zero date `0000-00-00` included).
    public static func micros(
        year: Int64, month: Int64, day: Int64,
        hour: Int64, minute: Int64, second: Int64, microsecond: Int64
    ) -> Int64? {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= daysInMonth(year: year, month: month),
              (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              (0...999_999).contains(microsecond)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
        return seconds * microsPerSecond + microsecond
    }

    /// Parses exactly `YYYY-MM-DD HH:MM:SS[.f{1,6}]`, the text SQLAlchemy stores
    /// under SQLite. Anything else is `.invalid`.
    public static func parse<Bytes: Collection<UInt8>>(_ text: Bytes) -> StoredTime {
        if let parsed = text.withContiguousStorageIfAvailable(parse(contiguous:)) { return parsed }
        return Array(text).withUnsafeBufferPointer(parse(contiguous:))
    }

    /// Fixed positions, no allocation: this runs for three columns of every
    /// row on every scrape.
    private static func parse(contiguous text: UnsafeBufferPointer<UInt8>) -> StoredTime {
        // Either no fraction (19 bytes) or a dot followed by 1...6 digits.
        guard text.count == 19 || (21...26).contains(text.count),
              text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: " "),
              text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"),
              text.count == 19 || text[19] == UInt8(ascii: ".")
        else { return .invalid }
        /// The number in text[start..<end], nil unless all digits.
        func number(_ start: Int, _ end: Int) -> Int64? {
            var value: Int64 = 0
            for index in start..<end {
                guard let d = digit(text[index]) else { return nil }
                value = value * 10 + d
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 7), let day = number(8, 10),
              let hour = number(11, 13), let minute = number(14, 16), let second = number(17, 19),
              var fraction = text.count == 19 ? 0 : number(20, text.count)
        else { return .invalid }
        for _ in max(text.count - 20, 0)..<6 { fraction *= 10 }
        guard let value = micros(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            microsecond: fraction
        ) else { return .invalid }
        return .micros(value)
    }

    @inline(__always)
    private static func digit(_ byte: UInt8) -> Int64? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int64(byte - UInt8(ascii: "0")) : nil
    }

    /// Naive-UTC ISO 8601 with microseconds, as `cinder service-list -f json`
    /// shows it: `YYYY-MM-DDTHH:MM:SS.ffffff`.
    public static func isoString(micros: Int64) -> String {
        var seconds = micros / microsPerSecond
        var fraction = micros % microsPerSecond
        if fraction < 0 { fraction += microsPerSecond; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = civilFromDays(days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T"
            + "\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))"
            + ".\(pad(fraction, 6))"
    }
}

extension UTCTime {
    /// UTC ISO 8601 to the second with the zone, for people: `2026-11-30T09:39:16Z`
    /// (the landing page's time of the read, the demo's log lines).
    public static func isoSeconds(micros: Int64) -> String {
        var floored = micros / microsPerSecond
        if micros % microsPerSecond < 0 { floored -= 1 }
        return String(isoString(micros: floored * microsPerSecond).prefix(19)) + "Z"
    }
}
