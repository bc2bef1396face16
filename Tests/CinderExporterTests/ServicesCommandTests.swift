@testable import CinderExporter
import Foundation
import XCTest

/// `cinder-exporter services` against generated databases: every row checked
/// against Cinder's rule, JSON parsed, exit statuses (SPEC §3).
final class ServicesCommandTests: XCTestCase {
    struct Generated {
        let host: String, binary: String, disabled: Bool
        let updatedOffset: Int64?  // seconds relative to now; nil = NULL
        let createdOffset: Int64?
        let modifiedOffset: Int64?
    }

    func testJSONMatchesTheRuleRowByRow() throws {
        var generator = SystemRandomNumberGenerator()
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        var generated: [Generated] = []
        // Offsets stay clear of ±60 s so the command's own clock reading cannot flip a row.
        let offsets: [Int64] = [-3600, -300, -61 - 5, -45, -10, 0, 10, 45, 70, 600]
        // Distinct magnitudes, so "closer to now" never hinges on the clock.
        let modifiedOffsets: [Int64] = [-1800, -200, -30, -3, 20, 900]
        try db.execute("BEGIN")
        for index in 0..<300 {
            let row = Generated(
                host: "node-\(index % 40)@backend\(index % 3)", binary: ["cinder-volume", "cinder-scheduler", "cinder-backup"][index % 3],
                disabled: Int.random(in: 0..<5, using: &generator) == 0,
                updatedOffset: Int.random(in: 0..<6, using: &generator) == 0 ? nil : offsets.randomElement(using: &generator),
                createdOffset: Int.random(in: 0..<4, using: &generator) == 0 ? nil : offsets.randomElement(using: &generator),
                modifiedOffset: Int.random(in: 0..<3, using: &generator) == 0 ? modifiedOffsets.randomElement(using: &generator) : nil)
            generated.append(row)
            func time(_ offset: Int64?) -> SQLiteStatement.Value {
                offset.map { .text(TestDatabase.text(now + $0 * 1_000_000)) } ?? .null
            }
            try db.insert(["id": .integer(Int64(index + 1)), "host": .text(row.host), "binary": .text(row.binary),
                           "availability_zone": .text("az\(index % 2)"), "disabled": .integer(row.disabled ? 1 : 0),
                           "updated_at": time(row.updatedOffset), "created_at": time(row.createdOffset),
                           "modified_at": time(row.modifiedOffset)])
        }
        try db.insert(["id": .integer(1000), "host": .text("deleted"), "deleted": .integer(1)])
        try db.execute("COMMIT")

        let result = try ProcessResult.run(TestPaths.exporterBinary, ["services", "--database.url", db.url, "--format", "json"])
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], result.stdout)
        XCTAssertEqual(objects.count, 300, "every live row, duplicates included, deleted excluded")
        var anyEnabledDown = false
        for (row, object) in zip(generated, objects) {
            XCTAssertEqual(Set(object.keys), ["binary", "host", "zone", "status", "state", "updated_at", "cluster", "disabled_reason"])
            XCTAssertEqual(object["host"] as? String, row.host)
            XCTAssertEqual(object["binary"] as? String, row.binary)
            let last = row.updatedOffset ?? row.createdOffset
            let up = last.map { abs($0) <= 60 } ?? false
            XCTAssertEqual(object["state"] as? String, up ? "up" : "down", "\(row)")
            XCTAssertEqual(object["status"] as? String, row.disabled ? "disabled" : "enabled")
            // Displayed time: modified_at when at least as close to now as last, else updated_at.
            var shown = row.updatedOffset
            if let modified = row.modifiedOffset, last.map({ abs($0) >= abs(modified) }) ?? true { shown = modified }
            let expected = shown.map { UTCTime.isoString(micros: now + $0 * 1_000_000) }
            XCTAssertEqual(object["updated_at"] as? String, expected, "\(row)")
            if expected == nil { XCTAssertTrue(object["updated_at"] is NSNull) }
            if !row.disabled && !up { anyEnabledDown = true }
        }
        XCTAssertEqual(result.status, anyEnabledDown ? 1 : 0)
    }

    func testExitStatusesAndFilters() throws {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        try db.insert(["host": .text("ctl"), "binary": .text("cinder-scheduler"), "updated_at": .text(TestDatabase.text(now))])
        try db.insert(["host": .text("ctl@lvm"), "binary": .text("cinder-volume"), "updated_at": .text(TestDatabase.text(now))])
        try db.insert(["host": .text("ctl@lvm#pool"), "binary": .text("cinder-volume"), "updated_at": .text(TestDatabase.text(now))])
        try db.insert(["host": .text("ctl2@lvm"), "binary": .text("cinder-volume"), "updated_at": .text(TestDatabase.text(now - 3_600_000_000)),
                       "disabled": .integer(1)])
        func run(_ arguments: [String]) throws -> ProcessResult {
            try ProcessResult.run(TestPaths.exporterBinary, ["services", "--database.url", db.url] + arguments)
        }
        let all = try run([])
        XCTAssertEqual(all.status, 0, "the only down service is disabled: \(all.stdout)")
        XCTAssertTrue(all.stdout.contains("| Binary "))
        XCTAssertTrue(all.stdout.contains("Disabled Reason"))
        func hosts(_ arguments: [String]) throws -> [String] {
            let output = try run(arguments + ["--format", "json"]).stdout
            let objects = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] ?? []
            return objects.compactMap { $0["host"] as? String }
        }
        XCTAssertEqual(try hosts(["--host", "ctl"]), ["ctl", "ctl@lvm", "ctl@lvm#pool"])
        XCTAssertEqual(try hosts(["--host", "ctl@lvm"]), ["ctl@lvm", "ctl@lvm#pool"])
        XCTAssertEqual(try hosts(["--host", "ctl@lvm#pool"]), ["ctl@lvm#pool"])
        XCTAssertEqual(try hosts(["--binary", "cinder-scheduler"]), ["ctl"])

        // A filter that matches nothing is a typo, never "healthy" (SPEC §3).
        for filter in [["--host", "ct"], ["--binary", "cinder-volumes"], ["--host", "stor-9", "--binary", "cinder-volume"]] {
            let result = try run(filter)
            XCTAssertEqual(result.status, 2, "\(filter): \(result.stdout)")
            XCTAssertEqual(result.stdout, "", "no empty table")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("no live service matches \(filter.joined(separator: " "))"), result.stderr)
        }
        XCTAssertTrue(try run(["--binary", "cinder-volumes"]).stderr.contains("binaries: cinder-scheduler, cinder-volume"))

        try db.execute("UPDATE services SET disabled = 0")
        XCTAssertEqual(try run([]).status, 1, "an enabled service is down")
        XCTAssertEqual(try ProcessResult.run(TestPaths.exporterBinary, ["services", "--database.url", "sqlite:////nonexistent.sqlite"]).status, 2)
        XCTAssertEqual(try run(["--format", "xml"]).status, 2)
    }
}

/// Log lines: one per start, failure and recovery; never a password (SPEC §3).
final class LoggingTests: XCTestCase {
    func testJSONLogsNeverCarryThePassword() throws {
        let result = try ProcessResult.run(TestPaths.exporterBinary, [
            "metrics", "--database.url", "mysql+pymysql://cinder:hunter2%40x@127.0.0.1:1/cinder?charset=utf8",
            "--database.timeout", "2", "--log.format", "json",
        ])
        XCTAssertEqual(result.status, 1)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(object["level"] as? String, "error")
        XCTAssertNotNil(object["ts"])
        XCTAssertFalse(result.stderr.contains("hunter2"), result.stderr)
        XCTAssertFalse(result.stdout.contains("hunter2"))
    }

    func testLogfmtStartLineNamesTheDatabaseButNotThePassword() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPaths.exporterBinary)
        process.arguments = ["--database.url", "mysql://cinder:s3cr3t@127.0.0.1:1/cinder", "--web.listen-address", "127.0.0.1:0",
                             "--database.timeout", "1"]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        while !text.contains("cinder-exporter started"), Date() < deadline {
            text += String(decoding: stderr.fileHandleForReading.availableData, as: UTF8.self)
        }
        process.terminate()
        process.waitUntilExit()
        text += String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("database=mysql:cinder@127.0.0.1:1/cinder"), text)
        XCTAssertTrue(text.contains("level=info"))
        XCTAssertFalse(text.contains("s3cr3t"), text)
    }
}
