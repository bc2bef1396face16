/// What `cinder service-list` shows, computed straight from the rows (SPEC §3
/// `services`): every live row, duplicates included, with Cinder's state and
/// displayed `Updated_at`.
public struct ServiceListing: Sendable {
    public struct Entry: Sendable, Equatable {
        public let binary: String
        public let host: String
        public let zone: String
        public let status: String  // enabled | disabled
        public let state: String   // up | down
        public let updatedAt: String?
        public let cluster: String
        public let disabledReason: String
    }

    public let entries: [Entry]

    /// `host` matches as Cinder's API filter does; `binary` exactly.
    public init(rows: [ServiceRow], nowMicros: Int64, downTimeSeconds: Int64, host: String? = nil, binary: String? = nil) {
        entries = rows
            .filter { row in host.map { Self.hostMatches(filter: $0, host: row.host) } ?? true }
            .filter { row in binary.map { $0.utf8.elementsEqual(row.binary.utf8) } ?? true }
            .sorted { $0.id < $1.id }
            .map { row in
                let state = ServiceState(row: row, nowMicros: nowMicros, downTimeMicros: downTimeSeconds * 1_000_000)
                return Entry(
                    binary: row.binary, host: row.host, zone: row.zone,
                    status: row.disabled ? "disabled" : "enabled", state: state.isUp ? "up" : "down",
                    updatedAt: state.displayedUpdatedAt(nowMicros: nowMicros).map(UTCTime.isoString(micros:)),
                    cluster: row.cluster, disabledReason: row.disabledReason)
            }
    }

    /// Cinder's `_filter_host`: `X` matches X, X@backend and X#pool when X has
    /// neither; X and X#pool when X names a backend; else X exactly.
    /// Compared as UTF-8 bytes (as the database and Prometheus do), never by
    /// Swift's canonical equivalence.
    public static func hostMatches(filter: String, host: String) -> Bool {
        let filter = Array(filter.utf8), host = Array(host.utf8)
        if host == filter { return true }
        if filter.contains(UInt8(ascii: "#")) { return false }
        if host.starts(with: filter + [UInt8(ascii: "#")]) { return true }
        return !filter.contains(UInt8(ascii: "@")) && host.starts(with: filter + [UInt8(ascii: "@")])
    }

    /// True when some enabled service is down (the command's exit status 1).
    public var enabledServiceDown: Bool {
        entries.contains { $0.status == "enabled" && $0.state == "down" }
    }

    static let headers = ["Binary", "Host", "Zone", "Status", "State", "Updated_at", "Cluster", "Disabled Reason"]

    /// The table as python-cinderclient prints it (PrettyTable borders).
    public func table() -> String {
        PrettyTable.render(headers: Self.headers, rows: entries.map { entry in
            [entry.binary, entry.host, entry.zone, entry.status, entry.state, entry.updatedAt ?? "-",
             entry.cluster.isEmpty ? "-" : entry.cluster, entry.disabledReason.isEmpty ? "-" : entry.disabledReason]
        })
    }

    /// A JSON array of objects with the keys SPEC §3 names.
    public func json() -> String {
        func string(_ value: String?) -> String { value.map { "\"" + JSONText.escape($0) + "\"" } ?? "null" }
        let objects = entries.map { entry in
            "  {\"binary\": \(string(entry.binary)), \"host\": \(string(entry.host)), \"zone\": \(string(entry.zone)), "
                + "\"status\": \(string(entry.status)), \"state\": \(string(entry.state)), "
                + "\"updated_at\": \(string(entry.updatedAt)), \"cluster\": \(string(entry.cluster)), "
                + "\"disabled_reason\": \(string(entry.disabledReason))}"
        }
        return objects.isEmpty ? "[]\n" : "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }
}

/// JSON string escaping, shared by the JSON log format and `services --format json`.
/// Every control character is escaped (C0 as JSON requires, DEL and C1 too,
/// and the line separators U+2028/U+2029), so no escape sequence reaches a
/// terminal and the text still parses back to the same string.
public enum JSONText {
    /// C0 controls, DEL and C1 controls (U+0080–U+009F; U+009B starts
    /// terminal sequences like ESC [).
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
    }

    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar) || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
