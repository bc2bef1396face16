import CinderExporter

/// `UTCTime.parse`: timestamp columns as SQLite stores them (SPEC §1), read
/// for three columns of every row. A parsed time must print back (ISO 8601,
/// microseconds) as the input with its fraction padded to six digits, and
/// `UTCTime.micros` must agree with it.
enum StoredTimeFuzz {
    static let name = "stored-time"

    static let target = FuzzTarget(name: name, summary: "UTCTime.parse, UTCTime.micros, UTCTime.isoString") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        let parsed = UTCTime.parse(bytes)
        try check(UTCTime.parse(bytes[...]) == parsed, name, "contiguous and sliced input parsed differently")
        switch parsed {
        case .null:
            throw InvariantViolation(name, "parse returned .null (only a NULL column is null)")
        case .invalid:
            // Only the exact shape is accepted: 19 bytes, or 21...26 with a fraction.
            break
        case .micros(let micros):
            try check(bytes.count == 19 || (21...26).contains(bytes.count), name, "accepted a timestamp of \(bytes.count) bytes")
            var expected = bytes
            if expected.count == 19 { expected.append(UInt8(ascii: ".")) }
            while expected.count < 26 { expected.append(UInt8(ascii: "0")) }
            expected[10] = UInt8(ascii: "T")
            let printed = UTCTime.isoString(micros: micros)
            try check(Array(printed.utf8) == expected, name,
                      "\(repaired(bytes).debugDescription) parsed to \(micros) µs, which prints as \(printed)")
            func field(_ range: Range<Int>) -> Int64 { Int64(String(decoding: bytes[range], as: UTF8.self))! }
            let fraction = bytes.count == 19 ? 0 : field(20..<bytes.count) * [1, 100_000, 10_000, 1_000, 100, 10, 1][bytes.count - 20]
            let viaFields = UTCTime.micros(year: field(0..<4), month: field(5..<7), day: field(8..<10),
                                           hour: field(11..<13), minute: field(14..<16), second: field(17..<19),
                                           microsecond: fraction)
            try check(viaFields == micros, name, "UTCTime.micros disagrees with parse for \(printed)")
        }

        // Any 8 bytes as microseconds print without a trap (MariaDB hands
        // the exporter fields, not text, and ages may be negative).
        if bytes.count >= 8 {
            let micros = bytes.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let printed = UTCTime.isoString(micros: micros)
            if (Int64(-62_135_596_800_000_000)...253_402_300_799_999_999).contains(micros) {
                var text = Array(printed.utf8)
                text[10] = UInt8(ascii: " ")
                try check(UTCTime.parse(text) == .micros(micros), name, "\(micros) µs printed as \(printed), which does not parse back")
            }
        }
    }
}
