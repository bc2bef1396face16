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

    public func read(into rows: inout [ServiceRow]) throws(DatabaseError) -> Bool {
        try file.locked { file throws(DatabaseError) -> Bool in
            // Without an earlier read to go by, count first: the array is then
            // made once at its size, where doubling left 16,384 places (3.8 MB)
            // for 10,000 rows, and held the old and the new array at once.
            if rows.isEmpty { rows.reserveCapacity(try Self.liveRowCount(file)) }
            var overwrite = RowsOverwrite()
            try file.statement(ServiceQuery.sql).run { row in
                overwrite.next(&rows) { Self.update(&$0, from: row) }
            }
            return overwrite.finish(&rows)
        }
    }

    /// How many rows `ServiceQuery.sql` would return now (a hint: rows may
    /// come or go before the read itself).
    private static func liveRowCount(_ file: SQLiteFile) throws(DatabaseError) -> Int {
        var count = 0
        try file.statement(ServiceQuery.liveRowCountSQL).run { row in count = Int(row.integer(0) ?? 0) }
        return count
    }

    private typealias C = ServiceQuery.Column

    /// Overwrites `target` with one row, field by field; a text field whose
    /// bytes are unchanged keeps its string. True when a label changed:
    /// every text column is one, and so is `frozen`.
    static func update(_ target: inout ServiceRow, from row: SQLiteRow) -> Bool {
        var labelsChanged = false
        func text(_ column: C, _ field: inout String) {
            if row.update(&field, column.rawValue) { labelsChanged = true }
        }
        target.id = row.kind(C.id.rawValue) == .integer ? row.int64(C.id.rawValue) : 0
        text(.host, &target.host)
        text(.binary, &target.binary)
        text(.topic, &target.topic)
        text(.zone, &target.zone)
        text(.cluster, &target.cluster)
        text(.disabledReason, &target.disabledReason)
        text(.replicationStatus, &target.replicationStatus)
        text(.activeBackendID, &target.activeBackendID)
        text(.rpcVersion, &target.rpcVersion)
        text(.objectVersion, &target.objectVersion)
        let frozen = flag(row, .frozen)
        if frozen != target.frozen { labelsChanged = true }
        target.frozen = frozen
        target.reportCount = integer(row, .reportCount)
        target.disabled = flag(row, .disabled)
        target.createdAt = time(row, .createdAt)
        target.updatedAt = time(row, .updatedAt)
        target.modifiedAt = time(row, .modifiedAt)
        return labelsChanged
    }

    private static func integer(_ row: SQLiteRow, _ column: C) -> Int64? { row.integer(column.rawValue) }
    private static func flag(_ row: SQLiteRow, _ column: C) -> Bool { row.flag(column.rawValue) }
    private static func time(_ row: SQLiteRow, _ column: C) -> StoredTime { row.time(column.rawValue) }
}
