#if canImport(Glibc)
import Glibc
#endif

/// Bounds the time a connection may take to deliver a request, however it
/// dribbles (SPEC §4: an idle timeout is reset by every byte). Every request
/// must arrive whole within `requestSeconds` of its first byte; a keep-alive
/// connection may wait up to `idleSeconds` between requests (Prometheus
/// scrapes every 15–60 s on one connection), and an answer must be sent
/// within `idleSeconds` too. Overdue connections are shut down;
/// libmicrohttpd then sees end-of-stream and cleans up.
///
/// How a request's first byte is seen: libmicrohttpd 0.9.75 says when a
/// request is complete (the access handler) and when its answer was sent
/// (the completed callback), but not when a later request on the same
/// connection begins. On a new connection the first byte is taken to come at
/// once (the deadline runs from the connect). Between requests, the sweep
/// asks the kernel: Linux's TCP_INFO `tcpi_last_data_recv` says how long ago
/// data last arrived on the socket. Data that arrived after the answer was
/// sent (beyond a margin for the kernel's jiffy rounding) is the start of the
/// next request, so its deadline runs from that moment; it is seen at the
/// first sweep after the byte arrives, within one sweep period of it.
final class ConnectionDeadlines: Sendable {
    let requestSeconds: Double
    let idleSeconds: Double
    /// Data seen this long after the answer was sent starts a request; less
    /// may be the previous request's own bytes, rounded by the kernel's clock.
    static let arrivalMargin = 0.05

    enum Phase: Equatable {
        /// A request is arriving; it must be whole by `deadline`.
        case receiving(deadline: Double)
        /// The request is being answered; the answer must be sent by `deadline`.
        case answering(deadline: Double)
        /// Between requests since `since`; closed at `deadline` unless a
        /// request begins.
        case idle(since: Double, deadline: Double)
    }

    // fd → phase. An entry exists exactly while libmicrohttpd holds the
    // connection open (added on STARTED, removed on CLOSED, both under this
    // lock, and libmicrohttpd closes the socket only after CLOSED), so
    // shutdown() and getsockopt() never reach a reused descriptor.
    private let phases = Lock<[Int32: Phase]>([:])

    init(requestSeconds: Double, idleSeconds: Double) {
        self.requestSeconds = requestSeconds
        self.idleSeconds = idleSeconds
    }

    func opened(fd: Int32) { set(fd, .receiving(deadline: Clock.monotonicSeconds() + requestSeconds)) }
    func requestReceived(fd: Int32) { set(fd, .answering(deadline: Clock.monotonicSeconds() + idleSeconds)) }
    func responseSent(fd: Int32) {
        let now = Clock.monotonicSeconds()
        set(fd, .idle(since: now, deadline: now + idleSeconds))
    }
    func closed(fd: Int32) { _ = phases.withLock { $0.removeValue(forKey: fd) } }

    func phase(fd: Int32) -> Phase? { phases.withLock { $0[fd] } }

    private func set(_ fd: Int32, _ phase: Phase) {
        guard fd >= 0 else { return }
        phases.withLock { $0[fd] = phase }
    }

    /// Run by the server's sweeper a few times a second.
    func closeExpired() {
        let now = Clock.monotonicSeconds()
        phases.withLock { table in
            for (fd, phase) in table {
                var deadline: Double
                switch phase {
                case .receiving(let until), .answering(let until):
                    deadline = until
                case .idle(let since, let until):
                    deadline = until
                    if let arrived = Self.lastDataArrival(fd: fd, now: now), arrived > since + Self.arrivalMargin {
                        deadline = arrived + requestSeconds
                        table[fd] = .receiving(deadline: deadline)
                    }
                }
                if deadline < now {
                    shutdown(fd, Int32(SHUT_RDWR))
                    table[fd] = .receiving(deadline: .infinity)
                }
            }
        }
    }

    /// When (monotonic seconds) data last arrived on the socket, from
    /// TCP_INFO; nil when the kernel does not say (not TCP).
    static func lastDataArrival(fd: Int32, now: Double) -> Double? {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0,
              length >= socklen_t(MemoryLayout.offset(of: \tcp_info.tcpi_last_data_recv)! + 4) else { return nil }
        return now - Double(info.tcpi_last_data_recv) / 1000
    }
}
