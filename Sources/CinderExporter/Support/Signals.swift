#if canImport(Glibc)
import Glibc
#endif

/// Graceful shutdown: SIGINT and SIGTERM are blocked in every thread (call
/// `block()` before starting any) and taken synchronously by `waitForTermination()`.
public enum TerminationSignals {
    private static func set() -> sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }

    public static func block() {
        var signals = set()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    /// Returns the signal number that arrived.
    @discardableResult
    public static func waitForTermination() -> Int32 {
        var signals = set()
        var received: Int32 = 0
        while sigwait(&signals, &received) != 0 {}
        return received
    }
}
