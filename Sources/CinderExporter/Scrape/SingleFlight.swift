import Dispatch
import Synchronization

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
        var value: Value?
    }

    private let current = Mutex<Flight?>(nil)
    private let queue = DispatchQueue(label: "cinder-exporter.read", attributes: .concurrent)
    private let work: @Sendable () -> Value

    init(_ work: @escaping @Sendable () -> Value) {
        self.work = work
    }

    /// The result of the read in flight, or of a new one; nil when `deadline`
    /// passed first.
    func value(deadline: DispatchTime) -> Value? {
        let (flight, isNew) = current.withLock { current -> (Flight, Bool) in
            if let running = current { return (running, false) }
            let flight = Flight()
            flight.group.enter()
            current = flight
            return (flight, true)
        }
        if isNew {
            queue.async { [work] in
                flight.value = work()
                self.current.withLock { if $0 === flight { $0 = nil } }
                flight.group.leave()
            }
        }
        guard flight.group.wait(timeout: deadline) == .success else { return nil }
        return flight.value
    }
}
