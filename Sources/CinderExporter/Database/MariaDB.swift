internal import CMariaDB

/// The one place that calls libmariadb (SPEC §5): a connection with the
/// exporter's options (timeouts, utf8mb4, read-only session, UTC), and
/// prepared statements whose rows are read through `MariaDBRow`. No C type
/// leaves this file; every C status becomes a `DatabaseError` with the
/// library's message and the password redacted.
enum MariaDB {
    /// `mysql_library_init` is a macro; its function runs once per process.
    private static let libraryStatus: Int32 = mysql_server_init(0, nil, nil)

    /// Call on every thread before it uses a connection (libmariadb asks for
    /// it; cheap when repeated).
    static func prepareThread() throws(DatabaseError) {
        guard libraryStatus == 0 else { throw DatabaseError("cannot initialise libmariadb") }
        _ = mysql_thread_init()
    }

    /// libmariadb's messages do not hold the password; this makes sure of it.
    static func redact(_ message: String, password: String) -> String {
        guard !password.isEmpty else { return message }
        return message.replacing(password, with: "***")
    }
}

/// One connection, closed in deinit (after its statements, which hold it).
final class MariaDBConnection {
    fileprivate let handle: UnsafeMutablePointer<MYSQL>
    let description: String
    fileprivate let password: String

    /// Connects with connect, read and write timeouts of `timeoutSeconds`
    /// (whole seconds, as libmariadb takes them), then makes the session read
    /// only and UTC.
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
        if let tls = target.tls {
            do throws(DatabaseError) {
                try Self.setTLSOptions(handle, tls, description: description)
            } catch {
                mysql_close(handle)
                throw error
            }
        }

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
            throw DatabaseError(MariaDB.redact("cannot connect to \(description): \(message)", password: password))
        }
        self.handle = handle
        // From here on deinit closes the connection.
        // libmariadb 3.3 falls back to plain text when the server offers no
        // TLS and verification is off: refuse that connection.
        if target.tls != nil, mysql_get_ssl_cipher(handle) == nil {
            throw DatabaseError("cannot connect to \(description): TLS was asked for (ssl_* in the URL) but the connection is not encrypted")
        }
        try execute("SET SESSION TRANSACTION READ ONLY")
        // DATETIME is naive UTC already; this keeps a TIMESTAMP column UTC too.
        try execute("SET SESSION time_zone = '+00:00'")
    }

    deinit { mysql_close(handle) }

    /// SPEC §5: the URL's `ssl_*` options as libmariadb's TLS options, TLS
    /// enforced (MYSQL_OPT_SSL_ENFORCE). libmariadb 3.3 as Debian builds it
    /// (OpenSSL) verifies the chain whenever it is given a CA, and the host
    /// name only with MYSQL_OPT_SSL_VERIFY_SERVER_CERT (which, with no CA,
    /// also verifies against the system's CAs). So verification off means
    /// the CA is not passed on, and the host-name flag is the URL's. A
    /// GnuTLS build accepts an unknown signer unless that flag is set: a
    /// chain-only check is refused there rather than silently skipped.
    /// Strings are copied by mysql_options.
    private static func setTLSOptions(_ handle: UnsafeMutablePointer<MYSQL>, _ tls: DatabaseURL.MySQLTLS,
                                      description: String) throws(DatabaseError) {
        if tls.verifyChain, !tls.verifyHostName, !tlsLibraryIsOpenSSL(handle) {
            throw DatabaseError("cannot connect to \(description): this libmariadb cannot verify a certificate chain without its host name; "
                + "leave ssl_check_hostname on")
        }
        var paths: [(mysql_option, String?)] = [
            (MYSQL_OPT_SSL_CERT, tls.cert), (MYSQL_OPT_SSL_KEY, tls.key), (MYSQL_OPT_SSL_CIPHER, tls.cipher),
        ]
        if tls.verifyChain { paths += [(MYSQL_OPT_SSL_CA, tls.ca), (MYSQL_OPT_SSL_CAPATH, tls.capath)] }
        for (option, value) in paths {
            guard let value else { continue }
            _ = value.withCString { mysql_options(handle, option, $0) }
        }
        var enforce: Int8 = 1
        mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &enforce)
        var verify: Int8 = tls.verifyHostName ? 1 : 0
        mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify)
    }

    private static func tlsLibraryIsOpenSSL(_ handle: UnsafeMutablePointer<MYSQL>) -> Bool {
        var name: UnsafePointer<CChar>?
        guard mariadb_get_info(handle, MARIADB_TLS_LIBRARY, &name) == 0, let name else { return false }
        return String(cString: name).hasPrefix("OpenSSL")
    }

    /// Runs a statement that returns no rows the exporter needs.
    func execute(_ sql: String) throws(DatabaseError) {
        let bytes = Array(sql.utf8)
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt($0.count)) }
        }
        guard status == 0 else {
            throw DatabaseError(MariaDB.redact("MySQL \(description): \(Self.message(handle))", password: password))
        }
        if let result = mysql_store_result(handle) { mysql_free_result(result) }
    }

    fileprivate static func message(_ handle: UnsafeMutablePointer<MYSQL>) -> String {
        let text = mysql_error(handle).map { String(cString: $0) } ?? ""
        return "\(text) (\(mysql_errno(handle)))"
    }
}

/// A prepared statement with its result buffers; closed in deinit.
final class MariaDBStatement {
    enum Kind { case integer, text, time }

    private let connection: MariaDBConnection
    private let statement: UnsafeMutablePointer<MYSQL_STMT>
    private let buffers: ResultBuffers
    /// What the statement reads, for error messages ("the services table").
    private let what: String

    init(_ connection: MariaDBConnection, sql: String, columns: [Kind], what: String) throws(DatabaseError) {
        self.connection = connection
        self.what = what
        guard let statement = mysql_stmt_init(connection.handle) else {
            throw DatabaseError(MariaDB.redact("MySQL \(connection.description): \(MariaDBConnection.message(connection.handle))",
                                               password: connection.password))
        }
        self.statement = statement
        buffers = ResultBuffers(columns)
        let sql = Array(sql.utf8)
        let prepared = sql.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { mysql_stmt_prepare(statement, $0.baseAddress, UInt($0.count)) }
        }
        guard prepared == 0 else { throw error("cannot prepare the query of \(what)") }
        guard mysql_stmt_field_count(statement) == UInt32(columns.count) else {
            throw DatabaseError("MySQL \(connection.description): the query of \(what) returned an unexpected number of columns")
        }
        guard mysql_stmt_bind_result(statement, buffers.binds) == 0 else {
            throw error("cannot bind the results of \(what)")
        }
    }

    deinit { mysql_stmt_close(statement) }

    /// Runs the statement, calling `row` once per result row, in order.
    /// `expectedRows` is told the row count before the first call.
    func run(expectedRows: (Int) -> Void = { _ in }, _ row: (borrowing MariaDBRow) throws(DatabaseError) -> Void) throws(DatabaseError) {
        guard mysql_stmt_execute(statement) == 0 else { throw error("cannot read \(what)") }
        guard mysql_stmt_store_result(statement) == 0 else { throw error("cannot read \(what)") }
        defer { mysql_stmt_free_result(statement) }
        expectedRows(Int(mysql_stmt_num_rows(statement)))
        let current = MariaDBRow(statement: self)
        while true {
            switch mysql_stmt_fetch(statement) {
            case 0, MYSQL_DATA_TRUNCATED: try row(current)
            case MYSQL_NO_DATA: return
            default: throw error("cannot read \(what)")
            }
        }
    }

    fileprivate func integer(_ index: Int) -> Int64? { buffers.integer(index) }
    fileprivate func time(_ index: Int) -> StoredTime { buffers.time(index) }

    /// NULL is nil; text is read by its length (NUL survives); invalid UTF-8
    /// becomes U+FFFD. A value longer than the bound buffer is fetched again whole.
    fileprivate func text(_ index: Int) throws(DatabaseError) -> String? {
        if buffers.isNull[index] != 0 { return nil }
        let length = Int(buffers.lengths[index])
        if length <= ResultBuffers.textCapacity {
            return String(decoding: UnsafeRawBufferPointer(start: buffers.storage[index], count: length), as: UTF8.self)
        }
        return try longText(index, length: length)
    }

    /// Reads the column into `text` as `text(_:)` does (NULL as ""), keeping
    /// `text`'s string when the bytes are the same; true when they differ.
    fileprivate func update(_ text: inout String, _ index: Int) throws(DatabaseError) -> Bool {
        let length = buffers.isNull[index] != 0 ? 0 : Int(buffers.lengths[index])
        if length <= ResultBuffers.textCapacity {
            return TextBytes.update(&text, to: UnsafeRawBufferPointer(start: buffers.storage[index], count: length))
        }
        let whole = try longText(index, length: length)
        if TextBytes.same(whole, text) { return false }
        text = whole
        return true
    }

    private func longText(_ index: Int, length: Int) throws(DatabaseError) -> String {
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
        guard status == 0 else { throw error("cannot read a long text column") }
        return String(decoding: UnsafeRawBufferPointer(start: whole, count: min(Int(wholeLength), length)), as: UTF8.self)
    }

    private func error(_ what: String) -> DatabaseError {
        let number = mysql_stmt_errno(statement)
        let text = mysql_stmt_error(statement).map { String(cString: $0) } ?? ""
        return DatabaseError(MariaDB.redact("MySQL \(connection.description): \(what): \(text) (\(number))",
                                            password: connection.password))
    }
}

/// The current row of a running statement; valid only inside `run`'s callback.
struct MariaDBRow: ~Copyable {
    fileprivate let statement: MariaDBStatement

    /// nil for NULL.
    func integer(_ column: Int32) -> Int64? { statement.integer(Int(column)) }
    /// nil for NULL.
    func text(_ column: Int32) throws(DatabaseError) -> String? {
        try statement.text(Int(column))
    }
    /// Into `text`, keeping its string when the bytes are the same (NULL as
    /// ""); true when they differ.
    func update(_ text: inout String, _ column: Int32) throws(DatabaseError) -> Bool {
        try statement.update(&text, Int(column))
    }
    /// DATETIME → naive UTC; NULL → `.null`; zero or impossible dates → `.invalid`.
    func time(_ column: Int32) -> StoredTime { statement.time(Int(column)) }
}

/// The result binds of a statement and the heap buffers they point at, which
/// must outlive every fetch. Freed in deinit.
private final class ResultBuffers {
    /// varchar(255) in utf8mb4 is at most 1,020 bytes; longer values are re-fetched.
    static let textCapacity = 1024

    let count: Int
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let isNull: UnsafeMutablePointer<Int8>
    let errors: UnsafeMutablePointer<Int8>
    let lengths: UnsafeMutablePointer<UInt>
    let storage: [UnsafeMutableRawPointer]

    init(_ columns: [MariaDBStatement.Kind]) {
        count = columns.count
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        isNull = .allocate(capacity: count)
        isNull.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        var storage: [UnsafeMutableRawPointer] = []
        for (index, kind) in columns.enumerated() {
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
        binds.deinitialize(count: count)
        binds.deallocate()
        isNull.deallocate()
        errors.deallocate()
        lengths.deallocate()
    }

    func integer(_ index: Int) -> Int64? {
        isNull[index] != 0 ? nil : storage[index].load(as: Int64.self)
    }

    func time(_ index: Int) -> StoredTime {
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
