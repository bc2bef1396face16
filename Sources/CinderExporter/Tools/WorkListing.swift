/// What `cinder-exporter volumes` prints (SPEC §9): the work an operator acts
/// on, oldest first, rows whose age cannot be known last.
public struct WorkListing: Sendable {
    public struct Entry: Sendable, Equatable {
        public let kind: WorkKind
        public let id: String
        public let status: String
        public let host: String
        public let pool: String
        public let projectID: String
        public let sizeGiB: Int64?
        /// Signed, from the command's one clock reading; nil when unknown.
        public let ageMicros: Int64?
    }

    public let entries: [Entry]

    /// `host` matches the raw host column as Cinder's API does (X, X@…, X#…);
    /// `status` exactly; only transitional statuses unless `allStatuses`;
    /// with `olderThanSeconds`, only rows known to be older than that.
    public init(rows: [WorkItemRow], nowMicros: Int64, allStatuses: Bool = false, host: String? = nil,
                status: String? = nil, olderThanSeconds: Double? = nil) {
        let olderThanMicros = olderThanSeconds.map { Int64(($0 * 1e6).rounded()) }
        entries = rows
            .filter { allStatuses || $0.kind.isTransitional($0.status) }
            .filter { row in host.map { ServiceListing.hostMatches(filter: $0, host: row.host) } ?? true }
            .filter { row in status.map { $0.utf8.elementsEqual(row.status.utf8) } ?? true }
            .map { row in
                let (backend, pool) = row.kind.hasPool ? VolumeHost.split(row.host) : (row.host, "")
                return Entry(kind: row.kind, id: row.id, status: row.status, host: backend, pool: pool,
                             projectID: row.projectID, sizeGiB: row.sizeGiB,
                             ageMicros: row.lastChange.map { nowMicros &- $0 })
            }
            .filter { entry in
                guard let olderThanMicros else { return true }
                return entry.ageMicros.map { $0 > olderThanMicros } ?? false
            }
            .sorted { a, b in
                switch (a.ageMicros, b.ageMicros) {
                case let (x?, y?) where x != y: return x > y
                case (_?, nil): return true
                case (nil, _?): return false
                default:
                    // Same age or both unknown: a stable order by kind, then id bytes.
                    if a.kind != b.kind { return a.kind < b.kind }
                    return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
                }
            }
    }

    static let headers = ["Kind", "ID", "Status", "Host", "Pool", "Project", "Size (GiB)", "Age"]

    public func table() -> String {
        PrettyTable.render(headers: Self.headers, rows: entries.map { entry in
            [entry.kind.singular, entry.id, entry.status, entry.host.isEmpty ? "-" : entry.host,
             entry.pool.isEmpty ? "-" : entry.pool, entry.projectID.isEmpty ? "-" : entry.projectID,
             entry.sizeGiB.map(String.init) ?? "-",
             entry.ageMicros.map { PrometheusDuration.short(seconds: Double($0) / 1e6) } ?? "unknown"]
        })
    }

    /// A JSON array with SPEC §9's keys; `age_seconds` null when unknown.
    public func json() -> String {
        func string(_ value: String) -> String { "\"" + JSONText.escape(value) + "\"" }
        let objects = entries.map { entry in
            "  {\"kind\": \(string(entry.kind.singular)), \"id\": \(string(entry.id)), \"status\": \(string(entry.status)), "
                + "\"host\": \(string(entry.host)), \"pool\": \(string(entry.pool)), "
                + "\"project_id\": \(string(entry.projectID)), \"size_gib\": \(entry.sizeGiB.map(String.init) ?? "null"), "
                + "\"age_seconds\": \(entry.ageMicros.map { ExpositionWriter.format(ExpositionRenderer.seconds($0)) } ?? "null")}"
        }
        return objects.isEmpty ? "[]\n" : "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }
}
