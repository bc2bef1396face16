@testable import CinderExporter
import Foundation
import XCTest

/// The built binary's work-in-flight side (SPEC §9): `volumes`, the collector
/// flags, and `metrics` with a failing collector.
final class VolumesCommandTests: XCTestCase {
    var binary: String { TestPaths.exporterBinary }

    private func run(_ arguments: [String]) throws -> ProcessResult {
        try ProcessResult.run(binary, arguments, environment: ["CINDER_EXPORTER_DATABASE_URL": ""])
    }

    private func json(_ text: String) throws -> [[String: Any]] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], text)
    }

    /// The fixture dated from the real clock, in whole seconds.
    private func database() throws -> (TestDatabase, now: Int64) {
        let db = try TestDatabase()
        let now = Clock.nowMicros() / 1_000_000 * 1_000_000
        try db.insertWorkFixture(now: now)
        return (db, now)
    }

    func testListsTransitionalWorkOldestFirstUnknownLast() throws {
        let (db, _) = try database()
        let result = try run(["volumes", "--database.url", db.url, "--format", "json", "--snapshots", "--backups"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = try json(result.stdout)
        // Transitional rows only, by age (the fixture's rows are in the past
        // except v-f, 30 s ahead), then the two whose age cannot be known.
        XCTAssertEqual(rows.map { $0["id"] as? String }, ["v-a", "s-1", "s-2", "b-1", "b-2", "v-b", "v-e", "v-d", "v-g", "v-f", "v-c", "v-c2"])
        XCTAssertEqual(Set(rows[0].keys), ["kind", "id", "status", "host", "pool", "project_id", "size_gib", "age_seconds"])
        XCTAssertEqual(rows[0]["kind"] as? String, "volume")
        XCTAssertEqual(rows[0]["host"] as? String, "node1@lvm")
        XCTAssertEqual(rows[0]["pool"] as? String, "pool-a")
        XCTAssertEqual(rows[0]["project_id"] as? String, "proj-1")
        XCTAssertEqual(rows[0]["size_gib"] as? Int, 10)
        let age = try XCTUnwrap(rows[0]["age_seconds"] as? Double)
        XCTAssertEqual(age, 600, accuracy: 30)
        XCTAssertEqual(rows[2]["kind"] as? String, "snapshot")
        XCTAssertEqual(rows[2]["pool"] as? String, "pool-b", "a snapshot takes its (deleted) volume's host")
        XCTAssertEqual(rows[3]["kind"] as? String, "backup")
        XCTAssertEqual(rows[3]["pool"] as? String, "")
        XCTAssertTrue(rows[4]["size_gib"] is NSNull)
        XCTAssertTrue(rows.last?["age_seconds"] is NSNull)
        XCTAssertLessThan(try XCTUnwrap(rows[9]["age_seconds"] as? Double), 0, "a clock ahead of ours gives a negative age")
    }

    func testFiltersAndExitStatus() throws {
        let (db, _) = try database()
        // --older-than: only rows known to be older; exit 1 when any is listed.
        var result = try run(["volumes", "--database.url", db.url, "--format", "json", "--older-than", "4m10s", "--snapshots"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(try json(result.stdout).map { $0["id"] as? String }, ["v-a", "s-1"])
        result = try run(["volumes", "--database.url", db.url, "--older-than", "100y"])
        XCTAssertEqual(result.status, 0, result.stderr)
        // --host as Cinder matches it; --status exactly; --all every status.
        result = try run(["volumes", "--database.url", db.url, "--format", "json", "--host", "node1@lvm"])
        XCTAssertEqual(Set(try json(result.stdout).compactMap { $0["id"] as? String }), ["v-a", "v-b", "v-c", "v-c2", "v-f", "v-g"])
        result = try run(["volumes", "--database.url", db.url, "--format", "json", "--status", "deleting"])
        XCTAssertEqual(Set(try json(result.stdout).compactMap { $0["id"] as? String }), ["v-f", "v-g"])
        result = try run(["volumes", "--database.url", db.url, "--format", "json", "--all", "--host", "node2"])
        XCTAssertEqual(Set(try json(result.stdout).compactMap { $0["id"] as? String }), ["v-i", "v-j", "v-m"])
        result = try run(["volumes", "--database.url", db.url, "--format", "json", "--host", "nowhere"])
        XCTAssertEqual(result.status, 0, "an empty result is a healthy answer")
        XCTAssertEqual(result.stdout, "[]\n")
        // The table: ages as 1h02m, unknown ages spelled out.
        result = try run(["volumes", "--database.url", db.url])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("| Kind "), result.stdout)
        XCTAssertTrue(result.stdout.contains("unknown"), result.stdout)
        // v-a is 600 s old plus however long the test has run (slow under a sanitizer).
        XCTAssertNotNil(result.stdout.range(of: #"\| 1\dm[0-5]\ds +\|"#, options: .regularExpression), result.stdout)
    }

    func testBadInputAndUnreadableTablesExitTwo() throws {
        let db = try TestDatabase()
        for arguments in [["volumes", "--database.url", db.url, "--older-than", "ten minutes"],
                          ["volumes", "--database.url", db.url, "--format", "yaml"],
                          ["metrics", "--database.url", db.url, "--collector.interval", "0s"],
                          ["metrics", "--database.url", db.url, "--collector.timeout", "2h"],
                          ["metrics", "--database.url", db.url, "--collector.interval", "1.5m"]] {
            let result = try run(arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
        }
        try db.execute("DROP TABLE backups")
        let result = try run(["volumes", "--database.url", db.url, "--backups"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("backups"), result.stderr)
    }

    /// Exit 1 is about the services read only; a failed work collector shows
    /// in its gauge and one log line.
    func testMetricsExitStatusIgnoresAFailedCollector() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("h"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(Clock.nowMicros()))])
        try db.insertWorkFixture()
        try db.execute("DROP TABLE snapshots")
        var result = try run(["metrics", "--database.url", db.url])
        XCTAssertEqual(result.status, 0, result.stderr)
        var metrics = ParsedExposition(result.stdout)
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"snapshots\"}"), "0")
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"volumes\"}"), "1")
        XCTAssertEqual(metrics.value("cinder_exporter_collector_age_seconds{collector=\"volumes\"}"), "0.0",
                       "the one-shot dates its figures with its one clock reading")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("collector=snapshots"), result.stderr)
        // --no-collector.X turns one off: no series, no log line.
        result = try run(["metrics", "--database.url", db.url, "--no-collector.snapshots", "--no-collector.backups"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        metrics = ParsedExposition(result.stdout)
        XCTAssertEqual(metrics.names(withPrefix: "cinder_exporter_collector_success"),
                       ["cinder_exporter_collector_success{collector=\"services\"}",
                        "cinder_exporter_collector_success{collector=\"volumes\"}"])
    }
}
