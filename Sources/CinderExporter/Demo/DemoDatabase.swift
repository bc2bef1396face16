/// A self-made Cinder database whose services heartbeat like real ones
/// (SPEC §3 `demo`): every 10 s each running service bumps `report_count` and
/// `updated_at`; one volume service stops after a minute; one is disabled.
/// Its volumes move through Cinder's statuses (`DemoWork`), and one is stuck.
public final class DemoDatabase: Sendable {
    public let path: String
    /// Seconds after start when the "failing" volume service stops heartbeating.
    public let stopAfterSeconds: Int64
    private let startedMicros: Int64

    /// The Ocata services schema (seed §3) plus `uuid`, a newer column the
    /// exporter must tolerate, and Cinder 29's work tables (SPEC §9).
    public static let schema = """
        CREATE TABLE IF NOT EXISTS services (
            created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
            id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            host VARCHAR(255), `binary` VARCHAR(255), topic VARCHAR(255),
            report_count INTEGER NOT NULL, disabled BOOLEAN, availability_zone VARCHAR(255),
            disabled_reason VARCHAR(255), modified_at DATETIME,
            rpc_current_version VARCHAR(36), object_current_version VARCHAR(36),
            replication_status VARCHAR(36), frozen BOOLEAN, active_backend_id VARCHAR(255),
            cluster_name VARCHAR(255), uuid VARCHAR(36)
        );

        """ + CinderSchema.workTables(.sqlite).map { $0 + ";\n" }.joined()

    struct Service {
        let host: String, binary: String, zone: String, cluster: String?
        let disabledReason: String?
        let stops: Bool
    }

    static let services: [Service] = [
        Service(host: "controller-1", binary: "cinder-scheduler", zone: "nova", cluster: nil, disabledReason: nil, stops: false),
        Service(host: "controller-2", binary: "cinder-scheduler", zone: "nova", cluster: nil, disabledReason: nil, stops: false),
        Service(host: "storage-1@lvm", binary: "cinder-volume", zone: "az1", cluster: "lvm-cluster@lvm", disabledReason: nil, stops: false),
        Service(host: "storage-2@ceph", binary: "cinder-volume", zone: "az2", cluster: nil, disabledReason: nil, stops: true),
        Service(host: "storage-3@nfs", binary: "cinder-volume", zone: "az2", cluster: nil,
                disabledReason: "maintenance: replacing disks", stops: false),
        Service(host: "controller-1", binary: "cinder-backup", zone: "nova", cluster: nil, disabledReason: nil, stops: false),
    ]

    public init(path: String, stopAfterSeconds: Int64 = 60) throws(DatabaseError) {
        self.path = path
        self.stopAfterSeconds = stopAfterSeconds
        startedMicros = Clock.nowMicros()
        let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 5000)
        try connection.execute(Self.schema)
        try connection.execute("DELETE FROM services")
        let insert = try connection.prepare("""
            INSERT INTO services (created_at, updated_at, deleted, host, `binary`, topic, report_count,
                disabled, availability_zone, disabled_reason, modified_at, rpc_current_version,
                object_current_version, replication_status, frozen, active_backend_id, cluster_name)
            VALUES (?, ?, 0, ?, ?, ?, 0, ?, ?, ?, ?, '3.15', '1.38', ?, 0, NULL, ?)
            """)
        let now = Self.text(startedMicros)
        for service in Self.services {
            let isVolume = service.binary == "cinder-volume"
            try insert.bind([
                .text(now), .text(now), .text(service.host), .text(service.binary), .text(service.binary),
                .integer(service.disabledReason == nil ? 0 : 1), .text(service.zone),
                service.disabledReason.map { .text($0) } ?? .null,
                service.disabledReason == nil ? .null : .text(now),
                isVolume ? .text("disabled") : .null,
                service.cluster.map { .text($0) } ?? .null,
            ])
            try insert.run { _ throws(DatabaseError) in }
        }
        // A row Cinder soft-deleted: never exported.
        try connection.execute("""
            INSERT INTO services (created_at, updated_at, deleted_at, deleted, host, `binary`, topic, report_count, disabled, availability_zone)
            VALUES ('\(now)', '\(now)', '\(now)', 1, 'old-storage@lvm', 'cinder-volume', 'cinder-volume', 42, 0, 'az1')
            """)
        try DemoWork.create(connection, nowMicros: startedMicros)
    }

    /// One round of heartbeats, as each service's `report_state` would do.
    public func heartbeat() throws(DatabaseError) {
        let now = Clock.nowMicros()
        let connection = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 5000)
        let stopped = now - startedMicros >= stopAfterSeconds * 1_000_000
        let update = try connection.prepare("""
            UPDATE services SET updated_at = ?, report_count = report_count + 1
            WHERE deleted = 0 AND (host, `binary`) = (?, ?)
            """)
        for service in Self.services where !(service.stops && stopped) {
            try update.bind([.text(Self.text(now)), .text(service.host), .text(service.binary)])
            try update.run { _ throws(DatabaseError) in }
        }
        // Work moves on only where a volume service still runs.
        try DemoWork.step(connection, nowMicros: now,
                          stoppedHosts: stopped ? Self.services.filter(\.stops).map(\.host) : [])
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff`, as SQLAlchemy stores DATETIME in SQLite.
    static func text(_ micros: Int64) -> String {
        UTCTime.isoString(micros: micros).replacingFirstT()
    }
}

extension String {
    fileprivate func replacingFirstT() -> String {
        guard let index = firstIndex(of: "T") else { return self }
        var copy = self
        copy.replaceSubrange(index...index, with: " ")
        return copy
    }
}
