/// Reads the services table from a SQLite file, read-only, with a busy timeout
/// (Cinder may be writing). The connection is kept between reads and re-opened
/// when the file at the path is replaced or comes back.
public final class SQLiteReader: ServiceReader {
    public let path: String
    // Reads are serialised by the file's lock (one thread at a time per connection).
    private let file: SQLiteFile

    /// The URL as the user wrote it (password redacted), for messages.
    public let url: String

    public init(path: String, timeoutSeconds: Double, url: String? = nil) {
        self.path = path
        self.url = url ?? "sqlite:///" + path
        file = SQLiteFile(path: path, timeoutSeconds: timeoutSeconds)
    }

    public var description: String { url }

    public func readRows() throws(DatabaseError) -> [ServiceRow] {
        try file.locked { file throws(DatabaseError) in
            var rows: [ServiceRow] = []
            try file.statement(ServiceQuery.sql).run { row throws(DatabaseError) in rows.append(Self.decode(row)) }
            return rows
        }
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

    private static func text(_ row: SQLiteRow, _ column: C) -> String { row.text(column.rawValue) }
    private static func integer(_ row: SQLiteRow, _ column: C) -> Int64? { row.integer(column.rawValue) }
    private static func flag(_ row: SQLiteRow, _ column: C) -> Bool { row.flag(column.rawValue) }
    private static func time(_ row: SQLiteRow, _ column: C) -> StoredTime { row.time(column.rawValue) }
}
