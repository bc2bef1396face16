/// The three tables whose rows are Cinder's work (SPEC §9): what each is
/// called, how its rows are labelled and which of its statuses are in flight.
public enum WorkKind: String, CaseIterable, Sendable, Comparable {
    case volumes, snapshots, backups

    /// The collector's name in flags and in `cinder_exporter_collector_*{collector}`.
    public var collectorName: String { rawValue }

    /// Volumes and snapshots live on a backend pool; backups on a backup host.
    public var hasPool: Bool { self != .backups }

    /// The singular the `volumes` command prints in its `kind` column.
    public var singular: String {
        switch self {
        case .volumes: return "volume"
        case .snapshots: return "snapshot"
        case .backups: return "backup"
        }
    }

    /// Cinder 29's transitional statuses (`cinder/objects/fields.py`): work
    /// that is under way and should end by itself. Only these get an age.
    public var transitionalStatuses: [String] {
        switch self {
        case .volumes:
            return ["creating", "deleting", "attaching", "detaching", "maintenance", "reserved",
                    "awaiting-transfer", "backing-up", "restoring-backup", "downloading", "uploading",
                    "retyping", "extending", "managing"]
        case .snapshots:
            return ["creating", "deleting", "updating", "unmanaging", "backing-up", "restoring"]
        case .backups:
            return ["creating", "deleting", "restoring"]
        }
    }

    /// Byte comparison, never Swift's `==` (canonical equivalence) nor the
    /// database's collation: `CREATING` is not `creating`.
    public func isTransitional(_ status: String) -> Bool {
        transitionalStatuses.contains { $0.utf8.elementsEqual(status.utf8) }
    }

    public var families: WorkFamilies {
        switch self {
        case .volumes: return WorkFamilies(count: Metrics.volumes, size: Metrics.volumesSize, oldest: Metrics.volumesOldestAge)
        case .snapshots: return WorkFamilies(count: Metrics.snapshots, size: Metrics.snapshotsSize, oldest: Metrics.snapshotsOldestAge)
        case .backups: return WorkFamilies(count: Metrics.backups, size: Metrics.backupsSize, oldest: Metrics.backupsOldestAge)
        }
    }

    public static func < (a: WorkKind, b: WorkKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The three families one work collector exports.
public struct WorkFamilies: Sendable {
    public let count: MetricFamily
    public let size: MetricFamily
    public let oldest: MetricFamily
}
