#if canImport(Glibc)
import Glibc
#endif

/// A few big byte buffers kept for reuse, so that a scrape's multi-megabyte
/// body does not cost fresh page faults every time.
///
/// Why: `AllocatorTuning` fixes glibc's mmap threshold to keep peak RSS low,
/// so every buffer above it is a fresh mmap, faulted in page by page as the
/// renderer writes it, then unmapped when freed: at 10,000 services (then
/// with a 256 KiB threshold) that was ~21% of the exporter's time. Buffers kept here stay mapped and
/// resident, and the next scrape writes into pages it already has.
///
/// What it costs: the pages of the buffers it keeps stay resident between
/// scrapes (idle RSS goes up by what they once held). Peak RSS does not, as
/// long as the pool keeps no more than scrapes use at once: at a peak every
/// kept buffer is in use, where it would have been allocated anyway.
/// `maxBuffers` and `maxBytes` bound what is kept; past them a buffer is freed.
///
/// Buffers below `threshold` never come here: malloc serves those from its
/// heap without mapping fresh pages each time.
final class BufferPool: Sendable {
    /// One allocation. Only ever owned by one holder at a time (the pool, or a
    /// `ByteBuffer`/`OwnedBytes` that took it): that is why it may cross threads.
    struct Buffer: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt8>
        let capacity: Int

        /// Big buffers are mapped here, not by malloc: glibc's mmap threshold
        /// (`AllocatorTuning`) is above them so that a read's arrays come back
        /// from the heap, and bodies in the heap would fragment it under
        /// concurrent scrapes (peak RSS at 1,000 services and 16 gzip clients
        /// went from 28 to 42 MB). A mapping goes back whole when unmapped.
        static func make(capacity: Int) -> Buffer {
            guard capacity >= BufferPool.threshold else { return Buffer(base: .allocate(capacity: capacity), capacity: capacity) }
            guard let mapped = mmap(nil, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  mapped != MAP_FAILED
            else { fatalError("cannot map \(capacity) bytes: out of memory") }
            return Buffer(base: mapped.assumingMemoryBound(to: UInt8.self), capacity: capacity)
        }

        func free() {
            if capacity >= BufferPool.threshold {
                munmap(base, capacity)
            } else {
                base.deallocate()
            }
        }
    }

    /// The process-wide pool. Four buffers cover one scrape's set at 10,000
    /// services (the body, 12 MiB reserved for 8.6 MB written; the gzip
    /// output; the previous read's body, still held for scrapes that join
    /// it); 64 MiB of capacity bounds them whatever the size. Measured there:
    /// page faults per scrape 2,730 → 580, their share of CPU time 20% → 6%,
    /// peak RSS (VmHWM) after 1 and after 16 gzip clients unchanged (42.6 MB).
    static let shared = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)

    /// Smaller buffers are left to malloc, which reuses its heap for them.
    static let threshold = 256 * 1024

    let maxBuffers: Int
    let maxBytes: Int
    /// Idle buffers, oldest first.
    private let idle = Lock<[Buffer]>([])

    init(maxBuffers: Int, maxBytes: Int) {
        self.maxBuffers = maxBuffers
        self.maxBytes = maxBytes
    }

    deinit {
        idle.withLock { $0.forEach { $0.free() } }
    }

    /// A buffer of at least `minimumCapacity` bytes (uninitialized): the
    /// smallest kept one that fits, unless it is over twice the request (a
    /// small holder, such as a layout kept for many scrapes, must not pin a
    /// body's resident pages while the next body maps fresh ones), else a new
    /// one. Big requests are rounded
    /// up to a multiple of the threshold, so that a body a few bytes longer
    /// than the last one still fits the buffer the last one left.
    func take(minimumCapacity: Int) -> Buffer {
        guard minimumCapacity >= Self.threshold else {
            return Buffer.make(capacity: max(minimumCapacity, 1))
        }
        let reused = idle.withLock { idle -> Buffer? in
            // Of equal ones the newest, the likeliest to be warm in the CPU cache.
            var best: Int?
            for index in idle.indices
            where idle[index].capacity >= minimumCapacity && idle[index].capacity <= 2 * minimumCapacity {
                if best == nil || idle[index].capacity <= idle[best!].capacity { best = index }
            }
            return best.map { idle.remove(at: $0) }
        }
        if let reused { return reused }
        return Buffer.make(capacity: (minimumCapacity + Self.threshold - 1) / Self.threshold * Self.threshold)
    }

    /// Hands `buffer` back: kept when big enough to be worth it, the oldest
    /// kept ones freed to stay within the caps (the newest are the ones the
    /// next scrape is likely to want again).
    func give(_ buffer: Buffer) {
        guard buffer.capacity >= Self.threshold, buffer.capacity <= maxBytes, maxBuffers > 0 else {
            buffer.free()
            return
        }
        let evicted = idle.withLock { idle -> [Buffer] in
            idle.append(buffer)
            var bytes = idle.reduce(0) { $0 + $1.capacity }
            var evicted: [Buffer] = []
            while idle.count > maxBuffers || bytes > maxBytes {
                let oldest = idle.removeFirst()
                bytes -= oldest.capacity
                evicted.append(oldest)
            }
            return evicted
        }
        // Freed outside the lock: munmap is a system call.
        evicted.forEach { $0.free() }
    }

    /// How many buffers, and how many bytes of capacity, are kept (for tests).
    var kept: (count: Int, bytes: Int) {
        idle.withLock { ($0.count, $0.reduce(0) { $0 + $1.capacity }) }
    }
}
