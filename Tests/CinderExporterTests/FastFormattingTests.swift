@testable import CinderExporter
import XCTest

/// The scrape path's shortcuts must spell exactly what the general code spells.
final class FastFormattingTests: XCTestCase {
    /// `ByteBuffer.appendSeconds` against `Double.description` over ages,
    /// timestamps with microseconds and arbitrary values.
    func testSecondsMatchDescription() {
        var fast = ByteBuffer(capacity: 1 << 16)
        var slow: [UInt8] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<300_000 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let micros: Int64
            switch i % 6 {
            case 0: micros = Int64(bitPattern: x % 4_000_000_000_000_000) - 2_000_000_000_000_000
            case 1: micros = Int64(bitPattern: x % 200_000_000_000) - 100_000_000_000
            case 2: micros = Int64(bitPattern: x % 2_000_000) - 1_000_000
            case 3: micros = 1_700_000_000_000_000 + Int64(bitPattern: x % 100_000_000_000_000)
            case 4: micros = Int64(bitPattern: x % 20_000_000_000_000_000) - 10_000_000_000_000_000
            default: micros = Int64(bitPattern: x >> 11) * (x & 1 == 0 ? 1 : -1)
            }
            slow += Array(ExpositionWriter.format(ExpositionRenderer.seconds(micros)).utf8) + [10]
            if !fast.appendSeconds(micros: micros) {
                fast.append(ExpositionWriter.format(ExpositionRenderer.seconds(micros)))
            }
            fast.append(UInt8(10))
        }
        XCTAssertTrue(fast.array == slow)
    }

    func testIntegersMatchString() {
        var fast = ByteBuffer(capacity: 64)
        var slow = ""
        for value: Int64 in [0, 9, 10, -1, -10, 99, 100, 838_433, .max, .min, .min + 1] {
            fast.appendInteger(value)
            slow += String(value)
        }
        XCTAssertEqual(String(decoding: fast.array, as: UTF8.self), slow)
    }

    /// Duplicate label sets resolve the same, drop order included, whether
    /// or not a non-ASCII label is in the table (both go by bytes).
    func testSortedAndHashedDeduplicationAgree() {
        var rows: [ServiceRow] = []
        for i in 0..<400 {
            let t: StoredTime = i % 9 == 0 ? .invalid : .micros(1_700_000_000_000_000 - Int64(i % 7) * 1_000_000)
            rows.append(ServiceRow(id: Int64(1000 - i), host: "host-\(i % 150)", binary: i % 3 == 0 ? "cinder-volume" : "cinder-backup",
                                   zone: "az\(i % 2)", cluster: i % 5 == 0 ? "" : "c", updatedAt: t))
        }
        let sorted = ServiceSnapshot(rows: rows, nowMicros: 1_700_000_000_000_000, downTimeMicros: 60_000_000)
        let odd = ServiceRow(id: 1, host: "zz-é", binary: "zzz")
        let hashed = ServiceSnapshot(rows: rows + [odd], nowMicros: 1_700_000_000_000_000, downTimeMicros: 60_000_000)
        XCTAssertGreaterThan(sorted.droppedDuplicates.count, 50)
        XCTAssertEqual(sorted.services.map(\.row.id), hashed.services.map(\.row.id).filter { $0 != 1 })
        XCTAssertEqual(sorted.droppedDuplicates.map(\.id), hashed.droppedDuplicates.map(\.id))
    }
}
