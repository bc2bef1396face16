#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for long background work, at a lower scheduling
/// priority (nice +10; Linux keeps a nice value per thread): a multi-second
/// scan of a large table then takes only the CPU that scrapes leave. A pooled
/// Dispatch thread cannot be used: an unprivileged process cannot lower the
/// nice value again, and the pool would hand the slow thread to a scrape.
enum BackgroundThread {
    /// Adds to the thread's nice value (0 is normal, 19 the lowest priority).
    static let niceness: Int32 = 10

    private final class Job {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// Starts `body` on a new detached thread; false when none could be made.
    static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(Job(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { context in
            let job = Unmanaged<Job>.fromOpaque(context!).takeRetainedValue()
            // On Linux nice() changes the calling thread only. Failure leaves
            // it at normal priority, which is still correct.
            _ = nice(BackgroundThread.niceness)
            job.body()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<Job>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
