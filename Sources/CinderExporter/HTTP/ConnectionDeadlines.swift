#if canImport(Glibc)
import Glibc
#endif

/// Bounds the time a connection may take to deliver a request, however it
/// dribbles (SPEC §4: an idle timeout is reset by every byte). The first
/// request must arrive within `firstRequestSeconds` of connecting; later ones,
/// and the sending of each answer, within `idleSeconds`. Overdue connections
/// are shut down; libmicrohttpd then sees end-of-stream and cleans up.
final class ConnectionDeadlines: Sendable {
    let firstRequestSeconds: Double
    let idleSeconds: Double
    // fd → monotonic deadline. An entry exists exactly while libmicrohttpd
    // holds the connection open (added on STARTED, removed on CLOSED, both
    // under this lock), so shutdown() never hits a reused descriptor.
    private let deadlines = Lock<[Int32: Double]>([:])

    init(firstRequestSeconds: Double, idleSeconds: Double) {
        self.firstRequestSeconds = firstRequestSeconds
        self.idleSeconds = idleSeconds
    }

    func opened(fd: Int32) { set(fd, Clock.monotonicSeconds() + firstRequestSeconds) }
    func requestReceived(fd: Int32) { set(fd, Clock.monotonicSeconds() + idleSeconds) }
    func responseSent(fd: Int32) { set(fd, Clock.monotonicSeconds() + idleSeconds) }
    func closed(fd: Int32) { _ = deadlines.withLock { $0.removeValue(forKey: fd) } }

    private func set(_ fd: Int32, _ deadline: Double) {
        guard fd >= 0 else { return }
        deadlines.withLock { $0[fd] = deadline }
    }

    func closeExpired() {
        let now = Clock.monotonicSeconds()
        deadlines.withLock { table in
            for (fd, deadline) in table where deadline < now {
                shutdown(fd, Int32(SHUT_RDWR))
                table[fd] = .infinity
            }
        }
    }
}
