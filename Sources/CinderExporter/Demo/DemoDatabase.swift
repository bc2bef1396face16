#if canImport(Glibc)
import Glibc
#endif

/// A self-made Cinder database whose services heartbeat like real ones
/// (SPEC §3 `demo`): every 10 s each running service bumps `report_count` and
/// `updated_at`; one volume service stops after a minute; one is disabled.
/// Its volumes move through Cinder's statuses (`DemoWork`), and one is stuck.
///
/// It only ever writes to a file it made: a new file gets a marker table, and
/// an existing file without that marker (a copy of a real Cinder database,
/// say) is refused untouched.
public final class DemoDatabase: Sendable {
    public let path: String
    /// Seconds after start when the "failing" volume service stops heartbeating.
    public let stopAfterSeconds: Int64
    private let startedMicros: Int64
    /// The stopping service's last heartbeat, and whether its stop was reported.
    private let stopping: Lock<(lastBeatMicros: Int64, reported: Bool)>

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

    /// The table that marks a database as the demo's own.
    static let markerTable = "cinder_exporter_demo"

    /// Why a path cannot hold the demo database: the message names the path.
    public struct Refusal: Error, Sendable, Equatable {
        public let message: String
    }

    public init(path: String, stopAfterSeconds: Int64 = 60) throws(Refusal) {
        self.path = path
        self.stopAfterSeconds = stopAfterSeconds
        startedMicros = Clock.nowMicros()
        stopping = Lock((startedMicros, false))
        do throws(DatabaseError) {
            let connection = try Self.openOwn(path)
            try connection.execute("BEGIN")
            try connection.execute(Self.schema)
            try connection.execute("CREATE TABLE IF NOT EXISTS \(Self.markerTable) (note TEXT)")
            try connection.execute("DELETE FROM \(Self.markerTable)")
            try connection.execute("INSERT INTO \(Self.markerTable) VALUES ('made by cinder-exporter demo; safe to delete')")
            try fill(connection)
            try connection.execute("COMMIT")
        } catch {
            throw Refusal(message: "cannot create the demo database \(path): \(error.message)")
        }
    }

    /// A new file (created exclusively, so nothing else is ever opened for
    /// writing), or an existing one that carries the demo's marker.
    private static func openOwn(_ path: String) throws(DatabaseError) -> SQLiteConnection {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd >= 0 {
            close(fd)
            return try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 5000)
        }
        guard errno == EEXIST else {
            throw DatabaseError(String(cString: strerror(errno)))
        }
        // Look before writing: read-only, so a file that is not ours stays as it was.
        var marked = false
        do throws(DatabaseError) {
            let reader = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMillis: 5000)
            try reader.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '\(markerTable)'")
                .run { row throws(DatabaseError) in marked = row.int64(0) > 0 }
        } catch {
            marked = false
        }
        guard marked else {
            throw DatabaseError("the file exists and was not made by `cinder-exporter demo`; it is left untouched "
                + "(give a new path, or none for a temporary one)")
        }
        return try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 5000)
    }

    private func fill(_ connection: SQLiteConnection) throws(DatabaseError) {
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

    /// The service that stopped heartbeating, reported once by `heartbeat()`.
    public struct Stopped: Sendable, Equatable {
        public let host: String
        public let binary: String
        /// Its last heartbeat: it is down once this is older than service_down_time.
        public let lastHeartbeatMicros: Int64
    }

    /// One round of heartbeats, as each service's `report_state` would do.
    /// The stopping service heartbeats in every round that starts less than
    /// `stopAfterSeconds` after creation; the first round after that returns
    /// it (once), so the demo can say when it will turn down.
    @discardableResult
    public func heartbeat() throws(DatabaseError) -> Stopped? {
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
        return stopping.withLock { state -> Stopped? in
            guard stopped else {
                state.lastBeatMicros = now
                return nil
            }
            guard !state.reported, let service = Self.services.first(where: \.stops) else { return nil }
            state.reported = true
            return Stopped(host: service.host, binary: service.binary, lastHeartbeatMicros: state.lastBeatMicros)
        }
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
