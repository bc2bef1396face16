@testable import CinderExporter
import Dispatch
import XCTest

/// The pool of big buffers: reuse, best fit, the caps, and many threads at once.
final class BufferPoolTests: XCTestCase {
    private let unit = BufferPool.threshold

    func testAFittingRequestGetsTheSameBufferBack() {
        let pool = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)
        let first = pool.take(minimumCapacity: 4 * unit)
        pool.give(first)
        XCTAssertEqual(pool.kept.count, 1)
        let second = pool.take(minimumCapacity: 3 * unit + 1)
        XCTAssertEqual(second.base, first.base)
        XCTAssertEqual(second.capacity, 4 * unit)
        XCTAssertEqual(pool.kept.count, 0)
        pool.give(second)
    }

    func testBigRequestsAreRoundedUpToTheThreshold() {
        let pool = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)
        let buffer = pool.take(minimumCapacity: 2 * unit + 1)
        XCTAssertEqual(buffer.capacity, 3 * unit)
        pool.give(buffer)
    }

    func testSmallBuffersAreNeverKept() {
        let pool = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)
        let small = pool.take(minimumCapacity: unit - 1)
        XCTAssertEqual(small.capacity, unit - 1)
        pool.give(small)
        XCTAssertEqual(pool.kept.count, 0)
    }

    func testTheCountCapFreesTheOldest() {
        let pool = BufferPool(maxBuffers: 2, maxBytes: 64 << 20)
        let buffers = (0..<3).map { _ in pool.take(minimumCapacity: unit) }
        buffers.forEach(pool.give)
        XCTAssertEqual(pool.kept.count, 2)
        let again = [pool.take(minimumCapacity: unit), pool.take(minimumCapacity: unit)]
        XCTAssertEqual(Set(again.map(\.base)), Set(buffers[1...].map(\.base)))
        again.forEach(pool.give)
    }

    func testTheByteCapHolds() {
        let pool = BufferPool(maxBuffers: 8, maxBytes: 4 * unit)
        let buffers = (0..<3).map { _ in pool.take(minimumCapacity: 2 * unit) }
        buffers.forEach(pool.give)
        XCTAssertEqual(pool.kept.count, 2)
        XCTAssertEqual(pool.kept.bytes, 4 * unit)
        // One bigger than the whole cap is freed at once, keeping the others.
        pool.give(pool.take(minimumCapacity: 5 * unit))
        XCTAssertEqual(pool.kept.count, 2)
        XCTAssertEqual(pool.kept.bytes, 4 * unit)
    }

    func testTheSmallestFittingBufferIsHandedOut() {
        let pool = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)
        let big = pool.take(minimumCapacity: 5 * unit)
        let small = pool.take(minimumCapacity: 2 * unit)
        let middle = pool.take(minimumCapacity: 4 * unit)
        [big, small, middle].forEach(pool.give)
        XCTAssertEqual(pool.take(minimumCapacity: 3 * unit).base, middle.base)
        XCTAssertEqual(pool.take(minimumCapacity: 2 * unit).base, small.base)
        XCTAssertEqual(pool.take(minimumCapacity: 3 * unit).base, big.base)
        [big, small, middle].forEach(pool.give)
    }

    func testABufferOverTwiceTheRequestIsNotHandedOut() {
        let pool = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)
        let big = pool.take(minimumCapacity: 8 * unit)
        pool.give(big)
        let small = pool.take(minimumCapacity: 3 * unit)
        XCTAssertNotEqual(small.base, big.base)
        XCTAssertEqual(small.capacity, 3 * unit)
        XCTAssertEqual(pool.kept.count, 1)
        XCTAssertEqual(pool.take(minimumCapacity: 4 * unit).base, big.base, "exactly twice still fits")
        pool.give(small)
        pool.give(big)
    }

    func testATooSmallBufferIsNotHandedOut() {
        let pool = BufferPool(maxBuffers: 4, maxBytes: 64 << 20)
        let small = pool.take(minimumCapacity: 2 * unit)
        pool.give(small)
        let bigger = pool.take(minimumCapacity: 2 * unit + 1)
        XCTAssertNotEqual(bigger.base, small.base)
        XCTAssertGreaterThanOrEqual(bigger.capacity, 2 * unit + 1)
        XCTAssertEqual(pool.kept.count, 1, "the small one stays for a request it fits")
        pool.give(bigger)
    }

    /// A rendered body's memory serves the next body (the shared pool).
    func testABodysMemoryIsReusedByTheNextBuffer() {
        let size = 7 * unit
        var buffer = ByteBuffer(capacity: size)
        buffer.append([UInt8](repeating: 65, count: 100))
        let body = buffer.take()
        let address = body.base
        XCTAssertEqual(body.array, [UInt8](repeating: 65, count: 100))
        _ = consume body
        let next = BufferPool.shared.take(minimumCapacity: size)
        XCTAssertEqual(next.base, address)
        BufferPool.shared.give(next)
    }

    /// Growing from malloc's size into the pool's keeps every byte.
    func testGrowingAcrossTheThresholdKeepsTheBytes() {
        var buffer = ByteBuffer(capacity: 64)
        var expected: [UInt8] = []
        for index in 0..<(3 * unit) {
            let byte = UInt8(truncatingIfNeeded: index &* 31)
            buffer.append(byte)
            expected.append(byte)
        }
        XCTAssertEqual(buffer.count, expected.count)
        XCTAssertTrue(buffer.array == expected)
    }

    /// No buffer is ever held by two threads at once, and the caps hold
    /// (run under ThreadSanitizer in CI).
    func testManyThreadsTakeAndGive() {
        let pool = BufferPool(maxBuffers: 3, maxBytes: 8 * unit)
        let clashes = Lock(0), unit = unit
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            let tag = UInt8(thread + 1)
            for round in 0..<500 {
                let size = [unit, 2 * unit, 3 * unit, 1000][(round + thread) % 4]
                let buffer = pool.take(minimumCapacity: size)
                buffer.base.initialize(repeating: tag, count: 64)
                (buffer.base + size - 64).initialize(repeating: tag, count: 64)
                sched_yield()  // let another thread run while this one holds it
                if buffer.base[0] != tag || buffer.base[size - 1] != tag {
                    clashes.withLock { $0 += 1 }
                }
                pool.give(buffer)
            }
        }
        XCTAssertEqual(clashes.withLock { $0 }, 0)
        XCTAssertLessThanOrEqual(pool.kept.count, 3)
        XCTAssertLessThanOrEqual(pool.kept.bytes, 8 * unit)
        XCTAssertGreaterThan(pool.kept.count, 0)
    }
}
