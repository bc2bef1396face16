@testable import CinderExporter
import Dispatch
import XCTest

/// What a finished read records (its log line, its counters) must never be
/// seen by a caller that then joins that same read: a scrape that arrives
/// after the read's log line starts a new read (SPEC §4). The start-up read
/// test in CommandLineTests saw errors_total 1 instead of 2 on a loaded
/// machine when the record was made while the read could still be joined.
final class SingleFlightTests: XCTestCase {
    func testACallerArrivingWhileAReadIsRecordedStartsANewRead() {
        let recording = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let flight = SingleFlight<UInt64>({ number in number }, finished: { value in
            guard value == 1 else { return }
            recording.signal()  // read 1 is being recorded: its log line may be out
            release.wait()
        })
        let first = DispatchGroup()
        first.enter()
        let firstValue = Lock<UInt64?>(nil)
        DispatchQueue.global().async {
            let (_, value) = flight.value(deadline: .now() + 10)
            firstValue.withLock { $0 = value }
            first.leave()
        }
        XCTAssertEqual(recording.wait(timeout: .now() + 5), .success)
        let (read, value) = flight.value(deadline: .now() + 2)
        release.signal()
        XCTAssertEqual(read, 2, "joined the read that was already being recorded")
        XCTAssertEqual(value, 2)
        XCTAssertEqual(first.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(firstValue.withLock { $0 }, 1, "the first caller still gets its own read")
    }
}
