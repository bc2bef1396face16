/// Reads the services table from MySQL or MariaDB (SPEC §5): one persistent
/// connection, re-made on the next read after any failure; connect, read and
/// write timeouts; always utf8mb4; a read-only session; one prepared
/// statement (MariaDBLink). The C calls live in MariaDB.swift.
public final class MariaDBReader: ServiceReader {
    public let target: DatabaseURL.MySQLTarget
    private let link: MariaDBLink

    public init(target: DatabaseURL.MySQLTarget, timeoutSeconds: Double) {
        self.target = target
        link = MariaDBLink(target: target, timeoutSeconds: Self.wholeSeconds(timeoutSeconds))
    }

    /// libmariadb takes whole seconds; round up so a short timeout is not 0 (= none).
    static func wholeSeconds(_ seconds: Double) -> UInt32 {
        let rounded = seconds.isFinite ? seconds.rounded(.up) : 3600
        return UInt32(min(max(rounded, 1), 3600))
    }

    public var description: String { link.description }

    public func readRows(reusingTextOf previous: [ServiceRow]) throws(DatabaseError) -> [ServiceRow] {
        var position = 0
        return try link.query(ServiceQuery.sql, columns: Self.columns, what: "the services table") { row throws(DatabaseError) in
            defer { position += 1 }
            return try Self.decode(row, reusing: position < previous.count ? previous[position] : nil)
        }
    }

    /// Tests only: runs one statement on the reader's own session, to prove
    /// that the session refuses writes. The exporter never calls it.
    func executeForTesting(_ sql: String) throws(DatabaseError) {
        try link.execute(sql)
    }

    static func redact(_ message: String, password: String) -> String {
        MariaDB.redact(message, password: password)
    }

    /// One kind per column of `ServiceQuery.sql`, in order.
    private static let columns: [MariaDBStatement.Kind] = [
        .integer,  // id
        .text, .text, .text, .text, .text, .text,  // host, binary, topic, zone, cluster, disabled_reason
        .text, .text, .text, .text,  // replication_status, active_backend_id, rpc/object versions
        .integer, .integer, .integer,  // report_count, disabled, frozen
        .time, .time, .time,  // created_at, updated_at, modified_at
    ]

    private typealias C = ServiceQuery.Column

    private static let blank = ServiceRow(id: 0)

    /// SPEC §1's readings, the same as `SQLiteReader.decode`; text reuses
    /// `earlier`'s strings where the bytes and the id are the same.
    private static func decode(_ row: borrowing MariaDBRow, reusing earlier: ServiceRow?) throws(DatabaseError) -> ServiceRow {
        let id = row.integer(C.id.rawValue) ?? 0
        let same = earlier.flatMap { $0.id == id ? $0 : nil } ?? Self.blank
        func text(_ column: C, _ earlier: String) throws(DatabaseError) -> String {
            try row.text(column.rawValue, reusing: earlier) ?? ""
        }
        return ServiceRow(
            id: id,
            host: try text(.host, same.host), binary: try text(.binary, same.binary),
            topic: try text(.topic, same.topic),
            zone: try text(.zone, same.zone), cluster: try text(.cluster, same.cluster),
            disabledReason: try text(.disabledReason, same.disabledReason),
            replicationStatus: try text(.replicationStatus, same.replicationStatus),
            activeBackendID: try text(.activeBackendID, same.activeBackendID),
            rpcVersion: try text(.rpcVersion, same.rpcVersion),
            objectVersion: try text(.objectVersion, same.objectVersion),
            reportCount: row.integer(C.reportCount.rawValue),
            disabled: (row.integer(C.disabled.rawValue) ?? 0) != 0, frozen: (row.integer(C.frozen.rawValue) ?? 0) != 0,
            createdAt: row.time(C.createdAt.rawValue), updatedAt: row.time(C.updatedAt.rawValue),
            modifiedAt: row.time(C.modifiedAt.rawValue))
    }
}
