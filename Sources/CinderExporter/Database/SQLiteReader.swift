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

    public func readRows(reusingTextOf previous: [ServiceRow]) throws(DatabaseError) -> [ServiceRow] {
        try file.locked { file throws(DatabaseError) in
            var rows: [ServiceRow] = []
            rows.reserveCapacity(previous.count)
            try previous.withUnsafeBufferPointer { previous throws(DatabaseError) in
                try file.statement(ServiceQuery.sql).run { row throws(DatabaseError) in
                    let earlier = rows.count < previous.count ? previous[rows.count] : nil
                    rows.append(Self.decode(row, reusing: earlier))
                }
            }
            return rows
        }
    }

    private typealias C = ServiceQuery.Column

    /// One row; its text reuses `earlier`'s strings where the bytes are the
    /// same and the id is (rows come back in the same order read after read).
    static func decode(_ row: SQLiteRow, reusing earlier: ServiceRow? = nil) -> ServiceRow {
        let id = row.kind(C.id.rawValue) == .integer ? row.int64(C.id.rawValue) : 0
        let same = earlier.flatMap { $0.id == id ? $0 : nil } ?? Self.blank
        return ServiceRow(
            id: id,
            host: text(row, .host, same.host), binary: text(row, .binary, same.binary),
            topic: text(row, .topic, same.topic),
            zone: text(row, .zone, same.zone), cluster: text(row, .cluster, same.cluster),
            disabledReason: text(row, .disabledReason, same.disabledReason),
            replicationStatus: text(row, .replicationStatus, same.replicationStatus),
            activeBackendID: text(row, .activeBackendID, same.activeBackendID),
            rpcVersion: text(row, .rpcVersion, same.rpcVersion),
            objectVersion: text(row, .objectVersion, same.objectVersion),
            reportCount: integer(row, .reportCount),
            disabled: flag(row, .disabled), frozen: flag(row, .frozen),
            createdAt: time(row, .createdAt), updatedAt: time(row, .updatedAt),
            modifiedAt: time(row, .modifiedAt))
    }

    private static let blank = ServiceRow(id: 0)

    private static func text(_ row: SQLiteRow, _ column: C, _ earlier: String) -> String {
        row.text(column.rawValue, reusing: earlier)
    }
    private static func integer(_ row: SQLiteRow, _ column: C) -> Int64? { row.integer(column.rawValue) }
    private static func flag(_ row: SQLiteRow, _ column: C) -> Bool { row.flag(column.rawValue) }
    private static func time(_ row: SQLiteRow, _ column: C) -> StoredTime { row.time(column.rawValue) }
}
