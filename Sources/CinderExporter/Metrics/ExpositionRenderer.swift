/// Turns one scrape's outcome into an exposition (SPEC §2). Per-service
/// families appear only when the table was read.
public enum ExpositionRenderer {
    /// What the exporter as a whole reports alongside the services.
    public struct ExporterState: Sendable {
        public var downTimeSeconds: Int64
        public var databaseUp: Bool
        public var scrapeErrorsTotal: Int64
        public var readsTotal: Int64
        public var duplicateRows: Int
        public var scrapeDurationSeconds: Double
        public var process: ProcessMetrics?

        public init(downTimeSeconds: Int64, databaseUp: Bool, scrapeErrorsTotal: Int64, readsTotal: Int64,
                    duplicateRows: Int, scrapeDurationSeconds: Double, process: ProcessMetrics?) {
            self.readsTotal = readsTotal
            self.downTimeSeconds = downTimeSeconds
            self.databaseUp = databaseUp
            self.scrapeErrorsTotal = scrapeErrorsTotal
            self.duplicateRows = duplicateRows
            self.scrapeDurationSeconds = scrapeDurationSeconds
            self.process = process
        }
    }

    public static func renderServices(_ snapshot: ServiceSnapshot, into writer: inout ExpositionWriter) {
        var families = ServiceFamilies(snapshot)
        families.render(into: &writer, atLeast: .max)
    }

    /// The per-service families, rendered a piece at a time: a streamed body
    /// takes them as the client reads, a whole body in one go. Holds the
    /// layout and 24 bytes of values per service, never the rows.
    struct ServiceFamilies {
        private enum Family: Int { case up, heartbeatAge, lastHeartbeat, reports, disabled, info, done }
        // Label blocks come escaped from the layout, shared by every family
        // and, while labels stay the same, by every read.
        private let layout: SeriesLayout
        private let values: [ServiceValues]
        private let now: Int64, downTime: Int64
        private var family = Family.up
        /// The next service (or, in the info family, byte) to render;
        /// nil before the family's header.
        private var next: Int?

        init(_ snapshot: ServiceSnapshot) {
            layout = snapshot.layout
            values = ServiceValues.gather(snapshot)
            now = snapshot.nowMicros
            downTime = snapshot.downTimeMicros
        }

        var isFinished: Bool { family == .done }

        /// Renders until `writer` grew by at least `bytes` (give or take a
        /// batch of samples) or the families ended.
        mutating func render(into writer: inout ExpositionWriter, atLeast bytes: Int) {
            let target = bytes == .max ? Int.max : writer.count + bytes
            while family != .done, writer.count < target {
                guard let first = next else {
                    writer.family(Self.metric(family))
                    next = 0
                    continue
                }
                if family == .info {
                    let info = layout.infoLines
                    let end = min(info.count, bytes == .max ? info.count : first + max(target - writer.count, 0))
                    writer.raw(info, first..<end)
                    next = end
                    if end == info.count { advance() }
                    continue
                }
                // A batch between size checks keeps the per-sample loop tight.
                let end = min(values.count, bytes == .max ? values.count : first + 256)
                renderSamples(first..<end, into: &writer)
                next = end
                if end == values.count { advance() }
            }
        }

        private mutating func advance() {
            family = Family(rawValue: family.rawValue + 1)!
            next = nil
        }

        private func renderSamples(_ range: Range<Int>, into writer: inout ExpositionWriter) {
            let name = sampleName(Self.metric(family))
            let now = now, downTime = downTime, family = family, layout = layout
            values.withUnsafeBufferPointer { values in
                switch family {
                case .up:
                    for index in range {
                        let age = values[index].hasHeartbeat ? now &- values[index].lastHeartbeat : nil
                        let isUp = ServiceState.isUp(heartbeatAgeMicros: age, downTimeMicros: downTime)
                        writer.sample(name, layout.blocks, index, value: Int64(isUp ? 1 : 0))
                    }
                case .heartbeatAge:
                    for index in range where values[index].hasHeartbeat {
                        writer.sample(name, layout.blocks, index, micros: now &- values[index].lastHeartbeat)
                    }
                case .lastHeartbeat:
                    for index in range where values[index].hasHeartbeat {
                        writer.sample(name, layout.blocks, index, micros: values[index].lastHeartbeat)
                    }
                case .reports:
                    for index in range where values[index].hasReportCount {
                        writer.sample(name, layout.blocks, index, value: values[index].reportCount)
                    }
                case .disabled:
                    for index in range {
                        writer.sample(name, layout.blocks, index, value: Int64(values[index].disabled ? 1 : 0))
                    }
                case .info, .done:
                    break
                }
            }
        }

        private static func metric(_ family: Family) -> MetricFamily {
            switch family {
            case .up: Metrics.serviceUp
            case .heartbeatAge: Metrics.heartbeatAge
            case .lastHeartbeat: Metrics.lastHeartbeat
            case .reports: Metrics.reports
            case .disabled: Metrics.disabled
            case .info, .done: Metrics.serviceInfo
            }
        }
    }

    /// What the per-service families print, 24 bytes per service in series
    /// order. Gathered in one pass over the rows in their own order: the
    /// families then read memory in sequence, where reading rows (hundreds of
    /// bytes each) in label order missed the cache five times per service.
    struct ServiceValues {
        var lastHeartbeat: Int64 = 0
        var reportCount: Int64 = 0
        var hasHeartbeat = false
        var hasReportCount = false
        var disabled = false

        static func gather(_ snapshot: ServiceSnapshot) -> [ServiceValues] {
            let layout = snapshot.layout
            return [ServiceValues](unsafeUninitializedCapacity: layout.kept.count) { values, initialized in
                snapshot.rows.withUnsafeBufferPointer { rows in
                    layout.serviceIndexOfRow.withUnsafeBufferPointer { serviceIndex in
                        for position in rows.indices where serviceIndex[position] >= 0 {
                            let last = rows[position].lastHeartbeat, reports = rows[position].reportCount
                            (values.baseAddress! + Int(serviceIndex[position])).initialize(to: ServiceValues(
                                lastHeartbeat: last ?? 0, reportCount: reports ?? 0, hasHeartbeat: last != nil,
                                hasReportCount: reports != nil, disabled: rows[position].disabled))
                        }
                    }
                }
                initialized = layout.kept.count
            }
        }
    }

    private static func sampleName(_ family: MetricFamily) -> [UInt8] {
        Array(family.sampleName.utf8)
    }

    public static func renderExporter(_ state: ExporterState, into writer: inout ExpositionWriter) {
        writer.single(Metrics.downTime, state.downTimeSeconds)
        writer.single(Metrics.databaseUp, Int64(state.databaseUp ? 1 : 0))
        writer.single(Metrics.scrapeDuration, state.scrapeDurationSeconds)
        writer.single(Metrics.scrapeErrors, state.scrapeErrorsTotal)
        writer.single(Metrics.databaseReads, state.readsTotal)
        writer.single(Metrics.duplicateRows, Int64(state.duplicateRows))
        writer.family(Metrics.buildInfo)
        writer.sample(Metrics.buildInfo,
                      labels: ExpositionWriter.labelBlock([("revision", BuildInfo.revision), ("version", BuildInfo.version)]),
                      value: Int64(1))
        if let process = state.process {
            writer.single(Metrics.processCPU, process.cpuSeconds)
            writer.single(Metrics.processMaxFDs, process.maxFDs)
            writer.single(Metrics.processOpenFDs, process.openFDs)
            writer.single(Metrics.processResident, process.residentBytes)
            writer.single(Metrics.processStartTime, process.startTimeSeconds)
            writer.single(Metrics.processVirtual, process.virtualBytes)
        }
    }

    /// SPEC §9: each work collector's families, from its latest good figures;
    /// ages from the scrape's own clock reading `nowMicros`.
    public static func renderWork(_ reports: [CollectorReport], nowMicros: Int64, into writer: inout ExpositionWriter) {
        for report in reports {
            guard let figures = report.figures else { continue }
            // Counts, sizes and label blocks were rendered when the figures were read.
            let samples = figures.samples
            let families = figures.kind.families
            writer.family(families.count)
            writer.raw(samples.counts)
            writer.family(families.size)
            writer.raw(samples.sizes)
            writer.family(families.oldest)
            let oldest = sampleName(families.oldest)
            for (index, micros) in samples.agedOldestMicros.enumerated() {
                writer.sample(oldest, samples.agedBlocks, index, micros: nowMicros &- micros)
            }
        }
    }

    /// `cinder_exporter_collector_*{collector}`: services first (its read is
    /// every scrape's own), then each work collector that has read at least once.
    public static func renderCollectors(servicesSuccess: Bool, servicesDuration: Double, _ reports: [CollectorReport],
                                        nowMicros: Int64, into writer: inout ExpositionWriter) {
        func label(_ name: String) -> [UInt8] { ExpositionWriter.labelBlock([("collector", name)]) }
        writer.family(Metrics.collectorSuccess)
        writer.sample(Metrics.collectorSuccess, labels: label("services"), value: Int64(servicesSuccess ? 1 : 0))
        for report in reports {
            writer.sample(Metrics.collectorSuccess, labels: label(report.kind.collectorName), value: Int64(report.success ? 1 : 0))
        }
        writer.family(Metrics.collectorDuration)
        writer.sample(Metrics.collectorDuration, labels: label("services"), value: servicesDuration)
        for report in reports {
            writer.sample(Metrics.collectorDuration, labels: label(report.kind.collectorName), value: report.durationSeconds)
        }
        let served = reports.filter { $0.figures != nil }
        guard !served.isEmpty else { return }
        writer.family(Metrics.collectorAge)
        for report in served {
            writer.sample(Metrics.collectorAge, labels: label(report.kind.collectorName),
                          value: seconds(nowMicros &- report.readStartedMicros))
        }
    }

    /// Microseconds as seconds: both operands are exact, so the quotient is the
    /// double nearest the true decimal and prints back as it.
    static func seconds(_ micros: Int64) -> Double {
        Double(micros) / 1_000_000
    }
}
