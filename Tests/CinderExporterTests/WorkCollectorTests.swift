@testable import CinderExporter
import Foundation
import Logging
import XCTest

/// The work collectors of SPEC §9 on a real SQLite file behind a real
/// libmicrohttpd server: exact figures for odd rows, what is served before
/// the first read, between refreshes and after a failure, and that a failing
/// collector never disturbs the services.
final class WorkCollectorTests: XCTestCase {
    func testFiguresForOddRowsAreExact() throws {
        let database = try TestDatabase()
        try database.insertWorkFixture()
        let text = try WorkFixture.render(SQLiteWorkReader(path: database.path, timeoutSeconds: 5))
        XCTAssertEqual(text, WorkFixture.expected)
    }

    /// An updated_at that cannot be read sorts before every date as text; it
    /// must neither set the age nor hide the older readable row.
    func testUnreadableTimeNeverHidesAnOlderReadableOne() throws {
        let database = try TestDatabase()
        let rows = [("x1", "'!!'", WorkFixture.at(-10)), ("x2", "'\(WorkFixture.at(-50))'", WorkFixture.at(-60)),
                    ("x3", "1234", WorkFixture.at(-70)), ("x4", "'2026-02-30 00:00:00'", WorkFixture.at(-80))]
        for (id, updated, created) in rows {
            try database.execute("""
                INSERT INTO volumes (id, host, status, size, deleted, created_at, updated_at, volume_type_id)
                VALUES ('\(id)', 'h@b#p', 'deleting', 1, 0, '\(created)', \(updated), 't')
                """)
        }
        let groups = WorkFigures(kind: .volumes, rows: try SQLiteWorkReader(path: database.path, timeoutSeconds: 5).readGroups(.volumes)).groups
        XCTAssertEqual(groups.count, 1)
        XCTAssertEqual(groups.first?.count, 4)
        XCTAssertEqual(groups.first?.oldestMicros, WorkFixture.now - 50_000_000)
    }

    func testLongAggregateIsInterruptedAtTheCollectorTimeout() throws {
        let database = try TestDatabase()
        let reader = SQLiteWorkReader(path: database.path, timeoutSeconds: 0.2)
        // A recursive scan that would run for minutes: the progress handler stops it.
        try database.execute("""
            CREATE VIEW IF NOT EXISTS slow AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
            SELECT i FROM n;
            DROP TABLE backups;
            CREATE VIEW backups AS SELECT 'b' AS id, 'h' AS host, 'creating' AS status, 1 AS size, 0 AS deleted,
              NULL AS created_at, NULL AS updated_at, 'v' AS volume_id, 'p' AS project_id FROM slow WHERE i < 0;
            """)
        let started = Date()
        XCTAssertThrowsError(try reader.readGroups(.backups)) { error in
            XCTAssertTrue("\(error)".contains("longer than 0.2 s (--collector.timeout)"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the timeout did not cut the scan off")
        // The same reader reads again once the table is sane.
        try database.execute("DROP VIEW backups; " + CinderSchema.workTables(.sqlite)[3])
        XCTAssertEqual(try reader.readGroups(.backups), [])
    }

    // MARK: served over HTTP

    private func collectors(_ database: TestDatabase, interval: Double = 0.2, logger: Logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }) -> WorkCollectors {
        WorkCollectors(kinds: WorkKind.allCases, reader: SQLiteWorkReader(path: database.path, timeoutSeconds: 5),
                       intervalSeconds: interval, logger: logger)
    }

    private func waitFor(timeout: Double = 10, _ condition: () throws -> Bool) rethrows {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            if Date() > deadline { XCTFail("condition not met within \(timeout) s"); return }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    private func insertServices(_ database: TestDatabase) throws {
        let now = TestDatabase.text(Clock.nowMicros())
        try database.insert(["host": .text("node1@lvm"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                             "updated_at": .text(now), "created_at": .text(now)])
        try database.insert(["host": .text("ctl"), "binary": .text("cinder-scheduler"), "availability_zone": .text("nova"),
                             "updated_at": .text(now), "created_at": .text(now)])
    }

    func testBeforeTheFirstReadNothingOfTheWorkCollectorsIsServed() throws {
        let database = try TestDatabase()
        try insertServices(database)
        try database.insertWorkFixture()
        // Never started: no work read has completed.
        let fixture = try ExporterFixture(databasePath: database.path, work: collectors(database))
        let metrics = try fixture.metrics()
        XCTAssertEqual(metrics.names(withPrefix: "cinder_exporter_collector_"),
                       ["cinder_exporter_collector_duration_seconds{collector=\"services\"}",
                        "cinder_exporter_collector_success{collector=\"services\"}"])
        XCTAssertTrue(metrics.names(withPrefix: "cinder_volumes").isEmpty)
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"services\"}"), "1")
    }

    func testScrapeServesWorkBesideServicesAndPassesPromtool() throws {
        let database = try TestDatabase()
        try insertServices(database)
        try database.insertWorkFixture()
        let work = collectors(database)
        let fixture = try ExporterFixture(databasePath: database.path, work: work)
        work.start()
        waitFor { work.reports().count == 3 }
        let response = try HTTPTestClient.get(port: fixture.port, "/metrics")
        XCTAssertEqual(response.status, 200)
        let metrics = ParsedExposition(response.text)
        for kind in ["services", "volumes", "snapshots", "backups"] {
            XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"\(kind)\"}"), "1", kind)
            XCTAssertNotNil(metrics.value("cinder_exporter_collector_duration_seconds{collector=\"\(kind)\"}"), kind)
        }
        XCTAssertNil(metrics.value("cinder_exporter_collector_age_seconds{collector=\"services\"}"))
        for kind in ["volumes", "snapshots", "backups"] {
            let age = try XCTUnwrap(metrics.value("cinder_exporter_collector_age_seconds{collector=\"\(kind)\"}").flatMap(Double.init))
            XCTAssertGreaterThanOrEqual(age, 0)
            XCTAssertLessThan(age, 5)
        }
        XCTAssertEqual(metrics.value("cinder_volumes{host=\"node1@lvm\",pool=\"pool-a\",status=\"creating\"}"), "4")
        XCTAssertEqual(metrics.value("cinder_backups{host=\"backup-1\",status=\"creating\"}"), "1")
        // Ages against the real clock: the fixture's rows are years old or in the future.
        let age = try XCTUnwrap(metrics.value("cinder_volumes_oldest_age_seconds{host=\"node1@lvm\",pool=\"pool-a\",status=\"creating\"}").flatMap(Double.init))
        XCTAssertEqual(age, Double(Clock.nowMicros() - (WorkFixture.now - 600_000_000)) / 1e6, accuracy: 10)
        XCTAssertEqual(metrics.value("cinder_exporter_database_up"), "1")
        let check = try promtoolCheckMetrics(Array(response.text.utf8))
        XCTAssertEqual(check.status, 0, check.output)
        // OpenMetrics too: the strict parser accepts the new families.
        let open = try HTTPTestClient.get(port: fixture.port, "/metrics", headers: ["Accept": "application/openmetrics-text"])
        XCTAssertTrue(open.text.hasSuffix("# EOF\n"))
        XCTAssertTrue(open.text.contains("cinder_volumes_size_bytes{host=\"node1@lvm\",pool=\"pool-a\",status=\"creating\"} \(31 * WorkFixture.gib)\n"))
    }

    /// Figures are reused between refreshes; their ages come from each
    /// scrape's own clock, so they grow while the figures stay.
    func testReusedFiguresAgeWithTheScrapesClock() throws {
        let database = try TestDatabase()
        try insertServices(database)
        try database.insertWorkFixture()
        let work = collectors(database, interval: 3_600)
        let fixture = try ExporterFixture(databasePath: database.path, work: work)
        work.start()
        waitFor { work.reports().count == 3 }
        let key = "cinder_volumes_oldest_age_seconds{host=\"\",pool=\"\",status=\"creating\"}"
        let first = try fixture.metrics()
        Thread.sleep(forTimeInterval: 1.2)
        // A new row: not seen until the next refresh, an hour away.
        try database.execute("INSERT INTO volumes (id, host, status, deleted, created_at, volume_type_id) VALUES ('new', '', 'creating', 0, '\(WorkFixture.at(0))', 't')")
        let second = try fixture.metrics()
        let (age1, age2) = (Double(first.value(key)!)!, Double(second.value(key)!)!)
        XCTAssertEqual(age2 - age1, 1.2, accuracy: 0.6)
        let collectorAge = "cinder_exporter_collector_age_seconds{collector=\"volumes\"}"
        XCTAssertEqual(Double(second.value(collectorAge)!)! - Double(first.value(collectorAge)!)!, 1.2, accuracy: 0.6)
        XCTAssertEqual(second.value("cinder_volumes{host=\"\",pool=\"\",status=\"creating\"}"), "2")
    }

    func testFailingCollectorDropsOnlyItsOwnFamiliesAndLogsOnChange() throws {
        let database = try TestDatabase()
        try insertServices(database)
        try database.insertWorkFixture()
        let log = CapturingLogHandler()
        let plain = try ExporterFixture(databasePath: database.path)
        try database.execute("ALTER TABLE snapshots RENAME TO snapshots_gone")
        let work = collectors(database, logger: log.logger)
        let fixture = try ExporterFixture(databasePath: database.path, work: work, logger: log.logger)
        work.start()
        waitFor { work.reports().count == 3 }
        Thread.sleep(forTimeInterval: 0.6)  // several more refreshes, still failing
        let metrics = try fixture.metrics()
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"snapshots\"}"), "0")
        XCTAssertNotNil(metrics.value("cinder_exporter_collector_duration_seconds{collector=\"snapshots\"}"))
        XCTAssertNil(metrics.value("cinder_exporter_collector_age_seconds{collector=\"snapshots\"}"))
        XCTAssertTrue(metrics.names(withPrefix: "cinder_snapshots").isEmpty, "\(metrics.names(withPrefix: "cinder_snapshots"))")
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"volumes\"}"), "1")
        XCTAssertFalse(metrics.names(withPrefix: "cinder_volumes{").isEmpty)
        // The services, the error counter and readiness are untouched.
        XCTAssertEqual(metrics.value("cinder_exporter_database_up"), "1")
        XCTAssertEqual(metrics.value("cinder_exporter_scrape_errors_total"), "0")
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"services\"}"), "1")
        let plainMetrics = try plain.metrics()
        let serviceKeys = plainMetrics.names(withPrefix: "cinder_service_")
        XCTAssertEqual(metrics.names(withPrefix: "cinder_service_"), serviceKeys)
        for key in serviceKeys where !key.hasPrefix("cinder_service_heartbeat_age") {
            XCTAssertEqual(metrics.value(key), plainMetrics.value(key), key)
        }
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 200)
        var failures = log.lines.filter { $0.contains("collector failed") }
        XCTAssertEqual(failures.count, 1, "\(log.lines)")
        XCTAssertTrue(failures.first?.contains("collector=snapshots") ?? false, "\(failures)")
        XCTAssertFalse(log.lines.contains { $0.hasPrefix("error") && !$0.contains("collector=snapshots") }, "\(log.lines)")

        // The grant comes back: figures return, one recovery line.
        try database.execute("ALTER TABLE snapshots_gone RENAME TO snapshots")
        waitFor { work.reports().first { $0.kind == .snapshots }?.success == true }
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try fixture.metrics().value("cinder_snapshots{host=\"node1@lvm\",pool=\"pool-a\",status=\"creating\"}"), "1")
        failures = log.lines.filter { $0.contains("collector failed") }
        XCTAssertEqual(failures.count, 1, "\(log.lines)")
        XCTAssertEqual(log.lines.filter { $0.contains("collector reads again") }.count, 1, "\(log.lines)")
    }

    /// Refreshes run on a thread of their own at nice +10, so a long scan
    /// takes only the CPU that scrapes leave; stop() ends it.
    func testRefreshesRunOnOneLowPriorityThread() throws {
        func nicedThreads() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").filter { task in
                guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                      let close = stat.lastIndex(of: ")") else { return false }
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                return fields.count > 16 && fields[16] == "\(BackgroundThread.niceness)"  // field 19: nice
            }.count
        }
        let database = try TestDatabase()
        let before = try nicedThreads()
        let work = collectors(database)
        work.start()
        waitFor { work.reports().count == 3 }
        XCTAssertEqual(try nicedThreads(), before + 1)
        work.stop()
        try waitFor { try nicedThreads() == before }
    }

    /// With the database unreadable the services read logs; the collectors,
    /// failing for the same reason, add nothing.
    func testCollectorsAddNoLogLineWhileTheServicesReadFails() throws {
        let database = try TestDatabase()
        try insertServices(database)
        let log = CapturingLogHandler()
        let missing = database.directory + "/missing.sqlite"
        let work = WorkCollectors(kinds: WorkKind.allCases, reader: SQLiteWorkReader(path: missing, timeoutSeconds: 1),
                                  intervalSeconds: 0.2, logger: log.logger)
        let fixture = try ExporterFixture(databasePath: missing, work: work, logger: log.logger)
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_database_up"), "0")
        work.start()
        waitFor { work.reports().count == 3 }
        Thread.sleep(forTimeInterval: 0.5)
        let metrics = try fixture.metrics()
        XCTAssertEqual(metrics.value("cinder_exporter_collector_success{collector=\"volumes\"}"), "0")
        XCTAssertEqual(log.lines.filter { $0.hasPrefix("error") }.count, 1, "\(log.lines)")
        XCTAssertTrue(log.lines.first { $0.hasPrefix("error") }?.contains("cannot read the services table") ?? false, "\(log.lines)")
    }
}
