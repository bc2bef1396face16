@testable import CinderExporter
import Foundation
import XCTest

/// The demo's simulated services (SPEC §3 `demo`): when the stopping service
/// sends its last heartbeat, which the README and the demo's log describe.
final class DemoDatabaseTests: XCTestCase {
    private func reports(_ path: String) throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        for row in try SQLiteReader(path: path, timeoutSeconds: 1).readRows() {
            counts[row.host + " " + row.binary] = row.reportCount
        }
        return counts
    }

    func testStoppingServiceHeartbeatsUntilTheStopThenIsReportedOnce() throws {
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let path = directory + "/demo.sqlite"
        let demo = try DemoDatabase(path: path, stopAfterSeconds: 1)
        let stopping = "storage-2@ceph cinder-volume", other = "controller-1 cinder-scheduler"
        XCTAssertEqual(try reports(path).count, 6, "six live services")

        // A round before the stop: every service heartbeats, nothing is reported.
        XCTAssertNil(try demo.heartbeat())
        let lastBeat = Clock.nowMicros()
        XCTAssertEqual(try reports(path)[stopping], 1)

        Thread.sleep(forTimeInterval: 1.1)
        // The first round after the stop: the service skips it, and its last
        // heartbeat (the previous round) is reported once.
        let stopped = try XCTUnwrap(try demo.heartbeat())
        XCTAssertEqual(stopped.host, "storage-2@ceph")
        XCTAssertEqual(stopped.binary, "cinder-volume")
        XCTAssertLessThanOrEqual(stopped.lastHeartbeatMicros, lastBeat)
        XCTAssertGreaterThan(stopped.lastHeartbeatMicros, lastBeat - 1_000_000)
        XCTAssertNil(try demo.heartbeat(), "reported once")
        let counts = try reports(path)
        XCTAssertEqual(counts[stopping], 1, "no heartbeat after the stop")
        XCTAssertEqual(counts[other], 3, "the others keep heartbeating")

        // The stored heartbeat is that last round's: down once it is older than 60 s.
        let row = try XCTUnwrap(try SQLiteReader(path: path, timeoutSeconds: 1).readRows().first { $0.host == "storage-2@ceph" })
        XCTAssertEqual(row.updatedAt, .micros(stopped.lastHeartbeatMicros))
    }

    func testISOSecondsIsUTCToTheSecond() {
        XCTAssertEqual(UTCTime.isoSeconds(micros: 1_796_031_556_999_999), "2026-11-30T09:39:16Z")
        XCTAssertEqual(UTCTime.isoSeconds(micros: -1), "1969-12-31T23:59:59Z")
    }
}
