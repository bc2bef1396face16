import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads the services table from a SQLite file, read-only, with a busy timeout
/// (Cinder may be writing). The connection is kept between reads and re-opened
/// when the file at the path is replaced or comes back.
public final class SQLiteReader: ServiceReader {
    public let path: String
    private let busyTimeoutMillis: Int32

    private struct Open {
        let connection: SQLiteConnection
        let statement: SQLiteStatement
        let device: UInt64
        let inode: UInt64
    }
    // Reads are serialised by this mutex; the SQLite handles are used by one
    // thread at a time, which is what SQLITE_OPEN_NOMUTEX requires.
    private let state = Mutex<Open?>(nil)

    /// The URL as the user wrote it (password redacted), for messages.
    public let url: String

    public init(path: String, timeoutSeconds: Double, url: String? = nil) {
        self.path = path
        self.url = url ?? "sqlite:///" + path
        busyTimeoutMillis = Int32(clamping: Int64((timeoutSeconds * 1000).rounded()))
    }

    public var description: String { url }

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

    public func readRows() throws(DatabaseError) -> [ServiceRow] {
        let result: Result<[ServiceRow], DatabaseError> = state.withLock { open in
            do throws(DatabaseError) {
                var info = stat()
                guard stat(path, &info) == 0 else {
                    open = nil
                    throw DatabaseError(missingFileMessage(errorNumber: errno))
                }
                let device = UInt64(info.st_dev), inode = UInt64(info.st_ino)
                if open == nil || open?.device != device || open?.inode != inode {
                    open = nil
                    let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMillis: busyTimeoutMillis)
                    let statement = try connection.prepare(ServiceQuery.sql)
                    open = Open(connection: connection, statement: statement, device: device, inode: inode)
                }
                guard let current = open else { return .success([]) }
                var rows: [ServiceRow] = []
                do throws(DatabaseError) {
                    try current.statement.run { row throws(DatabaseError) in rows.append(Self.decode(row)) }
                } catch {
                    // A schema change or corruption: start afresh next time.
                    open = nil
                    throw error
                }
                return .success(rows)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private typealias C = ServiceQuery.Column

    static func decode(_ row: SQLiteRow) -> ServiceRow {
        ServiceRow(
            id: row.kind(C.id.rawValue) == .integer ? row.int64(C.id.rawValue) : 0,
            host: text(row, .host), binary: text(row, .binary), topic: text(row, .topic),
            zone: text(row, .zone), cluster: text(row, .cluster),
            disabledReason: text(row, .disabledReason),
            replicationStatus: text(row, .replicationStatus),
            activeBackendID: text(row, .activeBackendID),
            rpcVersion: text(row, .rpcVersion), objectVersion: text(row, .objectVersion),
            reportCount: integer(row, .reportCount),
            disabled: flag(row, .disabled), frozen: flag(row, .frozen),
            createdAt: time(row, .createdAt), updatedAt: time(row, .updatedAt),
            modifiedAt: time(row, .modifiedAt))
    }

    /// NULL reads as ""; invalid UTF-8 becomes U+FFFD.
    private static func text(_ row: SQLiteRow, _ column: C) -> String {
        if row.kind(column.rawValue) == .null { return "" }
        return row.withBytes(column.rawValue) { String(decoding: $0, as: UTF8.self) }
    }

    private static func integer(_ row: SQLiteRow, _ column: C) -> Int64? {
        switch row.kind(column.rawValue) {
        case .integer: return row.int64(column.rawValue)
        case .real: return Int64(exactly: row.double(column.rawValue))
        case .text: return row.withBytes(column.rawValue) { Int64(String(decoding: $0, as: UTF8.self)) }
        case .null, .blob: return nil
        }
    }

    /// SPEC §1: NULL or 0 is false, anything else true.
    private static func flag(_ row: SQLiteRow, _ column: C) -> Bool {
        switch row.kind(column.rawValue) {
        case .null: return false
        case .integer: return row.int64(column.rawValue) != 0
        case .real: return row.double(column.rawValue) != 0
        case .text, .blob: return row.withBytes(column.rawValue) { !$0.elementsEqual("0".utf8) }
        }
    }

    private static func time(_ row: SQLiteRow, _ column: C) -> StoredTime {
        switch row.kind(column.rawValue) {
        case .null: return .null
        case .text, .blob: return row.withBytes(column.rawValue) { UTCTime.parse($0) }
        case .integer, .real: return .invalid
        }
    }
}
