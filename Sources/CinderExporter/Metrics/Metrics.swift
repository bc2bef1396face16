/// Every metric family the exporter writes: the names are part of the contract
/// (SPEC §2) and appear nowhere else in the code.
public struct MetricFamily: Sendable {
    public enum Kind: String, Sendable { case gauge, counter }
    public let name: String
    public let help: String
    public let kind: Kind

    /// The sample name: counters end in `_total`; the family name in
    /// HELP/TYPE lacks the suffix in OpenMetrics only.
    public var sampleName: String {
        switch kind {
        case .gauge: return name
        case .counter: return name + "_total"
        }
    }
}

public enum Metrics {
    public static let serviceUp = MetricFamily(
        name: "cinder_service_up",
        help: "1 if the service heartbeat is within service_down_time of now (Cinder's rule), else 0.",
        kind: .gauge)
    public static let heartbeatAge = MetricFamily(
        name: "cinder_service_heartbeat_age_seconds",
        help: "Seconds since the last heartbeat (updated_at, else created_at); negative when the service clock is ahead.",
        kind: .gauge)
    public static let reports = MetricFamily(
        name: "cinder_service_reports",
        help: "Heartbeats the service has reported (the report_count column).",
        kind: .gauge)
    public static let disabled = MetricFamily(
        name: "cinder_service_disabled",
        help: "1 if the service is disabled, else 0.",
        kind: .gauge)
    public static let lastHeartbeat = MetricFamily(
        name: "cinder_service_last_heartbeat_timestamp_seconds",
        help: "Unix time of the last heartbeat (updated_at, else created_at).",
        kind: .gauge)
    public static let serviceInfo = MetricFamily(
        name: "cinder_service_info",
        help: "Descriptive labels of each live service; the value is always 1.",
        kind: .gauge)
    public static let downTime = MetricFamily(
        name: "cinder_service_down_time_seconds",
        help: "The service_down_time threshold in force, in seconds.",
        kind: .gauge)
    public static let databaseUp = MetricFamily(
        name: "cinder_exporter_database_up",
        help: "1 if the last read of the services table succeeded, else 0.",
        kind: .gauge)
    public static let scrapeDuration = MetricFamily(
        name: "cinder_exporter_scrape_duration_seconds",
        help: "Seconds spent reading the services table and rendering this exposition.",
        kind: .gauge)
    public static let scrapeErrors = MetricFamily(
        name: "cinder_exporter_scrape_errors",
        help: "Failed reads of the services table since the exporter started.",
        kind: .counter)
    public static let databaseReads = MetricFamily(
        name: "cinder_exporter_database_reads",
        help: "Reads of the services table since the exporter started; overlapping scrapes share one.",
        kind: .counter)
    public static let duplicateRows = MetricFamily(
        name: "cinder_exporter_duplicate_rows",
        help: "Live rows dropped in the last read because another row had the same host, binary, zone and cluster.",
        kind: .gauge)
    public static let buildInfo = MetricFamily(
        name: "cinder_exporter_build_info",
        help: "Version and revision of this exporter; the value is always 1.",
        kind: .gauge)

    // SPEC §9: work in flight, per exported host, pool and status.
    public static let volumes = MetricFamily(
        name: "cinder_volumes", help: "Live volumes (deleted = 0) by backend host, pool and status.", kind: .gauge)
    public static let volumesSize = MetricFamily(
        name: "cinder_volumes_size_bytes", help: "Allocated size of those volumes (size GiB x 2^30).", kind: .gauge)
    public static let volumesOldestAge = MetricFamily(
        name: "cinder_volumes_oldest_age_seconds",
        help: "Seconds since the oldest volume of a transitional status last changed (updated_at, else created_at).",
        kind: .gauge)
    public static let snapshots = MetricFamily(
        name: "cinder_snapshots", help: "Live snapshots by their volume's backend host, pool and status.", kind: .gauge)
    public static let snapshotsSize = MetricFamily(
        name: "cinder_snapshots_size_bytes", help: "Size of those snapshots (volume_size GiB x 2^30).", kind: .gauge)
    public static let snapshotsOldestAge = MetricFamily(
        name: "cinder_snapshots_oldest_age_seconds",
        help: "Seconds since the oldest snapshot of a transitional status last changed (updated_at, else created_at).",
        kind: .gauge)
    public static let backups = MetricFamily(
        name: "cinder_backups", help: "Live backups by backup host and status.", kind: .gauge)
    public static let backupsSize = MetricFamily(
        name: "cinder_backups_size_bytes", help: "Size of those backups (size GiB x 2^30).", kind: .gauge)
    public static let backupsOldestAge = MetricFamily(
        name: "cinder_backups_oldest_age_seconds",
        help: "Seconds since the oldest backup of a transitional status last changed (updated_at, else created_at).",
        kind: .gauge)
    public static let collectorSuccess = MetricFamily(
        name: "cinder_exporter_collector_success",
        help: "1 if the collector's latest read succeeded, else 0.", kind: .gauge)
    public static let collectorDuration = MetricFamily(
        name: "cinder_exporter_collector_duration_seconds",
        help: "Seconds the collector's latest read took.", kind: .gauge)
    public static let collectorAge = MetricFamily(
        name: "cinder_exporter_collector_age_seconds",
        help: "Seconds since the figures served by a work collector were read (at most the interval plus one read).",
        kind: .gauge)

    public static let processCPU = MetricFamily(
        name: "process_cpu_seconds",
        help: "Total user and system CPU time spent in seconds.",
        kind: .counter)
    public static let processResident = MetricFamily(
        name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", kind: .gauge)
    public static let processVirtual = MetricFamily(
        name: "process_virtual_memory_bytes", help: "Virtual memory size in bytes.", kind: .gauge)
    public static let processOpenFDs = MetricFamily(
        name: "process_open_fds", help: "Number of open file descriptors.", kind: .gauge)
    public static let processMaxFDs = MetricFamily(
        name: "process_max_fds", help: "Maximum number of open file descriptors.", kind: .gauge)
    public static let processStartTime = MetricFamily(
        name: "process_start_time_seconds",
        help: "Start time of the process since unix epoch in seconds.",
        kind: .gauge)
}
