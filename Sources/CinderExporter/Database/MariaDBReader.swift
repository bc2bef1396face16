
/// Reads the services table from MySQL or MariaDB (SPEC §5): one persistent
/// connection, re-made on the next read after any failure; connect, read and
/// write timeouts; always utf8mb4; a read-only session; one prepared
/// statement. The C calls live in MariaDB.swift.
public final class MariaDBReader: ServiceReader {
    public let target: DatabaseURL.MySQLTarget
    private let timeoutSeconds: UInt32

    private struct Session {
        let connection: MariaDBConnection
        let statement: MariaDBStatement
    }
    // Reads are serialised by this mutex: a connection is used by one thread
    // at a time, which is all libmariadb asks of its callers.
    private let session = Lock<Session?>(nil)

    public init(target: DatabaseURL.MySQLTarget, timeoutSeconds: Double) {
        self.target = target
        self.timeoutSeconds = Self.wholeSeconds(timeoutSeconds)
    }

    /// libmariadb takes whole seconds; round up so a short timeout is not 0 (= none).
    static func wholeSeconds(_ seconds: Double) -> UInt32 {
        let rounded = seconds.isFinite ? seconds.rounded(.up) : 3600
        return UInt32(min(max(rounded, 1), 3600))
    }

    public var description: String { DatabaseURL.mysql(target).logDescription }

    public func readRows() throws(DatabaseError) -> [ServiceRow] {
        let result: Result<[ServiceRow], DatabaseError> = session.withLock { session in
            do throws(DatabaseError) {
                let current = try connected(&session)
                do throws(DatabaseError) {
                    var rows: [ServiceRow] = []
                    try current.statement.run(expectedRows: { rows.reserveCapacity($0) }) { row throws(DatabaseError) in
                        rows.append(try Self.decode(row))
                    }
                    return .success(rows)
                } catch {
                    // Lost connection, server restart, schema change: start afresh next time.
                    session = nil
                    throw error
                }
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Tests only: runs one statement on the reader's own session, to prove
    /// that the session refuses writes. The exporter never calls it.
    func executeForTesting(_ sql: String) throws(DatabaseError) {
        let result: Result<Void, DatabaseError> = session.withLock { session in
            do throws(DatabaseError) {
                try connected(&session).connection.execute(sql)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    static func redact(_ message: String, password: String) -> String {
        MariaDB.redact(message, password: password)
    }

    /// The open session, connecting first when there is none.
    private func connected(_ session: inout Session?) throws(DatabaseError) -> Session {
        try MariaDB.prepareThread()
        if let session { return session }
        let connection = try MariaDBConnection(target: target, timeoutSeconds: timeoutSeconds, description: description)
        let statement = try MariaDBStatement(connection, sql: ServiceQuery.sql, columns: Self.columns, what: "the services table")
        let opened = Session(connection: connection, statement: statement)
        session = opened
        return opened
    }

    /// One kind per column of `ServiceQuery.sql`, in order.
    private static let columns: [MariaDBStatement.Kind] = [
        .integer,  // id
        .text, .text, .text, .text, .text, .text,  // host, binary, topic, zone, cluster, disabled_reason
        .text, .text, .text, .text,  // replication_status, active_backend_id, rpc/object versions
        .integer, .integer, .integer,  // report_count, disabled, frozen
        .time, .time, .time,  // created_at, updated_at, modified_at
    ]

    private typealias C = ServiceQuery.Column

    /// SPEC §1's readings, the same as `SQLiteReader.decode`.
    private static func decode(_ row: borrowing MariaDBRow) throws(DatabaseError) -> ServiceRow {
        func text(_ column: C) throws(DatabaseError) -> String { try row.text(column.rawValue) ?? "" }
        return ServiceRow(
            id: row.integer(C.id.rawValue) ?? 0,
            host: try text(.host), binary: try text(.binary), topic: try text(.topic),
            zone: try text(.zone), cluster: try text(.cluster),
            disabledReason: try text(.disabledReason),
            replicationStatus: try text(.replicationStatus),
            activeBackendID: try text(.activeBackendID),
            rpcVersion: try text(.rpcVersion), objectVersion: try text(.objectVersion),
            reportCount: row.integer(C.reportCount.rawValue),
            disabled: (row.integer(C.disabled.rawValue) ?? 0) != 0, frozen: (row.integer(C.frozen.rawValue) ?? 0) != 0,
            createdAt: row.time(C.createdAt.rawValue), updatedAt: row.time(C.updatedAt.rawValue),
            modifiedAt: row.time(C.modifiedAt.rawValue))
    }
}
