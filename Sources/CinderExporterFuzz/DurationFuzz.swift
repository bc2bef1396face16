import CinderExporter

/// `PrometheusDuration.seconds`: `--collector.interval` and friends, and
/// `volumes --older-than` (SPEC §9). Checked against a second reading of
/// Prometheus's own grammar, written differently on purpose: the regular
/// expression of `model.ParseDuration`,
/// `^(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$`
/// (or `0`), matched by backtracking as Go's regexp would.
enum DurationFuzz {
    static let name = "duration"

    static let units: [(name: [UInt8], milliseconds: UInt64)] = [
        (Array("y".utf8), 31_536_000_000), (Array("w".utf8), 604_800_000), (Array("d".utf8), 86_400_000),
        (Array("h".utf8), 3_600_000), (Array("m".utf8), 60_000), (Array("s".utf8), 1_000), (Array("ms".utf8), 1),
    ]

    static let target = FuzzTarget(name: name, summary: "PrometheusDuration.seconds, PrometheusDuration.short") {
        (bytes: [UInt8]) throws(InvariantViolation) in
        let text = repaired(bytes)
        let seconds = PrometheusDuration.seconds(text)
        let expected = reference(Array(text.utf8))
        switch expected {
        case .invalid:
            try check(seconds == nil, name, "\(text.debugDescription) is not a Prometheus duration but read as \(seconds!) s")
        case .overflow:
            break  // Prometheus refuses above 2^63 ms; ours above 2^64 ms. Neither traps.
        case .milliseconds(let total):
            try check(seconds == Double(total) / 1000, name,
                      "\(text.debugDescription) is \(total) ms but read as \(String(describing: seconds))")
        }
        if let seconds {
            try check(seconds >= 0 && seconds.isFinite, name, "\(text.debugDescription) read as \(seconds)")
            _ = PrometheusDuration.short(seconds: seconds)
            _ = PrometheusDuration.short(seconds: -seconds)
        }
    }

    enum Reading: Equatable { case invalid, overflow, milliseconds(UInt64) }

    static func reference(_ bytes: [UInt8]) -> Reading {
        if bytes == Array("0".utf8) { return .milliseconds(0) }
        if bytes.isEmpty { return .invalid }
        return match(bytes, 0, unit: 0, total: 0) ?? .invalid
    }

    /// Each optional group in order: first try to take it, then to skip it.
    private static func match(_ bytes: [UInt8], _ position: Int, unit: Int, total: UInt64) -> Reading? {
        if unit == units.count {
            guard position == bytes.count else { return nil }
            return total > UInt64(Int64.max) ? .overflow : .milliseconds(total)
        }
        var end = position
        while end < bytes.count, bytes[end] >= UInt8(ascii: "0"), bytes[end] <= UInt8(ascii: "9") { end += 1 }
        let name = units[unit].name
        if end > position, bytes.count - end >= name.count, bytes[end..<(end + name.count)].elementsEqual(name) {
            var value: UInt64 = 0, overflow = false
            for byte in bytes[position..<end] {
                let (times10, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                value = sum
            }
            let (part, o3) = value.multipliedReportingOverflow(by: units[unit].milliseconds)
            let (sum, o4) = total.addingReportingOverflow(part)
            if let taken = match(bytes, end + name.count, unit: unit + 1, total: sum) {
                if case .milliseconds = taken, overflow || o3 || o4 { return .overflow }
                return taken
            }
        }
        return match(bytes, position, unit: unit + 1, total: total)
    }
}
