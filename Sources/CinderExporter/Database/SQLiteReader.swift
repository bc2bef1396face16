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
                    rows.append(Self.decode(row, reusing: previous, at: rows.count))
                }
            }
            return rows
        }
    }

    private typealias C = ServiceQuery.Column

    /// One row; its text reuses the strings of `previous[position]` where the
    /// bytes are the same and so is the id (rows come back in the same order
    /// read after read). The earlier row is read in place, never copied.
    static func decode(_ row: SQLiteRow, reusing previous: UnsafeBufferPointer<ServiceRow> = .init(start: nil, count: 0),
                       at position: Int = 0) -> ServiceRow {
        let id = row.kind(C.id.rawValue) == .integer ? row.int64(C.id.rawValue) : 0
        // The earlier row at this place, if it is the same row; its fields
        // are read through the buffer (a row copy would retain every string).
        let earlier = position < previous.count && previous[position].id == id ? previous.baseAddress! + position : nil
        func text(_ column: C, _ reusable: String?) -> String { row.text(column.rawValue, reusing: reusable ?? "") }
        return ServiceRow(
            id: id,
            host: text(.host, earlier?.pointee.host), binary: text(.binary, earlier?.pointee.binary),
            topic: text(.topic, earlier?.pointee.topic),
            zone: text(.zone, earlier?.pointee.zone), cluster: text(.cluster, earlier?.pointee.cluster),
            disabledReason: text(.disabledReason, earlier?.pointee.disabledReason),
            replicationStatus: text(.replicationStatus, earlier?.pointee.replicationStatus),
            activeBackendID: text(.activeBackendID, earlier?.pointee.activeBackendID),
            rpcVersion: text(.rpcVersion, earlier?.pointee.rpcVersion),
            objectVersion: text(.objectVersion, earlier?.pointee.objectVersion),
            reportCount: integer(row, .reportCount),
            disabled: flag(row, .disabled), frozen: flag(row, .frozen),
            createdAt: time(row, .createdAt), updatedAt: time(row, .updatedAt),
            modifiedAt: time(row, .modifiedAt))
    }

    private static func integer(_ row: SQLiteRow, _ column: C) -> Int64? { row.integer(column.rawValue) }
    private static func flag(_ row: SQLiteRow, _ column: C) -> Bool { row.flag(column.rawValue) }
    private static func time(_ row: SQLiteRow, _ column: C) -> StoredTime { row.time(column.rawValue) }
}
