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
        return try previous.withUnsafeBufferPointer { previous throws(DatabaseError) in
            try link.query(ServiceQuery.sql, columns: Self.columns, what: "the services table") { row throws(DatabaseError) in
                defer { position += 1 }
                return try Self.decode(row, reusing: previous, at: position)
            }
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

    /// SPEC §1's readings, the same as `SQLiteReader.decode`; text reuses the
    /// strings of `previous[position]` where the bytes and the id are the same.
    private static func decode(_ row: borrowing MariaDBRow, reusing previous: UnsafeBufferPointer<ServiceRow>,
                               at position: Int) throws(DatabaseError) -> ServiceRow {
        let id = row.integer(C.id.rawValue) ?? 0
        let earlier = position < previous.count && previous[position].id == id ? previous.baseAddress! + position : nil
        func text(_ column: C, _ reusable: String?) throws(DatabaseError) -> String {
            try row.text(column.rawValue, reusing: reusable ?? "") ?? ""
        }
        return ServiceRow(
            id: id,
            host: try text(.host, earlier?.pointee.host), binary: try text(.binary, earlier?.pointee.binary),
            topic: try text(.topic, earlier?.pointee.topic),
            zone: try text(.zone, earlier?.pointee.zone), cluster: try text(.cluster, earlier?.pointee.cluster),
            disabledReason: try text(.disabledReason, earlier?.pointee.disabledReason),
            replicationStatus: try text(.replicationStatus, earlier?.pointee.replicationStatus),
            activeBackendID: try text(.activeBackendID, earlier?.pointee.activeBackendID),
            rpcVersion: try text(.rpcVersion, earlier?.pointee.rpcVersion),
            objectVersion: try text(.objectVersion, earlier?.pointee.objectVersion),
            reportCount: row.integer(C.reportCount.rawValue),
            disabled: (row.integer(C.disabled.rawValue) ?? 0) != 0, frozen: (row.integer(C.frozen.rawValue) ?? 0) != 0,
            createdAt: row.time(C.createdAt.rawValue), updatedAt: row.time(C.updatedAt.rawValue),
            modifiedAt: row.time(C.modifiedAt.rawValue))
    }
}
