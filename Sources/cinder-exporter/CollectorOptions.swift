import ArgumentParser
import CinderExporter
import Logging

/// The work collectors' flags, in node_exporter's manner (SPEC §9).
struct CollectorOptions: ParsableArguments {
    @Flag(name: .customLong("collector.volumes"), inversion: .prefixedNo,
          help: "Volumes by backend host, pool and status, with the oldest in-flight age (needs SELECT on volumes).")
    var volumes = true

    @Flag(name: .customLong("collector.snapshots"), inversion: .prefixedNo,
          help: "Snapshots by their volume's host, pool and status (needs SELECT on snapshots and volumes).")
    var snapshots = true

    @Flag(name: .customLong("collector.backups"), inversion: .prefixedNo,
          help: "Backups by backup host and status (needs SELECT on backups).")
    var backups = true

    @Option(name: .customLong("collector.interval"),
            help: ArgumentHelp("Longest time the work figures are reused between scrapes, e.g. 60s, 5m, 1h30m (1s to 1d).",
                               valueName: "duration"))
    var interval: String = "60s"

    @Option(name: .customLong("collector.timeout"),
            help: ArgumentHelp("Bound on each work table's aggregate query, e.g. 30s (at most 1h).", valueName: "duration"))
    var timeout: String = "30s"

    static let intervalRange: ClosedRange<Double> = 1...86_400
    static let timeoutRange: ClosedRange<Double> = 0.001...3_600

    func validate() throws {
        guard let interval = PrometheusDuration.seconds(interval), Self.intervalRange.contains(interval) else {
            throw ValidationError("--collector.interval must be a duration from 1s to 1d, such as 60s or 5m")
        }
        guard let timeout = PrometheusDuration.seconds(timeout), Self.timeoutRange.contains(timeout) else {
            throw ValidationError("--collector.timeout must be a duration above 0 and at most 1h, such as 30s")
        }
    }

    var kinds: [WorkKind] {
        [(WorkKind.volumes, volumes), (.snapshots, snapshots), (.backups, backups)].filter(\.1).map(\.0)
    }

    /// The enabled collectors on a connection of their own; nil when all are off.
    func makeCollectors(url: DatabaseURL, logger: Logger) -> WorkCollectors? {
        guard !kinds.isEmpty else { return nil }
        let reader = ReaderFactory.workReader(for: url, timeoutSeconds: PrometheusDuration.seconds(timeout) ?? 30)
        return WorkCollectors(kinds: kinds, reader: reader, intervalSeconds: PrometheusDuration.seconds(interval) ?? 60,
                              logger: logger)
    }
}
