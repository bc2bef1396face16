#if canImport(Glibc)
import Glibc
#endif

/// A value behind a pthread mutex: the one lock the exporter uses.
///
/// Not `Synchronization.Mutex`: on Linux it locks with raw futex calls that
/// ThreadSanitizer cannot see, so a TSan run reported dozens of "data races"
/// inside correctly locked code (8 threads incrementing a `Lock<[Int: Int]>`
/// gave dozens of warnings; the same program with a pthread mutex gave none).
/// With this lock a TSan warning means a real race. `@unchecked Sendable`:
/// `value` is only touched inside `withLock`, with the mutex held.
public final class Lock<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, alone.
    @discardableResult
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
