@testable import CinderExporter
import XCTest

/// The SQLite reader against real files built here, with every odd row of SPEC §1.
final class SQLiteReaderTests: XCTestCase {
    func testReadsEveryReadingOfSpecTable() throws {
        let db = try TestDatabase()
        try db.insert(["id": .integer(1), "host": .text("ok@lvm"), "binary": .text("cinder-volume"),
                       "availability_zone": .text("nova"), "updated_at": .text("2019-06-14 09:22:23.123456"),
                       "created_at": .text("2018-08-16 07:29:20"), "report_count": .integer(838_433),
                       "disabled": .integer(0), "frozen": .integer(1), "cluster_name": .text("c@lvm"),
                       "rpc_current_version": .text("3.5"), "object_current_version": .text("1.21"),
                       "replication_status": .text("failed-over"), "active_backend_id": .text("replica-1"),
                       "uuid": .text("0d0e6a8c-0000-4000-8000-000000000001")])
        try db.insert(["id": .integer(2), "host": .text("soft-deleted"), "deleted": .integer(1)])
        try db.insert(["id": .integer(3), "host": .text("null-deleted"), "deleted": .null])
        try db.insert(["id": .integer(4), "disabled": .null, "updated_at": .null, "created_at": .text("2020-01-01 00:00:00")])
        try db.insert(["id": .integer(5), "disabled": .integer(2), "updated_at": .text("not a time"),
                       "created_at": .text("2020-01-01 00:00:00")])
        try db.insert(["id": .integer(6), "updated_at": .integer(12345)])
        try db.execute("INSERT INTO services (id, deleted, report_count, host, `binary`) VALUES (7, 0, 1, CAST(X'61FF62' AS TEXT), X'6E756C00627974')")

        let rows = try SQLiteReader(path: db.path, timeoutSeconds: 5).readRows().sorted { $0.id < $1.id }
        XCTAssertEqual(rows.map(\.id), [1, 4, 5, 6, 7], "only deleted = 0 is live")
        let first = rows[0]
        XCTAssertEqual(first.updatedAt, UTCTime.parse(Array("2019-06-14 09:22:23.123456".utf8)))
        XCTAssertEqual(first.reportCount, 838_433)
        XCTAssertTrue(first.frozen)
        XCTAssertFalse(first.disabled)
        XCTAssertEqual(first.cluster, "c@lvm")
        XCTAssertEqual(first.activeBackendID, "replica-1")
        XCTAssertEqual(rows[1].host, "", "NULL text is the empty string")
        XCTAssertEqual(rows[1].cluster, "")
        XCTAssertFalse(rows[1].disabled, "NULL disabled is enabled")
        XCTAssertNotNil(rows[1].lastHeartbeat, "NULL updated_at falls back to created_at")
        XCTAssertTrue(rows[2].disabled, "anything but 0 is disabled")
        XCTAssertNil(rows[2].lastHeartbeat, "unparsable updated_at does not fall back")
        XCTAssertEqual(rows[3].updatedAt, .invalid)
        XCTAssertEqual(rows[4].host, "a\u{FFFD}b", "invalid UTF-8 becomes U+FFFD")
        XCTAssertEqual(rows[4].binary, "nul\u{0}byt", "NUL survives: read by length")
    }

    func testMissingFileFailsThenRecovers() throws {
        let directory = NSTemporaryDirectory() + "cinder-missing-" + UUID().uuidString
        let reader = SQLiteReader(path: directory + "/cinder.sqlite", timeoutSeconds: 1)
        XCTAssertThrowsError(try reader.readRows())
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/cinder.sqlite"), "a read-only open must not create the file")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = try SQLiteConnection(path: directory + "/cinder.sqlite", readOnly: false, busyTimeoutMillis: 1000)
        XCTAssertThrowsError(try reader.readRows(), "no services table yet")
        try db.execute(DemoDatabase.schema)
        try db.execute("INSERT INTO services (deleted, report_count, host) VALUES (0, 1, 'back')")
        XCTAssertEqual(try reader.readRows().map(\.host), ["back"])
    }

    func testReplacedFileIsReopened() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("old")])
        let reader = SQLiteReader(path: db.path, timeoutSeconds: 1)
        XCTAssertEqual(try reader.readRows().map(\.host), ["old"])
        let other = try TestDatabase()
        try other.insert(["host": .text("new")])
        try FileManager.default.removeItem(atPath: db.path)
        try FileManager.default.copyItem(atPath: other.path, toPath: db.path)
        XCTAssertEqual(try reader.readRows().map(\.host), ["new"])
    }

    func testReaderNeverWrites() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("a")])
        let before = try Data(contentsOf: URL(fileURLWithPath: db.path))
        let reader = SQLiteReader(path: db.path, timeoutSeconds: 1)
        for _ in 0..<3 { _ = try reader.readRows() }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: db.path)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db.path + "-journal"))
    }

    func testLockedDatabaseFailsWithinTheTimeout() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("a")])
        try db.execute("PRAGMA locking_mode = EXCLUSIVE")
        try db.execute("BEGIN EXCLUSIVE")
        defer { try? db.execute("COMMIT") }
        let reader = SQLiteReader(path: db.path, timeoutSeconds: 0.3)
        let started = Date()
        XCTAssertThrowsError(try reader.readRows()) { error in
            XCTAssertTrue("\(error)".contains("locked"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "busy timeout must bound the wait")
    }
}

/// The reader's string reuse (issue 15): a column whose bytes changed between
/// reads is read afresh, byte for byte; invalid UTF-8 is repaired every time.
final class SQLiteReaderReuseTests: XCTestCase {
    func testChangedBytesAreReadAfreshAndRepairsRepeat() throws {
        let db = try TestDatabase()
        try db.insert(["id": .integer(1), "host": .text("caf\u{E9}@lvm"), "topic": .text("cinder-volume")])
        try db.execute("INSERT INTO services (id, deleted, report_count, host) VALUES (2, 0, 1, CAST(X'61FF62' AS TEXT))")
        let reader = SQLiteReader(path: db.path, timeoutSeconds: 5)
        var rows: [ServiceRow] = []
        XCTAssertTrue(try reader.read(into: &rows), "the first read: every row is new")
        XCTAssertEqual(rows.map { Array($0.host.utf8) }, [Array("caf\u{E9}@lvm".utf8), Array("a\u{FFFD}b".utf8)])

        // Canonically equal, other bytes: the new bytes must come through.
        try db.execute("UPDATE services SET host = 'cafe\u{301}@lvm', report_count = 7 WHERE id = 1")
        XCTAssertTrue(try reader.read(into: &rows), "a host changed")
        XCTAssertEqual(rows.map { Array($0.host.utf8) }, [Array("cafe\u{301}@lvm".utf8), Array("a\u{FFFD}b".utf8)])
        XCTAssertEqual(rows.map(\.topic), ["cinder-volume", ""])
        XCTAssertEqual(rows[0].reportCount, 7)

        // Values only (and a repair that comes out the same): no label
        // changed, and the rows were overwritten where they are.
        let before = rows.withUnsafeBufferPointer { $0.baseAddress }
        try db.execute("UPDATE services SET report_count = 9, disabled = 1, updated_at = '2026-01-01 00:00:00' WHERE id = 1")
        XCTAssertFalse(try reader.read(into: &rows), "only values changed")
        XCTAssertEqual(rows.withUnsafeBufferPointer { $0.baseAddress }, before, "read in place, not copied")
        XCTAssertEqual(rows[0].reportCount, 9)
        XCTAssertTrue(rows[0].disabled)
        XCTAssertEqual(rows[0].updatedAt, .micros(1_767_225_600_000_000))
        XCTAssertEqual(rows.map { Array($0.host.utf8) }, [Array("cafe\u{301}@lvm".utf8), Array("a\u{FFFD}b".utf8)])

        // Every label column, one at a time: seen, then quiet again.
        for (column, value) in [("host", "'h'"), ("`binary`", "'b'"), ("topic", "'t'"), ("availability_zone", "'z'"),
                                ("cluster_name", "'c'"), ("disabled_reason", "'r'"), ("replication_status", "'s'"),
                                ("active_backend_id", "'a'"), ("rpc_current_version", "'3.1'"),
                                ("object_current_version", "'1.2'"), ("frozen", "1"), ("topic", "NULL")] {
            try db.execute("UPDATE services SET \(column) = \(value) WHERE id = 2")
            XCTAssertTrue(try reader.read(into: &rows), "\(column) changed")
            XCTAssertFalse(try reader.read(into: &rows), "\(column) unchanged since")
        }
        XCTAssertEqual(rows[1].host, "h")
        XCTAssertTrue(rows[1].frozen)
        XCTAssertEqual(rows[1].topic, "", "NULL reads as empty")

        // Another row in the same place (another id) reads as itself.
        try db.execute("DELETE FROM services WHERE id = 1")
        try db.insert(["id": .integer(3), "host": .text("cafe\u{301}@lvm")])
        XCTAssertTrue(try reader.read(into: &rows), "row 1 went, row 3 came")
        XCTAssertEqual(rows.map(\.id), [2, 3])
        XCTAssertEqual(rows.map { Array($0.host.utf8) }, [Array("h".utf8), Array("cafe\u{301}@lvm".utf8)])
        XCTAssertEqual(rows.map(\.topic), ["", ""])
        XCTAssertEqual(rows.map(\.reportCount), [1, 0])

        // Fewer rows, then none: the count alone is a change.
        try db.execute("DELETE FROM services WHERE id = 3")
        XCTAssertTrue(try reader.read(into: &rows))
        XCTAssertEqual(rows.map(\.id), [2])
        try db.execute("DELETE FROM services")
        XCTAssertTrue(try reader.read(into: &rows))
        XCTAssertTrue(rows.isEmpty)
        XCTAssertFalse(try reader.read(into: &rows))
    }

    /// The exporter's connections keep a small page cache (issue 15: two
    /// default caches held 4 MB at 10,000 services), and reads still work.
    func testConnectionsKeepASmallPageCache() throws {
        let db = try TestDatabase()
        try db.insert(["id": .integer(1), "host": .text("a@lvm")])
        let file = SQLiteFile(path: db.path, timeoutSeconds: 5)
        let cacheSize = try file.locked { file throws(DatabaseError) -> Int64? in
            var size: Int64?
            try file.statement("PRAGMA cache_size").run { row in size = row.integer(0) }
            return size
        }
        XCTAssertEqual(cacheSize, -Int64(SQLiteFile.pageCacheKiB))
        XCTAssertLessThan(SQLiteFile.pageCacheKiB, 2_000, "smaller than SQLite's default")
        XCTAssertEqual(try SQLiteReader(path: db.path, timeoutSeconds: 5).readRows().map(\.host), ["a@lvm"])
    }
}
