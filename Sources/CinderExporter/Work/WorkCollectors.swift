import Dispatch
import Logging

/// What one collector's latest completed read left behind (SPEC §9).
public struct CollectorReport: Sendable {
    public let kind: WorkKind
    public let success: Bool
    public let durationSeconds: Double
    /// The figures of a successful read; nil after a failure (no stale figures).
    public let figures: WorkFigures?
    /// Wall time (µs) when the read that produced `figures` started: their age.
    public let readStartedMicros: Int64
}

/// Runs the work collectors (volumes, snapshots, backups) in the background,
/// apart from the services read: one refresh every interval, each table in
/// turn on the work reader's own connection, on a thread of its own at a lower
/// priority, never two at once (a refresh that overruns the interval is
/// followed at once by the next, never overlapped). Scrapes never wait for a
/// refresh: they take the latest reports, whose ages they compute from their
/// own clock reading.
public final class WorkCollectors: Sendable {
    public let kinds: [WorkKind]
    public let intervalSeconds: Double
    private let reader: any WorkReader
    private let logger: Logger
    /// One refresh at a time, whoever asks (the background loop or `refreshNow`).
    private let refreshing = Lock(())
    /// Wakes the background loop early (to stop); `stopped` is signalled when it ends.
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let loop = Lock<(started: Bool, stopping: Bool)>((false, false))

    private struct State {
        var reports: [WorkKind: CollectorReport] = [:]
        /// Collectors whose current failure was logged (logging is on change).
        var loggedFailures: Set<WorkKind> = []
        /// While the services read fails, the collectors add no log line:
        /// the database is down and that is said once already.
        var servicesFailing = false
    }
    private let state = Lock(State())

    public init(kinds: [WorkKind], reader: any WorkReader, intervalSeconds: Double, logger: Logger) {
        self.kinds = kinds.sorted()
        self.reader = reader
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    /// Starts the background refreshes: the first at once, then every interval.
    public func start() {
        guard !kinds.isEmpty else { return }
        let first = loop.withLock { loop in
            defer { loop.started = true }
            return !loop.started
        }
        guard first else { return }
        if !BackgroundThread.start({ [self] in runLoop() }) {
            logger.error("cannot start the work collectors' thread; their metrics are left out")
            stopped.signal()
        }
    }

    /// Stops the refreshes and waits for one in flight to end.
    public func stop() {
        let running = loop.withLock { loop in
            defer { loop.stopping = true }
            return loop.started && !loop.stopping
        }
        guard running else { return }
        wake.signal()
        stopped.wait()
    }

    private func runLoop() {
        var next = Clock.monotonicSeconds()
        while !loop.withLock({ $0.stopping }) {
            let wait = next - Clock.monotonicSeconds()
            if wait > 0 {
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(wait * 1e9)))
                continue
            }
            let started = Clock.monotonicSeconds()
            refreshAll(stampMicros: nil)
            AllocatorTuning.releaseFreeMemory()
            next = started + intervalSeconds
        }
        stopped.signal()
    }

    /// Reads every collector once, now, on the caller's thread (the one-shot
    /// `metrics`, which waits on no timer). `stampMicros` is the clock reading
    /// the figures are dated with (the command's one reading).
    public func refreshNow(stampMicros: Int64) {
        refreshAll(stampMicros: stampMicros)
    }

    /// The latest reports, in collector order; a collector whose first read
    /// has not completed has none (it exports nothing yet).
    public func reports() -> [CollectorReport] {
        state.withLock { state in kinds.compactMap { state.reports[$0] } }
    }

    /// Told by the scraper after every services read.
    public func servicesRead(succeeded: Bool) {
        state.withLock { $0.servicesFailing = !succeeded }
    }

    private func refreshAll(stampMicros: Int64?) {
        refreshing.withLock { _ in
            for kind in kinds { refresh(kind, stampMicros: stampMicros) }
        }
    }

    private func refresh(_ kind: WorkKind, stampMicros: Int64?) {
        let startedMicros = stampMicros ?? Clock.nowMicros()
        let started = Clock.monotonicSeconds()
        let result: Result<[WorkGroupRow], DatabaseError>
        do throws(DatabaseError) {
            result = .success(try reader.readGroups(kind))
        } catch {
            result = .failure(error)
        }
        let duration = Clock.monotonicSeconds() - started
        let figures = try? result.map { WorkFigures(kind: kind, rows: $0) }.get()
        let report = CollectorReport(kind: kind, success: figures != nil, durationSeconds: duration,
                                     figures: figures, readStartedMicros: startedMicros)
        enum Change { case none, failed(DatabaseError), recovered }
        let change: Change = state.withLock { state in
            state.reports[kind] = report
            switch result {
            case .success:
                return state.loggedFailures.remove(kind) != nil ? .recovered : .none
            case .failure(let error):
                guard !state.servicesFailing, state.loggedFailures.insert(kind).inserted else { return .none }
                return .failed(error)
            }
        }
        switch change {
        case .none: break
        case .failed(let error):
            logger.error("collector failed; its metrics are left out until it reads again", metadata: [
                "collector": "\(kind.collectorName)", "database": "\(reader.description)", "error": "\(error.message)",
            ])
        case .recovered:
            logger.info("collector reads again", metadata: ["collector": "\(kind.collectorName)", "database": "\(reader.description)"])
        }
    }
}
