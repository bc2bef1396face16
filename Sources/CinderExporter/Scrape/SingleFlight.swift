import Dispatch

/// Runs at most one read at a time: callers that arrive while a read is in
/// flight wait for that read instead of starting another (SPEC §4). A caller
/// that runs out of time stops waiting; the read itself goes on and later
/// callers still join it, so a hung database never piles up reads.
final class SingleFlight<Value: Sendable>: Sendable {
    /// One read in flight. `value` is written once, before `group.leave()`;
    /// it is read only after `group.wait()` succeeded, which orders the two:
    /// that is why sharing it is safe.
    private final class Flight: @unchecked Sendable {
        let group = DispatchGroup()
        let number: UInt64
        var value: Value?
        init(number: UInt64) { self.number = number }
    }

    private let current = Lock<(flight: Flight?, started: UInt64)>((nil, 0))
    private let queue = DispatchQueue(label: "cinder-exporter.read", attributes: .concurrent)
    /// Runs one read; told its number.
    private let work: @Sendable (UInt64) -> Value
    /// Told each read's value once the read is no longer joinable and before
    /// its callers see it: whatever it records (a log line, a counter) is
    /// then never seen by a caller that joined the finished read.
    private let finished: @Sendable (Value) -> Void

    init(_ work: @escaping @Sendable (UInt64) -> Value, finished: @escaping @Sendable (Value) -> Void = { _ in }) {
        self.work = work
        self.finished = finished
    }

    /// The result of the read in flight, or of a new one (nil when `deadline`
    /// passed first), with the read's number: reads are numbered 1, 2, … in
    /// the order they start, so callers can tell one read's outcome from the next.
    func value(deadline: DispatchTime) -> (read: UInt64, value: Value?) {
        let (flight, isNew) = current.withLock { current -> (Flight, Bool) in
            if let running = current.flight { return (running, false) }
            current.started += 1
            let flight = Flight(number: current.started)
            flight.group.enter()
            current.flight = flight
            return (flight, true)
        }
        if isNew {
            queue.async { [work, finished] in
                let value = work(flight.number)
                flight.value = value
                self.current.withLock { if $0.flight === flight { $0.flight = nil } }
                finished(value)
                flight.group.leave()
            }
        }
        guard flight.group.wait(timeout: deadline) == .success else { return (flight.number, nil) }
        return (flight.number, flight.value)
    }
}
