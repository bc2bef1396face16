@testable import CinderExporter
import XCTest

/// The read-to-read caches (issue 15): a snapshot that reuses the last read's
/// layout, and a reader that reuses the last read's strings, must render
/// exactly what a fresh snapshot of the same rows renders, whatever changed.
final class SeriesLayoutTests: XCTestCase {
    let now: Int64 = 1_800_000_000_000_000
    let downTime: Int64 = 60_000_000

    func render(_ snapshot: ServiceSnapshot) -> [UInt8] {
        var writer = ExpositionWriter(format: .text004)
        ExpositionRenderer.renderServices(snapshot, into: &writer)
        return writer.bytes
    }

    /// Renders `rows` reusing `earlier`, checks the bytes against a fresh
    /// snapshot's, and returns the new snapshot.
    @discardableResult
    func check(_ rows: [ServiceRow], reusing earlier: ServiceSnapshot?, _ message: String,
               file: StaticString = #filePath, line: UInt = #line) -> ServiceSnapshot {
        // The readers say whether labels changed; here the rows are made by
        // hand, so compare them the way a reader does (by bytes).
        let layout = earlier.flatMap { sameLabels(rows, $0.rows) ? $0.layout : nil }
        let reused = ServiceSnapshot(rows: rows, nowMicros: now, downTimeMicros: downTime, reusing: layout)
        let fresh = ServiceSnapshot(rows: rows, nowMicros: now, downTimeMicros: downTime)
        XCTAssertEqual(String(decoding: render(reused), as: UTF8.self), String(decoding: render(fresh), as: UTF8.self),
                       message, file: file, line: line)
        XCTAssertEqual(reused.droppedDuplicates.map(\.id), fresh.droppedDuplicates.map(\.id), message, file: file, line: line)
        XCTAssertEqual(reused.services.map(\.row.id), fresh.services.map(\.row.id), message, file: file, line: line)
        return reused
    }

    /// Every label (text field, `frozen`) byte for byte the same, in the same places.
    func sameLabels(_ a: [ServiceRow], _ b: [ServiceRow]) -> Bool {
        func labels(_ row: ServiceRow) -> [[UInt8]] {
            [row.host, row.binary, row.topic, row.zone, row.cluster, row.disabledReason, row.replicationStatus,
             row.activeBackendID, row.rpcVersion, row.objectVersion, row.frozen ? "true" : "false"].map { Array($0.utf8) }
        }
        return a.count == b.count && zip(a, b).allSatisfy { labels($0) == labels($1) }
    }

    func rows() -> [ServiceRow] {
        (0..<6).map { index in
            ServiceRow(id: Int64(index + 1), host: "storage-\(index)@lvm", binary: "cinder-volume", topic: "cinder-volume",
                       zone: "nova", reportCount: Int64(index), updatedAt: .micros(now - Int64(index) * 30_000_000))
        }
    }

    /// A layout is reused for as long as labels stay the same, hours or days:
    /// it must not keep the rows of the read that made it (at 10,000
    /// services, a 3.8 MB array beside the two each read needs).
    func testALayoutKeepsNoRows() {
        let snapshot = check(rows(), reusing: nil, "first read")
        let fields = Mirror(reflecting: snapshot.layout).children
        XCTAssertFalse(fields.isEmpty)
        XCTAssertFalse(fields.contains { $0.value is [ServiceRow] }, "\(fields.map { $0.label ?? "?" })")
    }

    func testHeartbeatsAloneKeepTheLayout() {
        var rows = rows()
        let first = check(rows, reusing: nil, "first read")
        for index in rows.indices {
            rows[index].updatedAt = .micros(now - 90_000_000)
            rows[index].reportCount = 1_000 + Int64(index)
            rows[index].disabled = index.isMultiple(of: 2)
        }
        let second = check(rows, reusing: first, "new heartbeats, counts and disabled flags")
        XCTAssertTrue(first.layout === second.layout, "no label changed: the layout is reused, not rebuilt")
    }

    func testAnyLabelByteChangeRebuildsTheLayout() {
        let base = rows()
        let first = check(base, reusing: nil, "first read")
        // Precomposed and decomposed "é" are `==` in Swift but different bytes.
        var rows = base
        rows[2].host = "caf\u{E9}@lvm"
        let precomposed = check(rows, reusing: first, "host changed")
        rows[2].host = "cafe\u{301}@lvm"
        XCTAssertEqual(rows[2].host, "caf\u{E9}@lvm", "Swift calls them equal")
        let decomposed = check(rows, reusing: precomposed, "the same host, decomposed")
        XCTAssertFalse(precomposed.layout === decomposed.layout, "different bytes: a new layout")
        let edits: [(String, (inout ServiceRow) -> Void)] = [
            ("binary", { $0.binary = "cinder-backup" }), ("zone", { $0.zone = "az2" }),
            ("cluster", { $0.cluster = "c@lvm" }), ("topic", { $0.topic = "t\"q" }),
            ("disabled_reason", { $0.disabledReason = "line\nbreak" }),
            ("replication_status", { $0.replicationStatus = "failed-over" }),
            ("active_backend_id", { $0.activeBackendID = "back\\slash" }), ("frozen", { $0.frozen = true }),
            ("rpc_version", { $0.rpcVersion = "3.17" }), ("object_version", { $0.objectVersion = "1.39" }),
        ]
        for (name, edit) in edits {
            var changed = base
            edit(&changed[4])
            let layout = check(changed, reusing: first, "\(name) changed")
            XCTAssertFalse(layout.layout === first.layout, "\(name) is a label: a new layout")
        }
    }

    func testRowsComingAndGoingAndDuplicatesTakingTurns() {
        var rows = rows()
        var layout = check(rows, reusing: nil, "first read")
        rows.append(ServiceRow(id: 99, host: "storage-1@lvm", binary: "cinder-volume", topic: "other",
                               zone: "nova", updatedAt: .micros(now - 5_000_000)))
        layout = check(rows, reusing: layout, "a duplicate of storage-1 arrives, newer: it wins")
        rows[rows.count - 1].updatedAt = .micros(now - 500_000_000)
        let flipped = check(rows, reusing: layout, "the duplicate falls behind: the older row wins again")
        XCTAssertFalse(flipped.layout === layout.layout, "the kept row changed: its info labels differ")
        XCTAssertEqual(flipped.layout.order, layout.layout.order, "the same labels: the sort is reused")
        rows.remove(at: 0)
        layout = check(rows, reusing: flipped, "a row went away")
        rows.insert(ServiceRow(id: 0, host: "new@lvm", binary: "cinder-volume"), at: 0)
        check(rows, reusing: layout, "a row came back")
        check([], reusing: layout, "an empty table")
    }

    /// Random edits, read after read: the reused layout always renders what a
    /// fresh one does.
    func testRandomEditsRenderAsFresh() {
        var generator = SystemRandomNumberGenerator()
        let hosts = ["a@lvm", "b@lvm", "caf\u{E9}", "cafe\u{301}", "q\"uote", "n\nl", ""]
        var rows = (0..<30).map { ServiceRow(id: Int64($0), host: hosts[$0 % hosts.count], binary: "cinder-volume") }
        var layout: ServiceSnapshot?
        for round in 0..<300 {
            let index = Int.random(in: 0..<max(rows.count, 1), using: &generator)
            switch Int.random(in: 0..<6, using: &generator) {
            case 0 where !rows.isEmpty: rows[index].updatedAt = .micros(now - Int64.random(in: -100...100, using: &generator) * 1_000_000)
            case 1 where !rows.isEmpty: rows[index].host = hosts.randomElement(using: &generator)!
            case 2 where !rows.isEmpty: rows[index].topic = hosts.randomElement(using: &generator)!
            case 3 where !rows.isEmpty: rows.remove(at: index)
            case 4: rows.insert(ServiceRow(id: Int64(100 + round), host: hosts.randomElement(using: &generator)!), at: min(index, rows.count))
            default: if !rows.isEmpty { rows[index].reportCount = Int64.random(in: 0...9, using: &generator) }
            }
            layout = check(rows, reusing: layout, "round \(round)")
        }
    }
}
