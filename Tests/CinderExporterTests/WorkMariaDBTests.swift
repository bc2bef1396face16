@testable import CinderExporter
import Foundation
import Logging
import XCTest

/// The work collectors against a real throwaway mariadbd (SPEC §9): the same
/// figures as SQLite for the same rows under a case-insensitive collation,
/// the read-only grants, and a locked table that never delays a scrape.
final class WorkMariaDBTests: XCTestCase {
    var server: MariaDBServer!

    override func setUpWithError() throws {
        server = try MariaDBServer()
        let now = TestDatabase.text(Clock.nowMicros()).prefix(19)
        try server.sql("CREATE DATABASE cinder")
        try server.sql(MariaDBReaderTests.Fixture.mysqlSchema() + """
            INSERT INTO services (host, `binary`, topic, report_count, deleted, disabled, availability_zone, created_at, updated_at)
            VALUES ('node1@lvm', 'cinder-volume', 'cinder-volume', 7, 0, 0, 'nova', '\(now)', '\(now)'),
                   ('ctl', 'cinder-scheduler', 'cinder-scheduler', 9, 0, 0, 'nova', '\(now)', '\(now)');
            """, database: "cinder")
        try server.sql(CinderSchema.workTables(.mysql).map { $0 + ";\n" }.joined(), database: "cinder")
        try server.sql(WorkFixture.statements(mysql: true).map { $0 + ";\n" }.joined(), database: "cinder")
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func target(_ user: String = "root", _ password: String? = nil) -> DatabaseURL.MySQLTarget {
        DatabaseURL.MySQLTarget(user: user, password: password, host: "127.0.0.1", port: server.port, database: "cinder")
    }

    func testFiguresAreExactUnderACaseInsensitiveCollation() throws {
        // The table's collation folds case: one GROUP BY on the raw column would merge these.
        XCTAssertEqual(try server.sql("SELECT COUNT(DISTINCT status) FROM volumes WHERE status IN ('creating', 'CREATING')",
                                      database: "cinder").trimmingCharacters(in: .whitespacesAndNewlines), "1")
        XCTAssertEqual(try WorkFixture.render(MariaDBWorkReader(target: target(), timeoutSeconds: 5)), WorkFixture.expected)
    }

    func testReadOnlyGrants() throws {
        try server.sql("""
            CREATE USER 'services_only'@'127.0.0.1' IDENTIFIED BY 'pw1';
            GRANT SELECT ON cinder.services TO 'services_only'@'127.0.0.1';
            CREATE USER 'all_four'@'127.0.0.1' IDENTIFIED BY 'pw2';
            GRANT SELECT ON cinder.services TO 'all_four'@'127.0.0.1';
            GRANT SELECT ON cinder.volumes TO 'all_four'@'127.0.0.1';
            GRANT SELECT ON cinder.snapshots TO 'all_four'@'127.0.0.1';
            GRANT SELECT ON cinder.backups TO 'all_four'@'127.0.0.1';
            """)
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        func scrape(_ user: String, _ password: String, log: Logger = quiet) -> (ParsedExposition, Bool) {
            let work = WorkCollectors(kinds: WorkKind.allCases, reader: MariaDBWorkReader(target: target(user, password), timeoutSeconds: 5),
                                      intervalSeconds: 60, logger: log)
            let scraper = Scraper(reader: MariaDBReader(target: target(user, password), timeoutSeconds: 5),
                                  downTimeSeconds: 60, readTimeoutSeconds: 5, work: work, logger: log)
            let (body, ok) = scraper.scrapeOnce(format: .text004)
            return (ParsedExposition(String(decoding: body, as: UTF8.self)), ok)
        }
        let (root, _) = scrape("root", "")
        let log = CapturingLogHandler()
        let (limited, limitedOK) = scrape("services_only", "pw1", log: log.logger)
        XCTAssertTrue(limitedOK, "the services read is what the exit status follows")
        XCTAssertEqual(limited.value("cinder_exporter_database_up"), "1")
        XCTAssertEqual(limited.value("cinder_exporter_scrape_errors_total"), "0")
        let serviceKeys = root.names(withPrefix: "cinder_service_")
        XCTAssertEqual(serviceKeys.count, 2 * 6 + 1)
        XCTAssertEqual(limited.names(withPrefix: "cinder_service_"), serviceKeys)
        for key in serviceKeys where !key.contains("heartbeat_age") {
            XCTAssertEqual(limited.value(key), root.value(key), key)
        }
        for kind in ["volumes", "snapshots", "backups"] {
            XCTAssertEqual(limited.value("cinder_exporter_collector_success{collector=\"\(kind)\"}"), "0", kind)
            XCTAssertTrue(limited.names(withPrefix: "cinder_\(kind)").isEmpty, kind)
        }
        let denied = log.lines.filter { $0.contains("collector failed") }
        XCTAssertEqual(denied.count, 3, "\(log.lines)")
        XCTAssertTrue(denied.allSatisfy { $0.contains("denied") }, "\(denied)")
        XCTAssertFalse(log.lines.joined().contains("pw1"))

        let (full, fullOK) = scrape("all_four", "pw2")
        XCTAssertTrue(fullOK)
        for kind in ["services", "volumes", "snapshots", "backups"] {
            XCTAssertEqual(full.value("cinder_exporter_collector_success{collector=\"\(kind)\"}"), "1", kind)
        }
        XCTAssertEqual(try WorkFixture.render(MariaDBWorkReader(target: target("all_four", "pw2"), timeoutSeconds: 5)),
                       WorkFixture.expected)
    }

    /// A scan stuck behind a lock (a long ALTER, a dump) waits on its own
    /// connection: scrapes stay fast and fresh, the collector times out at
    /// its bound, then recovers.
    func testLockedVolumesTableNeverDelaysAScrape() throws {
        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: try MariaDBServer.tool("mariadb"))
        locker.arguments = ["--no-defaults", "--protocol=socket", "--socket=\(server.socketPath)", "--user=root", "cinder",
                            "-e", "LOCK TABLES volumes WRITE; SELECT SLEEP(6);"]
        locker.standardOutput = FileHandle.nullDevice
        try locker.run()
        defer { if locker.isRunning { locker.terminate() }; locker.waitUntilExit() }
        Thread.sleep(forTimeInterval: 0.5)  // the lock is taken

        let log = CapturingLogHandler()
        let work = WorkCollectors(kinds: [.volumes, .backups], reader: MariaDBWorkReader(target: target(), timeoutSeconds: 2),
                                  intervalSeconds: 1, logger: log.logger)
        let fixture = try ExporterFixture(databasePath: "", reader: MariaDBReader(target: target(), timeoutSeconds: 5),
                                          work: work, logger: log.logger)
        work.start()
        var slowest = 0.0
        for _ in 0..<8 {
            let started = Date()
            let metrics = try fixture.metrics()
            slowest = max(slowest, Date().timeIntervalSince(started))
            XCTAssertEqual(metrics.value("cinder_exporter_database_up"), "1")
            Thread.sleep(forTimeInterval: 0.4)
        }
        // The aggregate waits 2 s on the lock each time; no scrape waited on it.
        XCTAssertLessThan(slowest, 1.0, "a scrape waited on the locked aggregate")
        let during = try fixture.metrics()
        XCTAssertEqual(during.value("cinder_exporter_collector_success{collector=\"volumes\"}"), "0")
        XCTAssertTrue(during.names(withPrefix: "cinder_volumes").isEmpty)
        XCTAssertEqual(log.lines.filter { $0.contains("collector failed") && $0.contains("collector=volumes") }.count, 1, "\(log.lines)")

        locker.terminate()
        locker.waitUntilExit()
        let deadline = Date().addingTimeInterval(15)
        while work.reports().first(where: { $0.kind == .volumes })?.success != true, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(try fixture.metrics().value("cinder_volumes{host=\"node1@lvm\",pool=\"pool-a\",status=\"creating\"}"), "4")
    }
}
