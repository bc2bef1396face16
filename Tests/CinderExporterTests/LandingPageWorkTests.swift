@testable import CinderExporter
import Foundation
import Logging
import XCTest

/// The landing page's work in flight (SPEC §4, §9): groups in transitional
/// statuses oldest first, escaped, and a failed work collector named in a
/// sentence without the database's error text; Chromium renders it.
final class LandingPageWorkTests: XCTestCase {
    private func waitFor(_ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(10)
        while !condition(), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertTrue(condition())
    }

    func testInFlightSummaryOldestFirstAndAFailedCollectorInASentence() throws {
        let database = try TestDatabase()
        let now = Clock.nowMicros() / 1_000_000 * 1_000_000
        try database.insert(["host": .text("node1@lvm"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                             "updated_at": .text(TestDatabase.text(now))])
        try database.insertWorkFixture(now: now)
        try database.execute("""
            INSERT INTO volumes (id, host, status, deleted, created_at, volume_type_id)
            VALUES ('esc', '<b>evil</b>@x#"p"', 'deleting', 0, '\(WorkFixture.at(-30, from: now))', 't')
            """)
        try database.execute("DROP TABLE backups")
        let work = WorkCollectors(kinds: WorkKind.allCases, reader: SQLiteWorkReader(path: database.path, timeoutSeconds: 5),
                                  intervalSeconds: 60, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let fixture = try ExporterFixture(databasePath: database.path, work: work)
        work.start()
        waitFor { work.reports().count == 3 }
        let page = try HTTPTestClient.get(port: fixture.port, "/").text
        XCTAssertTrue(page.contains("<h2 id=\"work\">Work in flight</h2>"), page)
        XCTAssertTrue(page.contains("The backups collector cannot read its table"), page)
        XCTAssertFalse(page.contains("no such table"), "the database's error text stays in the log")
        XCTAssertFalse(page.contains("<b>evil"), "escaped")
        XCTAssertTrue(page.contains("&lt;b&gt;evil&lt;/b&gt;@x"), page)
        // Oldest first: 10m (volumes creating on pool-a), 5m (snapshot), then
        // younger ones; 'CREATING' and settled statuses are not in flight.
        let table = try XCTUnwrap(page.range(of: "<table id=\"work-in-flight\">")).upperBound
        let body = String(page[table...])
        let order = ["<td>volume</td><td>node1@lvm</td><td>pool-a</td><td>creating</td><td class=\"num\">4</td><td class=\"num\">10m 0",
                     "<td>snapshot</td><td>node1@lvm</td><td>pool-a</td><td>creating</td>",
                     "<td>snapshot</td><td>node1@lvm</td><td>pool-b</td><td>deleting</td>",
                     "<td>volume</td><td>(none)</td><td></td><td>creating</td><td class=\"num\">2</td>"]
        var last = body.startIndex
        for row in order {
            let found = try XCTUnwrap(body.range(of: row, range: last..<body.endIndex), "\(row) not after the previous row:\n\(body)")
            last = found.upperBound
        }
        XCTAssertFalse(body.contains("<td>CREATING</td>"))
        XCTAssertFalse(body.contains("<td>available</td>"))
        XCTAssertTrue(body.contains("<td class=\"num\">31 GiB</td>"), body)

        // Chromium parses it into the same table.
        let chromium = try Tools.require("chromium")
        let profile = try Tools.temporaryDirectory(removedAfter: self)
        let dump = try ProcessResult.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)/p",
                                                    "--dump-dom", "http://127.0.0.1:\(fixture.port)/"],
                                         environment: ["TMPDIR": profile, "HOME": profile])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        XCTAssertTrue(dump.stdout.contains("id=\"work-in-flight\""), dump.stdout)
        XCTAssertEqual(dump.stdout.components(separatedBy: "<tr><td>volume</td>").count - 1, 4, dump.stdout)
    }
}
