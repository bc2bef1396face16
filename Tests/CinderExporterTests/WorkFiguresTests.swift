@testable import CinderExporter
import XCTest

/// The pure parts of SPEC §9: how a host column splits, how raw groups merge
/// into exported label sets, durations, and that the SQL timestamp test used
/// by the SQLite aggregate agrees with the parser the readers use.
final class WorkFiguresTests: XCTestCase {
    func testVolumeHostSplitsAsCinderExtractHostDoes() {
        XCTAssertTrue(VolumeHost.split("node1@lvm#pool-a") == ("node1@lvm", "pool-a"))
        XCTAssertTrue(VolumeHost.split("node1@lvm") == ("node1@lvm", ""))
        XCTAssertTrue(VolumeHost.split("node1@lvm#") == ("node1@lvm", ""))
        XCTAssertTrue(VolumeHost.split("") == ("", ""))
        // Two '#': extract_host's pool is None; the backend is before the first.
        XCTAssertTrue(VolumeHost.split("a@b#c#d") == ("a@b", ""))
        XCTAssertTrue(VolumeHost.split("#p") == ("", "p"))
    }

    func testGroupsMergeByLabelBytesAfterMapping() {
        let precomposed = "caf\u{E9}@lvm#p", decomposed = "cafe\u{301}@lvm#p"
        XCTAssertEqual(precomposed, decomposed, "Swift's == says these are equal; their bytes are not")
        let figures = WorkFigures(kind: .volumes, rows: [
            WorkGroupRow(host: "h@b", status: "creating", count: 1, sizeGiB: 1, oldest: .micros(500)),
            WorkGroupRow(host: "h@b#", status: "creating", count: 2, sizeGiB: 2, oldest: .micros(300)),
            WorkGroupRow(host: "h@b", status: "CREATING", count: 4, sizeGiB: 4, oldest: .micros(100)),
            WorkGroupRow(host: precomposed, status: "deleting", count: 1, sizeGiB: 0, oldest: .null),
            WorkGroupRow(host: decomposed, status: "deleting", count: 1, sizeGiB: 0, oldest: .invalid),
            WorkGroupRow(host: "", status: "", count: 3, sizeGiB: 0, oldest: .micros(7)),
        ])
        XCTAssertEqual(figures.groups.map { [$0.host, $0.pool, $0.status] }, [
            ["", "", ""],
            ["caf\u{E9}@lvm", "p", "deleting"],
            ["cafe\u{301}@lvm", "p", "deleting"],
            ["h@b", "", "CREATING"],
            ["h@b", "", "creating"],
        ].sorted { $0.joined(separator: "\u{0}").utf8.lexicographicallyPrecedes($1.joined(separator: "\u{0}").utf8) })
        let merged = figures.groups.first { $0.status == "creating" }!
        XCTAssertEqual(merged.count, 3)
        XCTAssertEqual(merged.sizeGiB, 3)
        XCTAssertEqual(merged.oldestMicros, 300)
        XCTAssertTrue(merged.isTransitional)
        XCTAssertFalse(figures.groups.first { $0.status == "CREATING" }!.isTransitional)
        XCTAssertNil(figures.groups.first { $0.status == "deleting" }!.oldestMicros)
    }

    func testBackupsHaveNoPool() {
        let figures = WorkFigures(kind: .backups, rows: [
            WorkGroupRow(host: "b#1", status: "creating", count: 1, sizeGiB: 1, oldest: .null),
        ])
        XCTAssertEqual(figures.groups.map(\.host), ["b#1"])
        XCTAssertEqual(figures.groups.map(\.pool), [""])
    }

    func testTransitionalStatusesAreCinder29s() {
        XCTAssertEqual(WorkKind.volumes.transitionalStatuses.count, 14)
        XCTAssertTrue(WorkKind.volumes.isTransitional("awaiting-transfer"))
        XCTAssertFalse(WorkKind.volumes.isTransitional("in-use"))
        XCTAssertFalse(WorkKind.volumes.isTransitional("error_deleting"))
        XCTAssertTrue(WorkKind.snapshots.isTransitional("unmanaging"))
        XCTAssertFalse(WorkKind.snapshots.isTransitional("attaching"))
        XCTAssertEqual(WorkKind.backups.transitionalStatuses, ["creating", "deleting", "restoring"])
    }

    func testPrometheusDurations() {
        let cases: [(String, Double?)] = [
            ("60s", 60), ("5m", 300), ("1h30m", 5_400), ("500ms", 0.5), ("1m30s500ms", 90.5), ("2w", 1_209_600),
            ("1y", 31_536_000), ("1d1h", 90_000), ("0", 0), ("0s", 0),
            ("", nil), ("s", nil), ("5", nil), ("5x", nil), ("30s5m", nil), ("1h1h", nil), ("-5s", nil),
            ("1.5s", nil), (" 5s", nil), ("5s ", nil), ("99999999999999999999s", nil), ("5S", nil),
        ]
        for (text, seconds) in cases {
            XCTAssertEqual(PrometheusDuration.seconds(text), seconds, "\"\(text)\"")
        }
        XCTAssertEqual(PrometheusDuration.short(seconds: 42.9), "42s")
        XCTAssertEqual(PrometheusDuration.short(seconds: 307), "5m07s")
        XCTAssertEqual(PrometheusDuration.short(seconds: 3_720), "1h02m")
        XCTAssertEqual(PrometheusDuration.short(seconds: 273_600), "3d04h")
        XCTAssertEqual(PrometheusDuration.short(seconds: -30), "-30s")
    }

    /// The SQLite aggregate picks its oldest time with an SQL test of SPEC §1's
    /// timestamp rule; it must call valid exactly what `UTCTime.parse` does,
    /// or an unreadable row could hide an older readable one.
    func testSQLiteTimestampTestAgreesWithTheParser() throws {
        let database = try TestDatabase()
        let samples: [String] = [
            "2026-11-30 10:00:00", "2026-11-30 10:00:00.5", "2026-11-30 10:00:00.123456", "2026-11-30 10:00:00.1234567",
            "2026-11-30 10:00:00.", "2026-11-30T10:00:00", "2026-11-30 10:00", "2026-02-29 00:00:00", "2024-02-29 00:00:00",
            "2026-02-30 00:00:00", "2026-04-31 00:00:00", "2026-13-01 00:00:00", "2026-00-10 00:00:00", "2026-01-00 00:00:00",
            "2026-01-01 24:00:00", "2026-01-01 23:60:00", "2026-01-01 23:59:60", "0000-01-01 00:00:00", "0001-01-01 00:00:00",
            "9999-12-31 23:59:59.999999", "0000-00-00 00:00:00", " 2026-01-01 00:00:00", "2026-01-01 00:00:00 ",
            "2026-1-01 00:00:00", "2026-01-01 00:00:00.12a", "2026-01-01 00:00:00.-1", "2026-01-01 00:00:00\u{0}",
            "２026-01-01 00:00:00", "2026-01-01 00:00:00Z", "garbage", "", "1900-02-29 00:00:00", "2000-02-29 00:00:00",
        ]
        let sql = "SELECT \(WorkQuery.sqliteValidTime("?1"))"
        let statement = try database.connection.prepare(sql)
        for sample in samples {
            try statement.bind([.text(sample)])
            var valid: Int64 = -1
            try statement.run { row throws(DatabaseError) in valid = row.int64(0) }
            let parsed: Bool
            if case .micros = UTCTime.parse(Array(sample.utf8)) { parsed = true } else { parsed = false }
            XCTAssertEqual(valid == 1, parsed, "\"\(sample)\": SQL says \(valid), the parser says \(parsed)")
        }
        // Integers and reals are never timestamps to the reader.
        for value: SQLiteStatement.Value in [.integer(20_261_130), .real(1.5), .null] {
            try statement.bind([value])
            var valid: Int64 = -1
            try statement.run { row throws(DatabaseError) in valid = row.kind(0) == .null ? 0 : row.int64(0) }
            XCTAssertEqual(valid, 0, "\(value)")
        }
    }
}
