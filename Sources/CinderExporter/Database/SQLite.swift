internal import CSQLite3
#if canImport(Glibc)
import Glibc
#endif

/// The one place that calls libsqlite3. A connection owns its handle and closes
/// it in deinit; every C status becomes a `DatabaseError` with SQLite's message.
final class SQLiteConnection {
    private let handle: OpaquePointer
    /// Monotonic seconds after which a running statement is interrupted
    /// (`interrupting(after:)`); read by the progress handler.
    private let deadline = UnsafeMutablePointer<Double>.allocate(capacity: 1)

    /// Opens an existing file read-only, or (for tools and tests) read-write,
    /// creating it. `pageCacheKiB` bounds the connection's page cache when
    /// given; SQLite's default is 2,000 KiB.
    init(path: String, readOnly: Bool, busyTimeoutMillis: Int32, pageCacheKiB: Int? = nil) throws(DatabaseError) {
        var db: OpaquePointer?
        let flags = readOnly
            ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
            : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path, &db, flags, nil)
        guard status == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(db)
            throw DatabaseError("cannot open SQLite database \(path): \(message)")
        }
        handle = db
        deadline.initialize(to: .infinity)
        sqlite3_busy_timeout(db, busyTimeoutMillis)
        sqlite3_extended_result_codes(db, 1)
        if let pageCacheKiB { try execute("PRAGMA cache_size = -\(pageCacheKiB)") }
    }

    deinit {
        sqlite3_close_v2(handle)
        deadline.deallocate()
    }

    /// Runs `body` with every statement of this connection interrupted once
    /// `seconds` have passed (SQLITE_INTERRUPT): a long scan cannot outlive
    /// its bound. The handler runs every 1,000 virtual-machine steps.
    func interrupting<T>(after seconds: Double, _ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        deadline.pointee = Clock.monotonicSeconds() + seconds
        sqlite3_progress_handler(handle, 1000, { context in
            guard let context else { return 0 }
            return Clock.monotonicSeconds() > context.load(as: Double.self) ? 1 : 0
        }, UnsafeMutableRawPointer(deadline))
        defer {
            sqlite3_progress_handler(handle, 0, nil, nil)
            deadline.pointee = .infinity
        }
        return try body()
    }

    func execute(_ sql: String) throws(DatabaseError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(handle, sql, nil, nil, &errorMessage) != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastError
            sqlite3_free(errorMessage)
            throw DatabaseError("SQLite: \(message)")
        }
    }

    func prepare(_ sql: String) throws(DatabaseError) -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement
        else { throw DatabaseError("SQLite: \(lastError)") }
        return SQLiteStatement(statement, connection: self)
    }

    var lastError: String { String(cString: sqlite3_errmsg(handle)) }
}

/// A prepared statement; finalized in deinit, reset before every run.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection

    fileprivate init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    enum Value {
        case null
        case integer(Int64)
        case real(Double)
        case text(String)
    }

    func bind(_ values: [Value]) throws(DatabaseError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(handle, index)
            case .integer(let v): status = sqlite3_bind_int64(handle, index, v)
            case .real(let v): status = sqlite3_bind_double(handle, index, v)
            // By byte length: a NUL inside the text is kept, not an end.
            case .text(let v): status = sqlite3_bind_text(handle, index, v, Int32(v.utf8.count), cinder_sqlite3_transient())
            }
            guard status == SQLITE_OK else { throw DatabaseError("SQLite: \(connection.lastError)") }
        }
    }

    /// Runs the statement to completion, calling `row` once per result row.
    func run(_ row: (SQLiteRow) throws(DatabaseError) -> Void) throws(DatabaseError) {
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: try row(SQLiteRow(handle: handle))
            case SQLITE_DONE: return
            default: throw DatabaseError("SQLite: \(connection.lastError)")
            }
        }
    }
}

/// The current row of a stepping statement; valid only inside `run`'s callback.
struct SQLiteRow {
    fileprivate let handle: OpaquePointer

    enum Kind { case null, integer, real, text, blob }

    func kind(_ column: Int32) -> Kind {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer
        case SQLITE_FLOAT: return .real
        case SQLITE_TEXT: return .text
        case SQLITE_BLOB: return .blob
        default: return .null
        }
    }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// The column's bytes, by length: NUL bytes survive and nothing is read as
    /// a C string.
    func withBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        guard let pointer = sqlite3_column_blob(handle, column) else {
            return body(UnsafeBufferPointer(start: nil, count: 0))
        }
        let count = Int(sqlite3_column_bytes(handle, column))
        return body(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: UInt8.self), count: count))
    }
}

/// SPEC §1's readings of a column, whatever type SQLite stored in it.
extension SQLiteRow {
    /// NULL reads as ""; invalid UTF-8 becomes U+FFFD.
    func text(_ column: Int32) -> String {
        // NULL has no bytes: it reads as "" without asking for its type first.
        withBytes(column) { String(decoding: $0, as: UTF8.self) }
    }

    /// Reads the column into `text` as `text(_:)` does, keeping `text`'s
    /// string when the bytes are the same; true when they differ.
    func update(_ text: inout String, _ column: Int32) -> Bool {
        withBytes(column) { TextBytes.update(&text, to: UnsafeRawBufferPointer($0)) }
    }

    /// nil for NULL or anything that is not a whole number.
    func integer(_ column: Int32) -> Int64? {
        switch kind(column) {
        case .integer: return int64(column)
        case .real: return Int64(exactly: double(column))
        case .text: return withBytes(column) { Int64(String(decoding: $0, as: UTF8.self)) }
        case .null, .blob: return nil
        }
    }

    /// NULL or 0 is false, anything else true.
    func flag(_ column: Int32) -> Bool {
        switch kind(column) {
        case .null: return false
        case .integer: return int64(column) != 0
        case .real: return double(column) != 0
        case .text, .blob: return withBytes(column) { !$0.elementsEqual("0".utf8) }
        }
    }

    /// Text in SQLAlchemy's DATETIME form, else `.invalid`; NULL is `.null`.
    func time(_ column: Int32) -> StoredTime {
        switch kind(column) {
        case .null: return .null
        case .text, .blob: return withBytes(column) { UTCTime.parse($0) }
        case .integer, .real: return .invalid
        }
    }
}
