/// Reads the work tables from MySQL or MariaDB (SPEC §9) on a connection of
/// its own, so a long scan never holds up the services read. The collector
/// timeout is the connection's read timeout, and the server is asked to stop
/// the statement at the same bound.
public final class MariaDBWorkReader: WorkReader {
    public let target: DatabaseURL.MySQLTarget
    private let link: MariaDBLink

    public init(target: DatabaseURL.MySQLTarget, timeoutSeconds: Double) {
        self.target = target
        let seconds = MariaDBReader.wholeSeconds(timeoutSeconds)
        link = MariaDBLink(target: target, timeoutSeconds: seconds) { connection in
            // Ask the server to stop a scan at the same bound as the client's
            // read timeout, so an abandoned aggregate does not run on: MariaDB
            // names it max_statement_time (seconds), MySQL max_execution_time
            // (ms). The one the server does not know fails harmlessly.
            try? connection.execute("SET SESSION max_statement_time = \(seconds)")
            try? connection.execute("SET SESSION max_execution_time = \(UInt64(seconds) * 1000)")
        }
    }

    public var description: String { link.description }

    public func readGroups(_ kind: WorkKind) throws(DatabaseError) -> [WorkGroupRow] {
        typealias C = WorkQuery.AggregateColumn
        return try link.query(WorkQuery.aggregate(kind, .mysql), columns: [.text, .text, .integer, .text, .time],
                              what: "the \(kind.rawValue) table") { row throws(DatabaseError) in
            let size = try row.text(C.size.rawValue)
            return WorkGroupRow(host: try row.text(C.host.rawValue) ?? "", status: try row.text(C.status.rawValue) ?? "",
                                count: row.integer(C.count.rawValue) ?? 0, sizeGiB: size.flatMap(Double.init) ?? 0,
                                oldest: row.time(C.oldest.rawValue))
        }
    }

    public func listItems(_ kind: WorkKind, allStatuses: Bool) throws(DatabaseError) -> [WorkItemRow] {
        typealias C = WorkQuery.ListingColumn
        return try link.query(WorkQuery.listing(kind, allStatuses: allStatuses),
                              columns: [.text, .text, .text, .text, .integer, .time, .time],
                              what: "the \(kind.rawValue) table") { row throws(DatabaseError) in
            WorkItemRow(kind: kind, id: try row.text(C.id.rawValue) ?? "", host: try row.text(C.host.rawValue) ?? "",
                        status: try row.text(C.status.rawValue) ?? "", projectID: try row.text(C.project.rawValue) ?? "",
                        sizeGiB: row.integer(C.size.rawValue),
                        updatedAt: row.time(C.updatedAt.rawValue), createdAt: row.time(C.createdAt.rawValue))
        }
    }
}
