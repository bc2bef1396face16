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

    public func read(into rows: inout [ServiceRow]) throws(DatabaseError) -> Bool {
        var overwrite = RowsOverwrite()
        try link.run(ServiceQuery.sql, columns: Self.columns, what: "the services table",
                     expectedRows: { rows.reserveCapacity($0) }) { row throws(DatabaseError) in
            try overwrite.next(&rows) { target throws(DatabaseError) in try Self.update(&target, from: row) }
        }
        return overwrite.finish(&rows)
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

    /// SPEC §1's readings, the same as `SQLiteReader.update`: overwrites
    /// `target` field by field, keeping each string whose bytes are unchanged;
    /// true when a label (a text column, or `frozen`) changed.
    private static func update(_ target: inout ServiceRow, from row: borrowing MariaDBRow) throws(DatabaseError) -> Bool {
        var labelsChanged = false
        func text(_ column: C, _ field: inout String) throws(DatabaseError) {
            if try row.update(&field, column.rawValue) { labelsChanged = true }
        }
        target.id = row.integer(C.id.rawValue) ?? 0
        try text(.host, &target.host)
        try text(.binary, &target.binary)
        try text(.topic, &target.topic)
        try text(.zone, &target.zone)
        try text(.cluster, &target.cluster)
        try text(.disabledReason, &target.disabledReason)
        try text(.replicationStatus, &target.replicationStatus)
        try text(.activeBackendID, &target.activeBackendID)
        try text(.rpcVersion, &target.rpcVersion)
        try text(.objectVersion, &target.objectVersion)
        let frozen = (row.integer(C.frozen.rawValue) ?? 0) != 0
        if frozen != target.frozen { labelsChanged = true }
        target.frozen = frozen
        target.reportCount = row.integer(C.reportCount.rawValue)
        target.disabled = (row.integer(C.disabled.rawValue) ?? 0) != 0
        target.createdAt = row.time(C.createdAt.rawValue)
        target.updatedAt = row.time(C.updatedAt.rawValue)
        target.modifiedAt = row.time(C.modifiedAt.rawValue)
        return labelsChanged
    }
}
