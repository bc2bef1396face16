@testable import CinderExporter
import Foundation
import XCTest

/// The landing page as a browser sees it: headless Chromium loads it over
/// HTTP, and its DOM must list every service with its state, escaped.
final class LandingPageTests: XCTestCase {
    func testChromiumSeesEveryServiceAndItsState() throws {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        try db.insert(["host": .text("alive@lvm"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(now))])
        try db.insert(["host": .text("dead@ceph"), "binary": .text("cinder-volume"), "availability_zone": .text("az2"),
                       "updated_at": .text(TestDatabase.text(now - 600_000_000)), "disabled": .integer(1),
                       "disabled_reason": .text("<script>alert(1)</script> & co")])
        let fixture = try ExporterFixture(databasePath: db.path)
        let chromium = try Tools.require("chromium")
        let profile = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let url = "http://127.0.0.1:\(fixture.port)/"
        let dump = try ProcessResult.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                                    "--dump-dom", url])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        let dom = dump.stdout
        XCTAssertTrue(dom.contains("<tr class=\"up\"><td>cinder-volume</td><td>alive@lvm</td><td>nova</td>"), dom)
        XCTAssertTrue(dom.contains("<tr class=\"down\"><td>cinder-volume</td><td>dead@ceph</td><td>az2</td>"), dom)
        XCTAssertTrue(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), "database text is escaped")
        XCTAssertFalse(dom.contains("<script>alert(1)"))
        XCTAssertTrue(dom.contains("2 services: 1 up, 1 down, 1 disabled."))
        XCTAssertTrue(dom.contains("href=\"/metrics\""))

        let screenshot = profile + "/landing.png"
        let shot = try ProcessResult.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                                    "--window-size=1200,600", "--screenshot=\(screenshot)", url])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4e, 0x47], "a PNG")
        XCTAssertGreaterThan(png.count, 5_000)
    }

    /// A failed read is said in a sentence; the database error (user names,
    /// hosts, socket and file paths) goes to the log only (SPEC §4, issue 12 item 9).
    func testFailedReadShowsNoDatabaseError() throws {
        let log = CapturingLogHandler()
        let path = "/nonexistent/secret-dir-\(UUID().uuidString)/cinder.sqlite"
        let fixture = try ExporterFixture(databasePath: path, logger: log.logger)
        let page = try HTTPTestClient.get(port: fixture.port, "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertFalse(page.text.contains("secret-dir"), page.text)
        XCTAssertFalse(page.text.contains("sqlite"), page.text)
        XCTAssertTrue(log.lines.contains { $0.contains("secret-dir") }, "the details are in the log: \(log.lines)")
    }
}
