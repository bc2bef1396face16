
/// Reads the work tables from MySQL or MariaDB (SPEC §9) on a connection of
/// its own, so a long scan never holds up the services read. The collector
/// timeout is the connection's read timeout, and the server is asked to stop
/// the statement at the same bound.
public final class MariaDBWorkReader: WorkReader, @unchecked Sendable {
    public let target: DatabaseURL.MySQLTarget
    private let timeoutSeconds: UInt32

    private struct Session {
        let connection: MariaDBConnection
        var statements: [String: MariaDBStatement] = [:]
    }
    // `@unchecked Sendable`: `session` is touched only under `lock`, one
    // statement at a time per connection, as libmariadb requires.
    private let lock = Lock(())
    private var session: Session?

    public init(target: DatabaseURL.MySQLTarget, timeoutSeconds: Double) {
        self.target = target
        self.timeoutSeconds = MariaDBReader.wholeSeconds(timeoutSeconds)
    }

    public var description: String { DatabaseURL.mysql(target).logDescription }

    public func readGroups(_ kind: WorkKind) throws(DatabaseError) -> [WorkGroupRow] {
        typealias C = WorkQuery.AggregateColumn
        return try query(WorkQuery.aggregate(kind, .mysql), columns: [.text, .text, .integer, .text, .time],
                         what: "the \(kind.rawValue) table") { row throws(DatabaseError) in
            let size = try row.text(C.size.rawValue)
            return WorkGroupRow(host: try row.text(C.host.rawValue) ?? "", status: try row.text(C.status.rawValue) ?? "",
                                count: row.integer(C.count.rawValue) ?? 0, sizeGiB: size.flatMap(Double.init) ?? 0,
                                oldest: row.time(C.oldest.rawValue))
        }
    }

    public func listItems(_ kind: WorkKind, allStatuses: Bool) throws(DatabaseError) -> [WorkItemRow] {
        typealias C = WorkQuery.ListingColumn
        return try query(WorkQuery.listing(kind, allStatuses: allStatuses),
                         columns: [.text, .text, .text, .text, .integer, .time, .time],
                         what: "the \(kind.rawValue) table") { row throws(DatabaseError) in
            WorkItemRow(kind: kind, id: try row.text(C.id.rawValue) ?? "", host: try row.text(C.host.rawValue) ?? "",
                        status: try row.text(C.status.rawValue) ?? "", projectID: try row.text(C.project.rawValue) ?? "",
                        sizeGiB: row.integer(C.size.rawValue),
                        updatedAt: row.time(C.updatedAt.rawValue), createdAt: row.time(C.createdAt.rawValue))
        }
    }

    private func query<T: Sendable>(_ sql: String, columns: [MariaDBStatement.Kind], what: String,
                                    _ decode: (borrowing MariaDBRow) throws(DatabaseError) -> T) throws(DatabaseError) -> [T] {
        let result: Result<[T], DatabaseError> = lock.withLock { _ in
            do throws(DatabaseError) {
                try MariaDB.prepareThread()
                if session == nil { session = Session(connection: try connect()) }
                do throws(DatabaseError) {
                    let statement: MariaDBStatement
                    if let prepared = session?.statements[sql] {
                        statement = prepared
                    } else {
                        statement = try MariaDBStatement(session!.connection, sql: sql, columns: columns, what: what)
                        session?.statements[sql] = statement
                    }
                    var rows: [T] = []
                    try statement.run { row throws(DatabaseError) in rows.append(try decode(row)) }
                    return .success(rows)
                } catch {
                    // A timeout, a lost connection, a missing grant: start afresh next time.
                    session = nil
                    throw error
                }
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func connect() throws(DatabaseError) -> MariaDBConnection {
        let connection = try MariaDBConnection(target: target, timeoutSeconds: timeoutSeconds, description: description)
        // Ask the server to stop a scan at the same bound as the client's read
        // timeout, so an abandoned aggregate does not run on: MariaDB names it
        // max_statement_time (seconds), MySQL max_execution_time (ms). The one
        // the server does not know fails harmlessly.
        try? connection.execute("SET SESSION max_statement_time = \(timeoutSeconds)")
        try? connection.execute("SET SESSION max_execution_time = \(UInt64(timeoutSeconds) * 1000)")
        return connection
    }
}
