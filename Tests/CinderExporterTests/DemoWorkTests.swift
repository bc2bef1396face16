@testable import CinderExporter
import Foundation
import XCTest

/// The demo's work in flight (SPEC §9, issue: a newcomer sees the stuck
/// volume alert's condition): volumes move through Cinder's statuses, one is
/// stuck in deleting on a host that heartbeats, work stops where a service stopped.
final class DemoWorkTests: XCTestCase {
    private var directory: String!

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "cinder-exporter-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    private func volumes(_ path: String) throws -> [WorkItemRow] {
        try SQLiteWorkReader(path: path, timeoutSeconds: 5).listItems(.volumes, allStatuses: true)
    }

    func testVolumesCycleAndOneStaysStuckOnAHeartbeatingHost() throws {
        let path = directory + "/demo.sqlite"
        let demo = try DemoDatabase(path: path, stopAfterSeconds: 3_600)
        let start = try volumes(path)
        let stuck = try XCTUnwrap(start.first { $0.id == DemoWork.stuckVolumeID })
        XCTAssertEqual(stuck.status, "deleting")
        XCTAssertEqual(VolumeHost.split(stuck.host).host, "storage-1@lvm")
        XCTAssertEqual(Double(Clock.nowMicros() - stuck.lastChange!) / 1e6, Double(DemoWork.stuckForSeconds), accuracy: 30)
        XCTAssertLessThan(DemoWork.stuckForSeconds, 3_600, "the stuck volume crosses the 1 h threshold while the demo runs")
        let services = try SQLiteReader(path: path, timeoutSeconds: 5).readRows()
        XCTAssertTrue(services.contains { $0.host == "storage-1@lvm" && $0.binary == "cinder-volume" && !$0.disabled })

        var statusesSeen = Set<String>()
        for _ in 0..<40 {
            try demo.heartbeat()
            try volumes(path).forEach { statusesSeen.insert($0.status) }
        }
        XCTAssertTrue(Set(DemoWork.lifecycle).isSubset(of: statusesSeen), "\(statusesSeen)")
        let after = try volumes(path)
        XCTAssertEqual(after.count, start.count, "a destroyed volume is replaced by a new one")
        XCTAssertFalse(Set(after.map(\.id)).isSuperset(of: start.map(\.id)), "some volumes were destroyed and re-created")
        XCTAssertEqual(after.first { $0.id == DemoWork.stuckVolumeID }?.status, "deleting", "the stuck volume never moves")
        // Soft-deleted as Cinder's destroy() does: deleted = 1, status deleted.
        let connection = try SQLiteConnection(path: path, readOnly: true, busyTimeoutMillis: 1000)
        var destroyed: Int64 = 0
        try connection.prepare("SELECT COUNT(*) FROM volumes WHERE deleted = 1 AND status = 'deleted'").run { row throws(DatabaseError) in
            destroyed = row.int64(0)
        }
        XCTAssertGreaterThan(destroyed, 0)
    }

    func testWorkOnAStoppedServiceStaysWhereItWas() throws {
        let path = directory + "/demo.sqlite"
        let demo = try DemoDatabase(path: path, stopAfterSeconds: 0)
        let onCeph = { try self.volumes(path).filter { $0.host.hasPrefix("storage-2@ceph#") }.map { "\($0.id) \($0.status)" }.sorted() }
        let before = try onCeph()
        XCTAssertFalse(before.isEmpty)
        for _ in 0..<12 { try demo.heartbeat() }
        XCTAssertEqual(try onCeph(), before)
    }
}
