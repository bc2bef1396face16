@testable import CinderExporter
import XCTest

/// The exporter over real TCP against real SQLite files (issue 2's integration tests).
final class ServerTests: XCTestCase {
    func now() -> Int64 { Clock.nowMicros() }

    func testServesEachValueFromTheDatabase() throws {
        let db = try TestDatabase()
        let t = now()
        try db.insert(["host": .text("up@lvm"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(t - 5_000_000)), "report_count": .integer(42),
                       "cluster_name": .null, "disabled": .integer(0)])
        try db.insert(["host": .text("down@ceph"), "binary": .text("cinder-volume"), "availability_zone": .text("az2"),
                       "updated_at": .text(TestDatabase.text(t - 3_600_000_000)), "report_count": .integer(7),
                       "cluster_name": .text("ceph-cluster"), "disabled": .integer(1), "disabled_reason": .text("maintenance")])
        try db.insert(["host": .text("ahead"), "binary": .text("cinder-scheduler"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(t + 20_000_000)), "report_count": .integer(1)])
        try db.insert(["host": .text("never"), "binary": .text("cinder-backup"), "availability_zone": .text("nova"),
                       "updated_at": .null, "created_at": .null])
        try db.insert(["host": .text("gone"), "binary": .text("cinder-backup"), "availability_zone": .text("nova"),
                       "deleted": .integer(1), "updated_at": .text(TestDatabase.text(t))])
        let fixture = try ExporterFixture(databasePath: db.path)
        let m = try fixture.metrics()

        XCTAssertEqual(m.value(serviceKey("cinder_service_up", host: "up@lvm", binary: "cinder-volume")), "1")
        XCTAssertEqual(m.value(serviceKey("cinder_service_reports", host: "up@lvm", binary: "cinder-volume")), "42")
        XCTAssertEqual(m.value(serviceKey("cinder_service_disabled", host: "up@lvm", binary: "cinder-volume")), "0")
        let age = try XCTUnwrap(Double(m.value(serviceKey("cinder_service_heartbeat_age_seconds", host: "up@lvm", binary: "cinder-volume")) ?? ""))
        XCTAssertEqual(age, 5, accuracy: 2)
        XCTAssertEqual(m.value(serviceKey("cinder_service_last_heartbeat_timestamp_seconds", host: "up@lvm", binary: "cinder-volume")),
                       ExpositionWriter.format(Double(t - 5_000_000) / 1e6))

        let down = { serviceKey($0, host: "down@ceph", binary: "cinder-volume", zone: "az2", cluster: "ceph-cluster") }
        XCTAssertEqual(m.value(down("cinder_service_up")), "0")
        XCTAssertEqual(m.value(down("cinder_service_disabled")), "1")

        let ahead = { serviceKey($0, host: "ahead", binary: "cinder-scheduler") }
        XCTAssertEqual(m.value(ahead("cinder_service_up")), "1", "clock ahead within the threshold is up")
        XCTAssertLessThan(Double(m.value(ahead("cinder_service_heartbeat_age_seconds")) ?? "0")!, -15)

        let never = { serviceKey($0, host: "never", binary: "cinder-backup") }
        XCTAssertEqual(m.value(never("cinder_service_up")), "0")
        XCTAssertNil(m.value(never("cinder_service_heartbeat_age_seconds")), "no age for an unknown heartbeat")
        XCTAssertNil(m.value(never("cinder_service_last_heartbeat_timestamp_seconds")))

        XCTAssertTrue(m.names(withPrefix: "cinder_service_up{host=\"gone\"").isEmpty, "soft-deleted rows are never exported")
        XCTAssertEqual(m.names(withPrefix: "cinder_service_up{").count, 4)
        XCTAssertEqual(m.value("cinder_exporter_database_up"), "1")
        XCTAssertEqual(m.value("cinder_service_down_time_seconds"), "60")
        XCTAssertNotNil(m.value("process_resident_memory_bytes"))
        XCTAssertNotNil(m.value("process_open_fds"))
    }

    func testDeletedServiceDisappearsOnTheNextScrape() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("a"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"), "updated_at": .text(TestDatabase.text(now()))])
        try db.insert(["host": .text("b"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"), "updated_at": .text(TestDatabase.text(now()))])
        let fixture = try ExporterFixture(databasePath: db.path)
        XCTAssertEqual(try fixture.metrics().names(withPrefix: "cinder_service_up{").count, 2)
        try db.execute("UPDATE services SET deleted = 1, deleted_at = '2026-01-01 00:00:00' WHERE host = 'b'")
        let after = try fixture.metrics()
        XCTAssertEqual(after.names(withPrefix: "cinder_service_up{").count, 1)
        XCTAssertNil(after.value(serviceKey("cinder_service_up", host: "b", binary: "cinder-volume")))
    }

    func testMissingDatabaseAnswers200AndRecovers() throws {
        let directory = NSTemporaryDirectory() + "cinder-missing-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cinder.sqlite"
        let logs = CapturingLogHandler()
        let fixture = try ExporterFixture(databasePath: path, logger: logs.logger)
        for _ in 0..<3 {
            let m = try fixture.metrics()
            XCTAssertEqual(m.value("cinder_exporter_database_up"), "0")
            XCTAssertTrue(m.names(withPrefix: "cinder_service_up{").isEmpty, "an unreadable table is not 'every service down'")
        }
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_scrape_errors_total"), "4")
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 503)
        XCTAssertEqual(logs.lines.filter { $0.hasPrefix("error") }.count, 1, "one line for the outage, not one per scrape: \(logs.lines)")

        let db = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 1000)
        try db.execute(DemoDatabase.schema)
        try db.execute("INSERT INTO services (deleted, report_count, host, `binary`, availability_zone, updated_at) VALUES (0, 3, 'h', 'cinder-volume', 'nova', '\(TestDatabase.text(now()))')")
        let recovered = try fixture.metrics()
        XCTAssertEqual(recovered.value("cinder_exporter_database_up"), "1")
        XCTAssertEqual(recovered.value(serviceKey("cinder_service_reports", host: "h", binary: "cinder-volume")), "3")
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 200)
        XCTAssertEqual(logs.lines.filter { $0.hasPrefix("info") }.count, 1, "one recovery line: \(logs.lines)")
    }

    func testRoutesMethodsAndKeepAlive() throws {
        let db = try TestDatabase()
        let fixture = try ExporterFixture(databasePath: db.path)
        let client = try HTTPTestClient(port: fixture.port)
        let metrics = try client.request("GET", "/metrics")
        XCTAssertEqual(metrics.status, 200)
        XCTAssertEqual(metrics.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        // The same connection answers again: keep-alive is honoured.
        let head = try client.request("HEAD", "/metrics")
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertEqual(try client.request("GET", "/-/healthy").status, 200)
        XCTAssertEqual(try client.request("GET", "/nope").status, 404)
        XCTAssertEqual(try client.request("GET", "/metrics/extra").status, 404)
        let post = try client.request("POST", "/metrics", headers: ["Content-Length": "0"])
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.headers["allow"], "GET, HEAD")
        XCTAssertEqual(try client.request("DELETE", "/-/healthy").status, 405)
        XCTAssertEqual(try client.request("GET", "/").status, 200)
    }

    func testLoggingOnChangeOnlyForUnknownAndDuplicateRows() throws {
        let db = try TestDatabase()
        try db.insert(["id": .integer(1), "host": .text("x"), "binary": .text("cinder-volume"), "updated_at": .text("garbage")])
        try db.insert(["id": .integer(2), "host": .text("d"), "binary": .text("cinder-volume"), "updated_at": .text(TestDatabase.text(now()))])
        try db.insert(["id": .integer(3), "host": .text("d"), "binary": .text("cinder-volume"), "updated_at": .text(TestDatabase.text(now() - 1_000_000))])
        try db.insert(["id": .integer(4), "host": .text("r"), "binary": .text("cinder-volume"), "report_count": .text("lots"),
                       "updated_at": .text(TestDatabase.text(now()))])
        let logs = CapturingLogHandler()
        let fixture = try ExporterFixture(databasePath: db.path, logger: logs.logger)
        for _ in 0..<3 {
            let m = try fixture.metrics()
            XCTAssertEqual(m.value("cinder_exporter_duplicate_rows"), "1")
            XCTAssertEqual(m.value(serviceKey("cinder_service_up", host: "x", binary: "cinder-volume", zone: "")), "0")
        }
        XCTAssertEqual(logs.lines.filter { $0.contains("unknown") }.count, 1, "\(logs.lines)")
        XCTAssertEqual(logs.lines.filter { $0.contains("duplicate") && $0.contains("id=3") }.count, 1, "\(logs.lines)")
        XCTAssertEqual(logs.lines.filter { $0.contains("report_count") && $0.contains("id=4") }.count, 1, "\(logs.lines)")
        XCTAssertNil(try fixture.metrics().value(serviceKey("cinder_service_reports", host: "r", binary: "cinder-volume", zone: "")))
    }

    func testOutputOfOddDatabasePassesPromtool() throws {
        let db = try TestDatabase()
        try db.execute("INSERT INTO services (deleted, report_count, host, `binary`, availability_zone, disabled_reason, updated_at) VALUES (0, 1, CAST(X'61FF620A22' AS TEXT), 'nul' || char(0) || 'x', 'zoné 🌍', 'a \"quoted\" \\ reason', '2020-01-01 00:00:00.5')")
        try db.insert(["host": .null, "binary": .null, "availability_zone": .null, "report_count": .text("lots")])
        let fixture = try ExporterFixture(databasePath: db.path)
        let response = try HTTPTestClient.get(port: fixture.port, "/metrics")
        XCTAssertNotNil(String(validating: response.body, as: UTF8.self), "the body is valid UTF-8")
        XCTAssertTrue(response.text.contains(#"host="a\#u{FFFD}b\n\""#), "the bad byte became U+FFFD, the newline and quote escaped")
        let check = try promtoolCheckMetrics(response.body)
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertEqual(check.output.trimmingCharacters(in: .whitespacesAndNewlines), "")
    }

    /// SPEC §4: /-/ready answers from the latest read while it is under 10 s
    /// old, and reads afresh once it is older.
    func testReadinessReadsAgainAfterTenSeconds() throws {
        let directory = NSTemporaryDirectory() + "cinder-ready-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cinder.sqlite"
        let fixture = try ExporterFixture(databasePath: path)
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 503, "before the first success")
        let readsAfterFirst = fixture.scraper.readsTotal
        let db = try SQLiteConnection(path: path, readOnly: false, busyTimeoutMillis: 1000)
        try db.execute(DemoDatabase.schema)
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 503, "the latest read (under 10 s old) failed")
        XCTAssertEqual(fixture.scraper.readsTotal, readsAfterFirst, "no new read within 10 s")
        Thread.sleep(forTimeInterval: 10.3)
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 200, "a fresh read after 10 s")
        XCTAssertEqual(fixture.scraper.readsTotal, readsAfterFirst + 1)
    }
}
