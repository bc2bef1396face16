/// Reads the work tables from a SQLite file (SPEC §9) on a connection of its
/// own, each statement interrupted after the collector timeout.
public final class SQLiteWorkReader: WorkReader {
    public let path: String
    private let timeoutSeconds: Double
    private let file: SQLiteFile

    public init(path: String, timeoutSeconds: Double) {
        self.path = path
        self.timeoutSeconds = timeoutSeconds
        file = SQLiteFile(path: path, timeoutSeconds: timeoutSeconds)
    }

    /// As the user writes it (SPEC §3), like the services reader's.
    public var description: String { "sqlite:///" + path }

    public func readGroups(_ kind: WorkKind) throws(DatabaseError) -> [WorkGroupRow] {
        typealias C = WorkQuery.AggregateColumn
        return try query(WorkQuery.aggregate(kind, .sqlite), kind) { row in
            WorkGroupRow(host: row.text(C.host.rawValue), status: row.text(C.status.rawValue),
                         count: row.integer(C.count.rawValue) ?? 0, sizeGiB: row.double(C.size.rawValue),
                         oldest: row.time(C.oldest.rawValue))
        }
    }

    public func listItems(_ kind: WorkKind, allStatuses: Bool) throws(DatabaseError) -> [WorkItemRow] {
        typealias C = WorkQuery.ListingColumn
        return try query(WorkQuery.listing(kind, allStatuses: allStatuses), kind) { row in
            WorkItemRow(kind: kind, id: row.text(C.id.rawValue), host: row.text(C.host.rawValue),
                        status: row.text(C.status.rawValue), projectID: row.text(C.project.rawValue),
                        sizeGiB: row.integer(C.size.rawValue),
                        updatedAt: row.time(C.updatedAt.rawValue), createdAt: row.time(C.createdAt.rawValue))
        }
    }

    private func query<T: Sendable>(_ sql: String, _ kind: WorkKind, _ decode: (SQLiteRow) -> T) throws(DatabaseError) -> [T] {
        let timeout = timeoutSeconds
        return try file.locked { file throws(DatabaseError) in
            let statement = try file.statement(sql)
            var rows: [T] = []
            do throws(DatabaseError) {
                try file.interrupting(after: timeout) { () throws(DatabaseError) in
                    try statement.run { row throws(DatabaseError) in rows.append(decode(row)) }
                }
            } catch {
                if error.message.hasSuffix("interrupted") {
                    throw DatabaseError("reading the \(kind.rawValue) table took longer than \(Scraper.format(timeout)) s (--collector.timeout)")
                }
                throw error
            }
            return rows
        }
    }
}
