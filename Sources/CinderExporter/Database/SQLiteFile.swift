#if canImport(Glibc)
import Glibc
#endif

/// A read-only connection to the SQLite file at a path, opened on first use
/// and re-opened when the file is replaced (another inode) or comes back, with
/// its prepared statements. `@unchecked Sendable`: the handles are touched
/// only inside `locked`, one thread at a time, which is what
/// SQLITE_OPEN_NOMUTEX requires.
final class SQLiteFile: @unchecked Sendable {
    private let lock = Lock(())
    let path: String
    private let busyTimeoutMillis: Int32

    private struct Open {
        let connection: SQLiteConnection
        var statements: [String: SQLiteStatement]
        let device: UInt64
        let inode: UInt64
    }
    private var open: Open?

    /// The page cache each connection may fill (SQLite's default is 2,000
    /// KiB). A scan reads every page anyway, and Cinder's writes (a heartbeat
    /// per service every 10 s) invalidate the cache between reads, so a
    /// bigger cache buys little and costs resident memory all the time: two
    /// connections over 10,000 services held 4 MB of pages.
    static let pageCacheKiB = 256

    init(path: String, timeoutSeconds: Double) {
        self.path = path
        busyTimeoutMillis = Int32(clamping: Int64((timeoutSeconds * 1000).rounded()))
    }

    /// The connection to the file now at `path`, opened or re-opened as needed.
    private func connection() throws(DatabaseError) -> SQLiteConnection {
        var info = stat()
        guard stat(path, &info) == 0 else {
            open = nil
            throw DatabaseError(missingFileMessage(errorNumber: errno))
        }
        let device = UInt64(info.st_dev), inode = UInt64(info.st_ino)
        if let current = open, current.device == device, current.inode == inode { return current.connection }
        open = nil
        let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMillis: busyTimeoutMillis,
                                              pageCacheKiB: Self.pageCacheKiB)
        open = Open(connection: connection, statements: [:], device: device, inode: inode)
        return connection
    }

    /// Runs `body` with the connection's statements interrupted after `seconds`.
    func interrupting<T>(after seconds: Double, _ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try connection().interrupting(after: seconds, body)
    }

    /// Why the file cannot be opened; a relative path that does not exist gets
    /// the four-slash hint (`sqlite:///var/lib/…` is relative to the working folder).
    func missingFileMessage(errorNumber: Int32) -> String {
        var message = "cannot open SQLite database \(path): \(String(cString: strerror(errorNumber)))"
        if errorNumber == ENOENT, !path.hasPrefix("/") {
            var cwd = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let folder = getcwd(&cwd, cwd.count).map { String(cString: $0) } ?? "the working folder"
            message += " (three slashes make the path relative to \(folder); an absolute path needs four: sqlite:////\(path))"
        }
        return message
    }

    /// `sql` prepared once per connection.
    func statement(_ sql: String) throws(DatabaseError) -> SQLiteStatement {
        let connection = try connection()
        if let prepared = open?.statements[sql] { return prepared }
        let prepared = try connection.prepare(sql)
        open?.statements[sql] = prepared
        return prepared
    }

    /// Runs `body` on this file, alone; after any failure (a schema change, a
    /// corrupt or vanished file) the next call starts afresh.
    func locked<T: Sendable>(_ body: (SQLiteFile) throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        let result: Result<T, DatabaseError> = lock.withLock { _ in
            do throws(DatabaseError) {
                return .success(try body(self))
            } catch {
                open = nil
                return .failure(error)
            }
        }
        return try result.get()
    }
}
