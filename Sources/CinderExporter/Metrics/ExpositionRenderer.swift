/// Turns one scrape's outcome into an exposition (SPEC §2). Per-service
/// families appear only when the table was read.
public enum ExpositionRenderer {
    /// What the exporter as a whole reports alongside the services.
    public struct ExporterState: Sendable {
        public var downTimeSeconds: Int64
        public var databaseUp: Bool
        public var scrapeErrorsTotal: Int64
        public var duplicateRows: Int
        public var scrapeDurationSeconds: Double
        public var process: ProcessMetrics?

        public init(downTimeSeconds: Int64, databaseUp: Bool, scrapeErrorsTotal: Int64,
                    duplicateRows: Int, scrapeDurationSeconds: Double, process: ProcessMetrics?) {
            self.downTimeSeconds = downTimeSeconds
            self.databaseUp = databaseUp
            self.scrapeErrorsTotal = scrapeErrorsTotal
            self.duplicateRows = duplicateRows
            self.scrapeDurationSeconds = scrapeDurationSeconds
            self.process = process
        }
    }

    public static func renderServices(_ snapshot: ServiceSnapshot, into writer: inout ExpositionWriter) {
        let services = snapshot.services
        // Each service's label block is escaped once and reused by every family.
        let labels = services.map { state in
            ExpositionWriter.labelBlock([
                ("host", state.row.host), ("binary", state.row.binary),
                ("zone", state.row.zone), ("cluster", state.row.cluster),
            ])
        }
        writer.family(Metrics.serviceUp)
        for (state, block) in zip(services, labels) {
            writer.sample(Metrics.serviceUp, labels: block, value: Int64(state.isUp ? 1 : 0))
        }
        writer.family(Metrics.heartbeatAge)
        for (state, block) in zip(services, labels) {
            if let age = state.heartbeatAgeMicros {
                writer.sample(Metrics.heartbeatAge, labels: block, value: seconds(age))
            }
        }
        writer.family(Metrics.lastHeartbeat)
        for (state, block) in zip(services, labels) {
            if let last = state.row.lastHeartbeat {
                writer.sample(Metrics.lastHeartbeat, labels: block, value: seconds(last))
            }
        }
        writer.family(Metrics.reports)
        for (state, block) in zip(services, labels) {
            if let count = state.row.reportCount {
                writer.sample(Metrics.reports, labels: block, value: count)
            }
        }
        writer.family(Metrics.disabled)
        for (state, block) in zip(services, labels) {
            writer.sample(Metrics.disabled, labels: block, value: Int64(state.row.disabled ? 1 : 0))
        }
        writer.family(Metrics.serviceInfo)
        for state in services {
            let row = state.row
            let block = ExpositionWriter.labelBlock([
                ("host", row.host), ("binary", row.binary), ("zone", row.zone), ("cluster", row.cluster),
                ("topic", row.topic), ("disabled_reason", row.disabledReason),
                ("replication_status", row.replicationStatus), ("active_backend_id", row.activeBackendID),
                ("frozen", row.frozen ? "true" : "false"),
                ("rpc_version", row.rpcVersion), ("object_version", row.objectVersion),
            ])
            writer.sample(Metrics.serviceInfo, labels: block, value: Int64(1))
        }
    }

    public static func renderExporter(_ state: ExporterState, into writer: inout ExpositionWriter) {
        writer.family(Metrics.downTime)
        writer.sample(Metrics.downTime, value: state.downTimeSeconds)
        writer.family(Metrics.databaseUp)
        writer.sample(Metrics.databaseUp, value: Int64(state.databaseUp ? 1 : 0))
        writer.family(Metrics.scrapeDuration)
        writer.sample(Metrics.scrapeDuration, value: state.scrapeDurationSeconds)
        writer.family(Metrics.scrapeErrors)
        writer.sample(Metrics.scrapeErrors, value: state.scrapeErrorsTotal)
        writer.family(Metrics.duplicateRows)
        writer.sample(Metrics.duplicateRows, value: Int64(state.duplicateRows))
        writer.family(Metrics.buildInfo)
        writer.sample(Metrics.buildInfo,
                      labels: ExpositionWriter.labelBlock([("revision", BuildInfo.revision), ("version", BuildInfo.version)]),
                      value: Int64(1))
        if let process = state.process {
            writer.family(Metrics.processCPU)
            writer.sample(Metrics.processCPU, value: process.cpuSeconds)
            writer.family(Metrics.processMaxFDs)
            writer.sample(Metrics.processMaxFDs, value: process.maxFDs)
            writer.family(Metrics.processOpenFDs)
            writer.sample(Metrics.processOpenFDs, value: process.openFDs)
            writer.family(Metrics.processResident)
            writer.sample(Metrics.processResident, value: process.residentBytes)
            writer.family(Metrics.processStartTime)
            writer.sample(Metrics.processStartTime, value: process.startTimeSeconds)
            writer.family(Metrics.processVirtual)
            writer.sample(Metrics.processVirtual, value: process.virtualBytes)
        }
    }

    /// Microseconds as seconds: both operands are exact, so the quotient is the
    /// double nearest the true decimal and prints back as it.
    static func seconds(_ micros: Int64) -> Double {
        Double(micros) / 1_000_000
    }
}
