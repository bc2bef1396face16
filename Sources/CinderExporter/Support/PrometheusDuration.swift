/// Durations as Prometheus writes them (`30s`, `1h30m`, `500ms`, `2w`): units
/// y w d h m s ms, each at most once, largest first; `0` alone is zero.
public enum PrometheusDuration {
    private static let units: [(name: String, milliseconds: UInt64)] = [
        ("y", 365 * 86_400_000), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000),
        ("m", 60_000), ("s", 1_000), ("ms", 1),
    ]

    /// Seconds, or nil when `text` is not such a duration (or overflows).
    public static func seconds(_ text: String) -> Double? {
        if text == "0" { return 0 }
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return nil }
        var index = 0
        var nextUnit = 0
        var total: UInt64 = 0
        while index < bytes.count {
            var value: UInt64 = 0
            let digitsStart = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(bytes[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                index += 1
            }
            guard index > digitsStart else { return nil }
            // The longest unit name that matches here ("ms" before "m"), and
            // only units smaller than the last one.
            guard let unit = units.indices.dropFirst(nextUnit)
                .filter({ bytes[index...].starts(with: units[$0].name.utf8) })
                .max(by: { units[$0].name.count < units[$1].name.count })
            else { return nil }
            index += units[unit].name.utf8.count
            nextUnit = unit + 1
            let (part, overflow1) = value.multipliedReportingOverflow(by: units[unit].milliseconds)
            let (sum, overflow2) = total.addingReportingOverflow(part)
            guard !overflow1, !overflow2 else { return nil }
            total = sum
        }
        return Double(total) / 1000
    }

    /// `1h02m`, `5m07s`, `42s`, `3d04h`: the two largest units, for tables.
    public static func short(seconds: Double) -> String {
        guard seconds.isFinite else { return "-" }
        if seconds < 0 { return "-" + short(seconds: -seconds) }
        let whole = Int64(seconds.rounded(.down))
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        switch whole {
        case ..<60: return "\(whole)s"
        case ..<3_600: return "\(whole / 60)m\(two(whole % 60))s"
        case ..<86_400: return "\(whole / 3_600)h\(two(whole / 60 % 60))m"
        default: return "\(whole / 86_400)d\(two(whole / 3_600 % 24))h"
        }
    }
}
