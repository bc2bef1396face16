internal import CMariaDB
import Synchronization

/// Reads the services table from MySQL or MariaDB through libmariadb (SPEC §5):
/// one persistent connection, re-made on the next read after any failure;
/// connect, read and write timeouts; always utf8mb4; the session is set read
/// only; one prepared statement. This file is the only one that calls
/// libmariadb, and no C type leaves it.
public final class MariaDBReader: ServiceReader {
    public let target: DatabaseURL.MySQLTarget
    private let timeoutSeconds: UInt32

    // Reads are serialised by this mutex: a MYSQL handle is used by one thread
    // at a time, which is all libmariadb asks of its callers.
    private let session = Mutex<MariaDBSession?>(nil)

    /// `mysql_library_init` is a macro; its function runs once per process.
    private static let libraryStatus: Int32 = mysql_server_init(0, nil, nil)

    public init(target: DatabaseURL.MySQLTarget, timeoutSeconds: Double) {
        self.target = target
        // libmariadb takes whole seconds; round up so a short timeout is not 0 (= none).
        let rounded = timeoutSeconds.isFinite ? timeoutSeconds.rounded(.up) : 3600
        self.timeoutSeconds = UInt32(min(max(rounded, 1), 3600))
    }

    public var description: String { DatabaseURL.mysql(target).logDescription }

    public func readRows() throws(DatabaseError) -> [ServiceRow] {
        let result: Result<[ServiceRow], DatabaseError> = session.withLock { session in
            do throws(DatabaseError) {
                let current = try connected(&session)
                do throws(DatabaseError) {
                    return .success(try current.readRows())
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
                try connected(&session).execute(sql)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// libmariadb's messages do not hold the password; this makes sure of it.
    static func redact(_ message: String, password: String) -> String {
        guard !password.isEmpty else { return message }
        return message.replacing(password, with: "***")
    }

    /// The open session, connecting first when there is none.
    private func connected(_ session: inout MariaDBSession?) throws(DatabaseError) -> MariaDBSession {
        guard Self.libraryStatus == 0 else { throw DatabaseError("cannot initialise libmariadb") }
        // Required on every thread that uses a connection; cheap when repeated.
        _ = mysql_thread_init()
        if let session { return session }
        let opened = try MariaDBSession(target: target, timeoutSeconds: timeoutSeconds, description: description)
        session = opened
        return opened
    }
}

/// One connection with its prepared statement and result buffers. Closed in deinit.
private final class MariaDBSession {
    private let handle: UnsafeMutablePointer<MYSQL>
    private let statement: UnsafeMutablePointer<MYSQL_STMT>
    private let buffers: ResultBuffers
    private let description: String
    private let password: String

    init(target: DatabaseURL.MySQLTarget, timeoutSeconds: UInt32, description: String) throws(DatabaseError) {
        self.description = description
        password = target.password ?? ""
        // A failed connect wipes the options, so init and set them afresh each time.
        guard let handle = mysql_init(nil) else { throw DatabaseError("cannot connect to \(description): out of memory") }
        var timeout = timeoutSeconds
        var localInfile: UInt32 = 0
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
        mysql_options(handle, MYSQL_OPT_READ_TIMEOUT, &timeout)
        mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &timeout)
        mysql_options(handle, MYSQL_OPT_LOCAL_INFILE, &localInfile)
        // utf8mb4 whatever the URL's charset= says: utf8 (utf8mb3) turns emoji into '?'.
        _ = "utf8mb4".withCString { mysql_options(handle, MYSQL_SET_CHARSET_NAME, $0) }

        // unix_socket= wins, as with PyMySQL; host nil or "localhost" is
        // libmariadb's default Unix socket, any other host is TCP.
        let host = target.unixSocket != nil ? nil : target.host
        let database = target.database.isEmpty ? nil : target.database
        let connectedHandle = mysql_real_connect(
            handle, host, target.user.isEmpty ? nil : target.user, target.password, database,
            UInt32(target.port ?? 0), target.unixSocket, 0)
        guard connectedHandle != nil else {
            let message = Self.message(handle)
            mysql_close(handle)
            throw DatabaseError(Self.redact("cannot connect to \(description): \(message)", password: password))
        }
        self.handle = handle

        guard let statement = mysql_stmt_init(handle) else {
            let message = Self.message(handle)
            mysql_close(handle)
            throw DatabaseError(Self.redact("MySQL \(description): \(message)", password: password))
        }
        self.statement = statement
        buffers = ResultBuffers()
        // From here on deinit closes the statement and the connection.
        try execute("SET SESSION TRANSACTION READ ONLY")
        // DATETIME is naive UTC already; this keeps a TIMESTAMP column UTC too.
        try execute("SET SESSION time_zone = '+00:00'")
        let sql = Array(ServiceQuery.sql.utf8)
        let prepared = sql.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mysql_stmt_prepare(statement, $0.baseAddress, UInt($0.count)) }
        }
        guard prepared == 0 else { throw statementError("cannot prepare the services query") }
        guard mysql_stmt_field_count(statement) == UInt32(ResultBuffers.columns.count) else {
            throw DatabaseError("MySQL \(description): the services query returned an unexpected number of columns")
        }
        guard mysql_stmt_bind_result(statement, buffers.binds) == 0 else {
            throw statementError("cannot bind the services query's results")
        }
    }

    deinit {
        mysql_stmt_close(statement)
        mysql_close(handle)
    }

    /// Runs a statement that returns no rows the exporter needs.
    func execute(_ sql: String) throws(DatabaseError) {
        let bytes = Array(sql.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt($0.count)) }
        }
        guard status == 0 else {
            throw DatabaseError(Self.redact("MySQL \(description): \(Self.message(handle))", password: password))
        }
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    func readRows() throws(DatabaseError) -> [ServiceRow] {
        guard mysql_stmt_execute(statement) == 0 else { throw statementError("cannot read the services table") }
        guard mysql_stmt_store_result(statement) == 0 else { throw statementError("cannot read the services table") }
        defer { mysql_stmt_free_result(statement) }
        var rows: [ServiceRow] = []
        rows.reserveCapacity(Int(mysql_stmt_num_rows(statement)))
        while true {
            switch mysql_stmt_fetch(statement) {
            case 0, MYSQL_DATA_TRUNCATED:
                rows.append(try decodeRow())
            case MYSQL_NO_DATA:
                return rows
            default:
                throw statementError("cannot read the services table")
            }
        }
    }

    private typealias C = ServiceQuery.Column

    /// SPEC §1's readings, the same as `SQLiteReader.decode`.
    private func decodeRow() throws(DatabaseError) -> ServiceRow {
        ServiceRow(
            id: buffers.integer(C.id) ?? 0,
            host: try text(.host), binary: try text(.binary), topic: try text(.topic),
            zone: try text(.zone), cluster: try text(.cluster),
            disabledReason: try text(.disabledReason),
            replicationStatus: try text(.replicationStatus),
            activeBackendID: try text(.activeBackendID),
            rpcVersion: try text(.rpcVersion), objectVersion: try text(.objectVersion),
            reportCount: buffers.integer(.reportCount),
            disabled: (buffers.integer(.disabled) ?? 0) != 0, frozen: (buffers.integer(.frozen) ?? 0) != 0,
            createdAt: buffers.time(.createdAt), updatedAt: buffers.time(.updatedAt),
            modifiedAt: buffers.time(.modifiedAt))
    }

    /// NULL reads as ""; text is read by its length (NUL survives); invalid
    /// UTF-8 becomes U+FFFD. A value longer than the bound buffer is fetched again whole.
    private func text(_ column: C) throws(DatabaseError) -> String {
        let index = Int(column.rawValue)
        if buffers.isNull[index] != 0 { return "" }
        let length = Int(buffers.lengths[index])
        if length <= ResultBuffers.textCapacity {
            return String(decoding: UnsafeRawBufferPointer(start: buffers.storage[index], count: length), as: UTF8.self)
        }
        let whole = UnsafeMutableRawPointer.allocate(byteCount: length + 1, alignment: 1)
        defer { whole.deallocate() }
        var wholeLength: UInt = 0
        var bind = MYSQL_BIND()
        bind.buffer_type = MYSQL_TYPE_STRING
        bind.buffer = whole
        bind.buffer_length = UInt(length + 1)
        let status = withUnsafeMutablePointer(to: &wholeLength) { lengthPointer in
            bind.length = lengthPointer
            return mysql_stmt_fetch_column(statement, &bind, UInt32(index), 0)
        }
        guard status == 0 else { throw statementError("cannot read a long text column") }
        return String(decoding: UnsafeRawBufferPointer(start: whole, count: min(Int(wholeLength), length)), as: UTF8.self)
    }

    private func statementError(_ what: String) -> DatabaseError {
        let number = mysql_stmt_errno(statement)
        let text = mysql_stmt_error(statement).map { String(cString: $0) } ?? ""
        return DatabaseError(Self.redact("MySQL \(description): \(what): \(text) (\(number))", password: password))
    }

    private static func message(_ handle: UnsafeMutablePointer<MYSQL>) -> String {
        let text = mysql_error(handle).map { String(cString: $0) } ?? ""
        return "\(text) (\(mysql_errno(handle)))"
    }

    private static func redact(_ message: String, password: String) -> String {
        MariaDBReader.redact(message, password: password)
    }
}

/// The result binds of the services query and the heap buffers they point at,
/// which must outlive every fetch. Freed in deinit.
private final class ResultBuffers {
    enum Kind { case integer, text, time }

    /// One kind per column of `ServiceQuery.sql`, in order.
    static let columns: [Kind] = [
        .integer,  // id
        .text, .text, .text, .text, .text, .text,  // host, binary, topic, zone, cluster, disabled_reason
        .text, .text, .text, .text,  // replication_status, active_backend_id, rpc/object versions
        .integer, .integer, .integer,  // report_count, disabled, frozen
        .time, .time, .time,  // created_at, updated_at, modified_at
    ]
    /// varchar(255) in utf8mb4 is at most 1,020 bytes; longer values are re-fetched.
    static let textCapacity = 1024

    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let isNull: UnsafeMutablePointer<Int8>
    let errors: UnsafeMutablePointer<Int8>
    let lengths: UnsafeMutablePointer<UInt>
    let storage: [UnsafeMutableRawPointer]

    init() {
        let count = Self.columns.count
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        isNull = .allocate(capacity: count)
        isNull.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        var storage: [UnsafeMutableRawPointer] = []
        for (index, kind) in Self.columns.enumerated() {
            let size: Int
            switch kind {
            case .integer:
                size = MemoryLayout<Int64>.size
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
            case .text:
                size = Self.textCapacity
                binds[index].buffer_type = MYSQL_TYPE_STRING
            case .time:
                size = MemoryLayout<MYSQL_TIME>.size
                binds[index].buffer_type = MYSQL_TYPE_DATETIME
            }
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            storage.append(buffer)
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(size)
            binds[index].is_null = isNull + index
            binds[index].error = errors + index
            binds[index].length = lengths + index
        }
        self.storage = storage
    }

    deinit {
        storage.forEach { $0.deallocate() }
        binds.deinitialize(count: Self.columns.count)
        binds.deallocate()
        isNull.deallocate()
        errors.deallocate()
        lengths.deallocate()
    }

    func integer(_ column: ServiceQuery.Column) -> Int64? {
        let index = Int(column.rawValue)
        return isNull[index] != 0 ? nil : storage[index].load(as: Int64.self)
    }

    /// DATETIME → naive UTC; NULL → `.null`; zero or impossible dates → `.invalid`.
    func time(_ column: ServiceQuery.Column) -> StoredTime {
        let index = Int(column.rawValue)
        if isNull[index] != 0 { return .null }
        let value = storage[index].load(as: MYSQL_TIME.self)
        guard value.time_type == MYSQL_TIMESTAMP_DATETIME || value.time_type == MYSQL_TIMESTAMP_DATE, value.neg == 0,
              let micros = UTCTime.micros(
                  year: Int64(value.year), month: Int64(value.month), day: Int64(value.day),
                  hour: Int64(value.hour), minute: Int64(value.minute), second: Int64(value.second),
                  microsecond: Int64(value.second_part))
        else { return .invalid }
        return .micros(micros)
    }
}
