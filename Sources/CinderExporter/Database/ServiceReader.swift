/// Reads the live rows of Cinder's `services` table. Implementations own one
/// C library each and never write to the database.
public protocol ServiceReader: AnyObject, Sendable {
    /// Reads every row with `deleted = 0` into `rows`, in place: the row at
    /// each position is overwritten field by field, and a text field whose
    /// bytes are unchanged keeps its string (no allocation, and the array is
    /// not copied when nothing else holds it). Returns true when a label (a
    /// text column or `frozen`) or the number of rows differs from what
    /// `rows` held. Throws `DatabaseError` on any failure, leaving `rows`
    /// part old, part new: start afresh after a throw.
    func read(into rows: inout [ServiceRow]) throws(DatabaseError) -> Bool
    /// Where the rows come from, for logs: never holds a password.
    var description: String { get }
}

extension ServiceReader {
    /// Every row with `deleted = 0`. Throws `DatabaseError` on any failure.
    public func readRows() throws(DatabaseError) -> [ServiceRow] {
        var rows: [ServiceRow] = []
        _ = try read(into: &rows)
        return rows
    }
}

/// One read written over the last read's rows, row by row, as
/// `ServiceReader.read(into:)` describes: the row at each position is
/// overwritten, rows beyond the old count are appended, and rows the read
/// did not reach are dropped at the end.
struct RowsOverwrite {
    private var position = 0
    private var labelsChanged = false

    /// The next row of the read: `update` overwrites the row at this position
    /// (an empty one when the read is longer) and says whether a label changed.
    mutating func next<E: Error>(_ rows: inout [ServiceRow], _ update: (inout ServiceRow) throws(E) -> Bool) throws(E) {
        if position < rows.count {
            if try update(&rows[position]) { labelsChanged = true }
        } else {
            var added = ServiceRow(id: 0)
            _ = try update(&added)
            rows.append(added)
            labelsChanged = true
        }
        position += 1
    }

    /// Drops the rows the read did not reach; true when a label or the
    /// number of rows changed.
    mutating func finish(_ rows: inout [ServiceRow]) -> Bool {
        if position < rows.count {
            rows.removeSubrange(position...)
            labelsChanged = true
        }
        return labelsChanged
    }
}

/// A failed read, with the database library's own message.
public struct DatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The one query the exporter runs. Columns are named (never `SELECT *`) so
/// newer schemas with extra columns read the same; `binary` is a reserved word
/// in MySQL and both dialects accept the backticks.
enum ServiceQuery {
    static let sql = """
        SELECT id, host, `binary`, topic, availability_zone, cluster_name, disabled_reason, \
        replication_status, active_backend_id, rpc_current_version, object_current_version, \
        report_count, disabled, frozen, created_at, updated_at, modified_at \
        FROM services WHERE deleted = 0
        """

    /// How many rows `sql` returns.
    static let liveRowCountSQL = "SELECT count(*) FROM services WHERE deleted = 0"

    /// Column positions in `sql`.
    enum Column: Int32 {
        case id = 0, host, binary, topic, zone, cluster, disabledReason
        case replicationStatus, activeBackendID, rpcVersion, objectVersion
        case reportCount, disabled, frozen, createdAt, updatedAt, modifiedAt
    }
}
