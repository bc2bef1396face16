import Dispatch
import Logging

/// One read of the table, shared by every scrape that waited for it.
public struct ReadOutcome: Sendable {
    /// Which read this is (1, 2, … in start order); a scrape that gave up
    /// waiting carries the number of the read it waited for.
    public var read: UInt64 = 0
    public let snapshot: Result<ServiceSnapshot, DatabaseError>
    /// Monotonic seconds when the read finished.
    public let finishedAt: Double
    /// The read's one wall-clock reading (µs), taken after it: services'
    /// and work figures' ages are computed from it.
    public let nowMicros: Int64
    /// How long the services read took.
    public let durationSeconds: Double
    /// The work collectors' latest reports when the read finished.
    public var collectors: [CollectorReport]
    /// True when this caller stopped waiting before the read ended: the
    /// failure is its own, not the read's.
    public var gaveUp = false
}

/// Reads the table on demand (single flight), keeps the exporter-wide state
/// that survives between scrapes, and logs on change only (SPEC §2).
public final class Scraper: Sendable {
    public let reader: any ServiceReader
    public let downTimeSeconds: Int64
    public let readTimeoutSeconds: Double
    /// The work collectors (SPEC §9), nil when all are off.
    public let work: WorkCollectors?
    private let logger: Logger
    private let flight: SingleFlight<ReadOutcome>
    /// What survives between reads; written only by a read that ended.
    private let ledger: ReadLedger

    public init(reader: any ServiceReader, downTimeSeconds: Int64, readTimeoutSeconds: Double,
                work: WorkCollectors? = nil, logger: Logger) {
        self.reader = reader
        self.work = work
        self.downTimeSeconds = downTimeSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.logger = logger
        let ledger = ReadLedger(reader: reader, work: work, logger: logger)
        self.ledger = ledger
        let downTimeMicros = downTimeSeconds * 1_000_000
        // The last good read. The next read overwrites its rows in place
        // (strings whose bytes are unchanged are kept), and reuses its layout
        // (order, escaped labels, info family) when no label changed. It is
        // taken out before the read, so that when no render of it is still
        // running its rows are the read's only copy: one array, not two.
        let lastSnapshot = Lock<ServiceSnapshot?>(nil)
        flight = SingleFlight { [reader, work] number in
            let started = Clock.monotonicSeconds()
            let result: Result<ServiceSnapshot, DatabaseError>
            let now: Int64
            var rows: [ServiceRow] = []
            var layout: SeriesLayout?
            lastSnapshot.withLock { last in
                if let earlier = last {
                    rows = earlier.rows
                    layout = earlier.layout
                }
                last = nil
            }
            do throws(DatabaseError) {
                let labelsChanged = try reader.read(into: &rows)
                // One clock reading for the whole table, taken after the read.
                now = Clock.nowMicros()
                let snapshot = ServiceSnapshot(rows: rows, nowMicros: now, downTimeMicros: downTimeMicros,
                                               reusing: labelsChanged ? nil : layout)
                lastSnapshot.withLock { $0 = snapshot }
                result = .success(snapshot)
            } catch {
                // The rows are part old, part new: the next read starts afresh.
                now = Clock.nowMicros()
                result = .failure(error)
            }
            let finished = Clock.monotonicSeconds()
            var outcome = ReadOutcome(snapshot: result, finishedAt: finished, nowMicros: now,
                                      durationSeconds: finished - started, collectors: work?.reports() ?? [])
            outcome.read = number
            return outcome
        } finished: { [ledger] outcome in
            // Recorded once the read can no longer be joined, before any
            // waiter sees it: the counter, the log and readiness follow the
            // read's own outcome, whoever waited for it and whoever gave up,
            // and a scrape that arrives after the log line starts a new read.
            ledger.record(outcome)
        }
    }

    /// Reads the table (or joins the read in flight). `timeoutSeconds` bounds
    /// the wait: a caller that stops waiting gets `database_up 0` for itself
    /// only (SPEC §4); the read goes on and records its own outcome.
    public func read(timeoutSeconds: Double? = nil) -> ReadOutcome {
        let wait = min(timeoutSeconds ?? readTimeoutSeconds, readTimeoutSeconds)
        let deadline = DispatchTime.now() + .nanoseconds(Int(max(0, wait) * 1e9))
        let (read, value) = flight.value(deadline: deadline)
        if let value { return value }
        var gaveUp = ReadOutcome(
            snapshot: .failure(DatabaseError("reading the services table took longer than \(Self.format(wait)) s")),
            finishedAt: Clock.monotonicSeconds(), nowMicros: Clock.nowMicros(), durationSeconds: wait,
            collectors: work?.reports() ?? [])
        gaveUp.read = read
        gaveUp.gaveUp = true
        return gaveUp
    }

    /// An exposition of the table as it is now (SPEC §2): on failure, the
    /// exporter-wide families only, with database_up 0.
    public func scrape(format: ExpositionFormat, timeoutSeconds: Double? = nil) -> [UInt8] {
        let started = Clock.monotonicSeconds()
        return render(read(timeoutSeconds: timeoutSeconds), format: format, startedAt: started).array
    }

    /// The one-shot `metrics` (SPEC §9): the services read, then every enabled
    /// work collector read once, directly, dated with the same clock reading.
    /// Says whether the services read succeeded (the exit status).
    public func scrapeOnce(format: ExpositionFormat) -> (body: [UInt8], servicesRead: Bool) {
        let started = Clock.monotonicSeconds()
        var outcome = read()
        // The one caller of a one-shot read: if it stops waiting, the read's
        // own log line may never come before exit, so say it here.
        if outcome.gaveUp, case .failure(let error) = outcome.snapshot {
            logger.error("cannot read the services table", metadata: [
                "database": "\(reader.description)", "error": "\(error.message)",
            ])
        }
        if let work {
            work.refreshNow(stampMicros: outcome.nowMicros)
            outcome.collectors = work.reports()
        }
        return (render(outcome, format: format, startedAt: started).array, outcome.isSuccess)
    }

    /// Renders one read's outcome whole. Kept apart from `read` so that the
    /// HTTP side can bound concurrent renders without serialising reads.
    public func render(_ outcome: ReadOutcome, format: ExpositionFormat, startedAt started: Double) -> OwnedBytes {
        var writer = ExpositionWriter(format: format, capacity: 4096)
        if case .success(let snapshot) = outcome.snapshot {
            writer = ExpositionWriter(format: format, capacity: 1024 + snapshot.serviceCount * 1200)
            ExpositionRenderer.renderServices(snapshot, into: &writer)
        }
        renderTail(TailFacts(outcome), duration: { Clock.monotonicSeconds() - started }, into: &writer)
        return writer.finish()
    }

    /// The same exposition as `render`, made a piece at a time as it is
    /// read: the body is never whole in memory, and the stream holds the
    /// read's layout and values, not its rows.
    /// Each piece is rendered holding one of `renderSlots` when given.
    public func stream(_ outcome: ReadOutcome, format: ExpositionFormat, startedAt started: Double,
                       renderSlots: DispatchSemaphore? = nil) -> ExpositionStream {
        let facts = TailFacts(outcome)
        // The scrape's duration: until now (the read and its waits), then
        // only the stream's own rendering, never the client's receiving.
        let beforeStream = Clock.monotonicSeconds() - started
        return ExpositionStream(outcome, format: format, renderSlots: renderSlots) { [self] writer, rendering in
            renderTail(facts, duration: { beforeStream + rendering() }, into: &writer)
        }
    }

    /// What the families after the per-service ones need of a read.
    private struct TailFacts {
        let succeeded: Bool
        let durationSeconds: Double
        let nowMicros: Int64
        let collectors: [CollectorReport]
        let duplicateRows: Int

        init(_ outcome: ReadOutcome) {
            succeeded = outcome.isSuccess
            durationSeconds = outcome.durationSeconds
            nowMicros = outcome.nowMicros
            collectors = outcome.collectors
            if case .success(let snapshot) = outcome.snapshot {
                duplicateRows = snapshot.droppedDuplicates.count
            } else {
                duplicateRows = 0
            }
        }
    }

    /// Everything after the per-service families: work, exporter-wide and
    /// collector families, and the end of the exposition. `duration` is the
    /// scrape's duration so far, asked once the work families are written.
    private func renderTail(_ read: TailFacts, duration: () -> Double, into writer: inout ExpositionWriter) {
        // Work figures are the collectors' own: they stay when the services
        // read fails, and go only when their own read fails.
        ExpositionRenderer.renderWork(read.collectors, nowMicros: read.nowMicros, into: &writer)
        let exporter = ExpositionRenderer.ExporterState(
            downTimeSeconds: downTimeSeconds,
            databaseUp: read.succeeded,
            scrapeErrorsTotal: ledger.errorsTotal,
            readsTotal: ledger.readsTotal,
            duplicateRows: read.duplicateRows,
            scrapeDurationSeconds: duration(),
            process: ProcessMetrics.read())
        ExpositionRenderer.renderExporter(exporter, into: &writer)
        ExpositionRenderer.renderCollectors(servicesSuccess: read.succeeded, servicesDuration: read.durationSeconds,
                                            read.collectors, nowMicros: read.nowMicros, into: &writer)
        writer.end()
    }

    /// SPEC §4 readiness: the latest read succeeded; when nothing was read in
    /// the last 10 s, read now (joining any read in flight).
    public func isReady() -> Bool {
        let last = ledger.lastRead
        if let last, Clock.monotonicSeconds() - last.finishedAt <= 10 {
            return last.succeeded
        }
        return read().isSuccess
    }

    public var readsTotal: Int64 { ledger.readsTotal }
    public var errorsTotal: Int64 { ledger.errorsTotal }

    fileprivate static func metadata(_ row: ServiceRow) -> Logger.Metadata {
        ["id": "\(row.id)", "host": "\(row.host)", "binary": "\(row.binary)", "zone": "\(row.zone)", "cluster": "\(row.cluster)"]
    }

    static func format(_ seconds: Double) -> String {
        ExpositionWriter.format((seconds * 1000).rounded() / 1000)
    }
}

extension ReadOutcome {
    public var isSuccess: Bool {
        if case .success = snapshot { return true }
        return false
    }
}

/// The exporter-wide state that reads leave behind (SPEC §2): counters, the
/// latest outcome (readiness), and what was logged, so logging happens on
/// change only. Only a read that ended writes here, once, in read order:
/// a caller that gave up waiting changes nothing.
private final class ReadLedger: Sendable {
    private let reader: any ServiceReader
    private let work: WorkCollectors?
    private let logger: Logger

    /// The latest read as readiness and ordering need it: not its rows,
    /// which the next read overwrites in place when nothing else holds them.
    struct LastRead {
        let read: UInt64
        let succeeded: Bool
        let finishedAt: Double
    }

    private struct State {
        var errorsTotal: Int64 = 0
        var lastRead: LastRead?
        var failing = false
        var warnedUnknownIDs: Set<Int64> = []
        var warnedReportCountIDs: Set<Int64> = []
        var warnedDuplicateIDs: Set<Int64> = []
        var readsTotal: Int64 = 0
    }
    private let state = Lock(State())

    init(reader: any ServiceReader, work: WorkCollectors?, logger: Logger) {
        self.reader = reader
        self.work = work
        self.logger = logger
    }

    var errorsTotal: Int64 { state.withLock { $0.errorsTotal } }
    var readsTotal: Int64 { state.withLock { $0.readsTotal } }
    var lastRead: LastRead? { state.withLock { $0.lastRead } }

    /// Counts and logs one read's outcome. Every read is counted; an older
    /// read's outcome (recorded after a newer one, which a preempted thread
    /// can do) never replaces a newer one's for readiness and logging.
    func record(_ outcome: ReadOutcome) {
        state.withLock { state in
            state.readsTotal += 1
            if !outcome.isSuccess { state.errorsTotal += 1 }
            if let last = state.lastRead, last.read >= outcome.read { return }
            state.lastRead = LastRead(read: outcome.read, succeeded: outcome.isSuccess, finishedAt: outcome.finishedAt)
            work?.servicesRead(succeeded: outcome.isSuccess)
            switch outcome.snapshot {
            case .failure(let error):
                if !state.failing {
                    state.failing = true
                    logger.error("cannot read the services table", metadata: [
                        "database": "\(reader.description)", "error": "\(error.message)",
                    ])
                }
            case .success(let snapshot):
                if state.failing {
                    state.failing = false
                    logger.info("reading the services table again", metadata: ["database": "\(reader.description)"])
                }
                for row in snapshot.keptRows(where: { $0.lastHeartbeat == nil }) {
                    if state.warnedUnknownIDs.insert(row.id).inserted {
                        logger.warning("service heartbeat time unknown; exported as down", metadata: Scraper.metadata(row))
                    }
                }
                // A report_count that is not a number leaves that one series out: say so once.
                for row in snapshot.keptRows(where: { $0.reportCount == nil }) {
                    if state.warnedReportCountIDs.insert(row.id).inserted {
                        logger.warning("report_count is not a number; cinder_service_reports left out", metadata: Scraper.metadata(row))
                    }
                }
                for row in snapshot.droppedDuplicates where state.warnedDuplicateIDs.insert(row.id).inserted {
                    logger.warning("duplicate service row dropped", metadata: Scraper.metadata(row))
                }
            }
        }
    }
}
