internal import CDeflate

/// Whole-buffer gzip with libdeflate (SPEC §4: it beats zlib on a rendered
/// body). Compressors are not thread-safe, so they live in a small pool.
public final class GzipCompressor: Sendable {
    public let level: Int32
    /// A libdeflate compressor. It is not thread-safe, but the pool hands each
    /// one to a single thread at a time: that is why it may cross threads.
    private struct Compressor: @unchecked Sendable { let pointer: OpaquePointer }
    private let pool = Lock<[Compressor]>([])

    public init(level: Int32 = 1) {
        self.level = level
    }

    deinit {
        pool.withLock { $0.forEach { libdeflate_free_compressor($0.pointer) } }
    }

    /// Compresses straight from the rendered body into a new owned buffer.
    public func compress(_ input: OwnedBytes) -> OwnedBytes? {
        guard let compressor = pool.withLock({ $0.popLast()?.pointer }) ?? libdeflate_alloc_compressor(level) else { return nil }
        defer {
            let spare = pool.withLock { pool -> Bool in
                guard pool.count < 8 else { return true }
                pool.append(Compressor(pointer: compressor))
                return false
            }
            if spare { libdeflate_free_compressor(compressor) }
        }
        // From the buffer pool, like the body: reused pages, no fresh faults.
        let bound = libdeflate_gzip_compress_bound(compressor, input.count)
        let output = BufferPool.shared.take(minimumCapacity: bound)
        let written = libdeflate_gzip_compress(compressor, input.base, input.count, output.base, bound)
        guard written > 0 else {
            BufferPool.shared.give(output)
            return nil
        }
        return OwnedBytes(adopting: output, count: written)
    }

    /// True when an `Accept-Encoding` value accepts gzip (not with q=0).
    public static func accepts(_ header: String?) -> Bool {
        guard let header else { return false }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingASCIISpaces().lowercased() }
            guard let coding = pieces.first, coding == "gzip" || coding == "x-gzip" else { continue }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
        return false
    }
}
