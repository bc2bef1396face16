/// One reader's connection to MySQL/MariaDB with the statements prepared on
/// it, made on first use and dropped after any failure (a lost connection, a
/// timeout, a missing grant, a schema change), so the next use starts afresh.
/// Each reader owns its own link: the services read and the work scans never
/// share a connection. `@unchecked Sendable`: the connection and statements
/// are touched only under `lock`, one statement at a time, which is all
/// libmariadb asks of its callers.
final class MariaDBLink: @unchecked Sendable {
    let target: DatabaseURL.MySQLTarget
    let description: String
    private let timeoutSeconds: UInt32
    /// Runs once on every new connection, after the exporter's own settings.
    private let setUp: @Sendable (MariaDBConnection) -> Void
    private let lock = Lock(())
    private var connection: MariaDBConnection?
    private var statements: [String: MariaDBStatement] = [:]

    init(target: DatabaseURL.MySQLTarget, timeoutSeconds: UInt32,
         setUp: @escaping @Sendable (MariaDBConnection) -> Void = { _ in }) {
        self.target = target
        self.timeoutSeconds = timeoutSeconds
        self.setUp = setUp
        description = DatabaseURL.mysql(target).logDescription
    }

    /// Every row of `sql`, decoded in order; `what` names it in errors.
    func query<T>(_ sql: String, columns: [MariaDBStatement.Kind], what: String,
                  _ decode: (borrowing MariaDBRow) throws(DatabaseError) -> T) throws(DatabaseError) -> [T] {
        var rows: [T] = []
        try run(sql, columns: columns, what: what, expectedRows: { rows.reserveCapacity($0) }) { row throws(DatabaseError) in
            rows.append(try decode(row))
        }
        return rows
    }

    /// Runs `sql`, telling `expectedRows` the row count, then `row` each row.
    func run(_ sql: String, columns: [MariaDBStatement.Kind], what: String, expectedRows: (Int) -> Void,
             _ row: (borrowing MariaDBRow) throws(DatabaseError) -> Void) throws(DatabaseError) {
        try locked { () throws(DatabaseError) in
            let statement: MariaDBStatement
            if let prepared = statements[sql] {
                statement = prepared
            } else {
                statement = try MariaDBStatement(try connected(), sql: sql, columns: columns, what: what)
                statements[sql] = statement
            }
            try statement.run(expectedRows: expectedRows, row)
        }
    }

    /// Tests only: one statement on this link's session (to prove it refuses writes).
    func execute(_ sql: String) throws(DatabaseError) {
        try locked { () throws(DatabaseError) in try connected().execute(sql) }
    }

    private func locked<T>(_ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        let result: Result<T, DatabaseError> = lock.withLock { _ in
            do throws(DatabaseError) {
                try MariaDB.prepareThread()
                return .success(try body())
            } catch {
                statements = [:]
                connection = nil
                return .failure(error)
            }
        }
        return try result.get()
    }

    private func connected() throws(DatabaseError) -> MariaDBConnection {
        if let connection { return connection }
        let made = try MariaDBConnection(target: target, timeoutSeconds: timeoutSeconds, description: description)
        setUp(made)
        connection = made
        return made
    }
}
