@testable import CinderExporter
import Foundation
import XCTest

/// The built `cinder-exporter` binary: exit statuses and stderr lines (SPEC §3).
final class CommandLineTests: XCTestCase {
    var binary: String { TestPaths.exporterBinary }

    override func setUpWithError() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary),
                      "build the package first (swift build): \(binary) is missing")
    }

    func testMetricsPrintsOneExpositionAndExitsZero() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("h"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(Int64(Date().timeIntervalSince1970 * 1e6)))])
        let result = try ProcessResult.run(binary, ["metrics", "--database.url", db.url])
        XCTAssertEqual(result.status, 0, result.stderr)
        let m = ParsedExposition(result.stdout)
        XCTAssertEqual(m.value(serviceKey("cinder_service_up", host: "h", binary: "cinder-volume")), "1")
        XCTAssertEqual(m.value("cinder_exporter_database_up"), "1")
    }

    func testMetricsOnMissingDatabaseExitsOneWithOneLine() throws {
        let result = try ProcessResult.run(binary, ["metrics", "--database.url", "sqlite:////nonexistent/dir/cinder.sqlite"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(ParsedExposition(result.stdout).value("cinder_exporter_database_up") == "0")
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    /// Output that cannot be written (a full disk) exits 1 with one stderr
    /// line, never 0 with a truncated exposition (SPEC §3).
    func testOutputThatCannotBeWrittenExitsOne() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("h"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(Int64(Date().timeIntervalSince1970 * 1e6)))])
        for command in [["metrics"], ["services"], ["services", "--format", "json"], ["volumes", "--all"]] {
            let result = try ProcessResult.run("/bin/sh", ["-c", "exec \"$@\" > /dev/full", "sh", binary]
                                               + command + ["--database.url", db.url])
            XCTAssertEqual(result.status, 1, "\(command): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("No space left on device"), "\(command): \(result.stderr)")
        }
    }

    func testEnvironmentSuppliesTheURL() throws {
        let db = try TestDatabase()
        let result = try ProcessResult.run(binary, ["metrics"], environment: ["CINDER_EXPORTER_DATABASE_URL": db.url])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testBadInputExitsTwoWithOneClearLine() throws {
        let cases: [([String], String)] = [
            (["--no-such-flag"], "no-such-flag"),
            (["metrics", "--database.url", "postgresql://u:hunter2@h/cinder"], "unsupported dialect"),
            (["metrics", "--database.url", "mysql://u:hunter2@h:99999/cinder"], "port"),
            (["metrics", "--database.url", "not a url"], "dialect://"),
            (["metrics", "--database.url", "sqlite://"], "no SQLite file"),
            (["metrics", "--database.url", "sqlite:////x", "--cinder.service-down-time", "-5"], "service-down-time"),
            (["metrics", "--database.url", "sqlite:////x", "--cinder.service-down-time", "abc"], "service-down-time"),
            (["metrics", "--database.url", "sqlite:////x", "--cinder.service-down-time", "9223372036854775807"], "service-down-time"),
            (["--database.url", "sqlite:////x", "--web.listen-address", "nonsense"], "listen address"),
            (["metrics"], "no database"),
        ]
        for (arguments, needle) in cases {
            let result = try ProcessResult.run(binary, arguments, environment: ["CINDER_EXPORTER_DATABASE_URL": ""])
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(needle), "\(arguments): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("hunter2"), "password leaked: \(result.stderr)")
        }
    }

    func testVersionAndHelp() throws {
        let version = try ProcessResult.run(binary, ["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertTrue(version.stdout.contains("cinder-exporter"))
        let help = try ProcessResult.run(binary, ["--help"])
        XCTAssertEqual(help.status, 0)
        for flag in ["--database.url", "--web.listen-address", "--web.telemetry-path", "--cinder.service-down-time", "--log.level"] {
            XCTAssertTrue(help.stdout.contains(flag), "help lacks \(flag)")
        }
    }

    /// Starts the binary on a free loopback port and reads the port from its
    /// JSON start line.
    func startServer(_ arguments: [String], environment: [String: String] = [:]) throws -> (Process, UInt16) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments + ["--web.listen-address", "127.0.0.1:0", "--log.format", "json"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        var collected = Data()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            collected.append(stderr.fileHandleForReading.availableData)
            let text = String(decoding: collected, as: UTF8.self)
            if let range = text.range(of: #""address":"127.0.0.1:(\d+)""#, options: .regularExpression),
               let port = UInt16(text[range].split(separator: ":").last!.dropLast()) {
                return (process, port)
            }
        }
        process.terminate()
        XCTFail("no start line: \(String(decoding: collected, as: UTF8.self))")
        throw HTTPTestClient.ClientError(description: "the exporter printed no start line")
    }

    /// The server starts, answers, and exits 0 on SIGTERM.
    func testServeShutsDownGracefullyOnSIGTERM() throws {
        let db = try TestDatabase()
        let (process, chosen) = try startServer(["--database.url", db.url])
        XCTAssertEqual(try HTTPTestClient.get(port: chosen, "/-/healthy").status, 200)
        process.terminate()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertThrowsError(try HTTPTestClient(port: chosen), "the port is closed after shutdown")
    }

    /// The demo serves its simulated services (one disabled with a reason) and
    /// removes its temporary folder when it stops.
    func testDemoServesSimulatedServicesAndCleansUp() throws {
        let temporary = try Tools.temporaryDirectory()
        let (process, chosen) = try startServer(["demo", "--demo.heartbeat-interval", "1"], environment: ["TMPDIR": temporary])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary).count, 1, "the demo's own folder")
        let first = ParsedExposition(try HTTPTestClient.get(port: chosen, "/metrics").text)
        XCTAssertEqual(first.names(withPrefix: "cinder_service_up{").count, 6)
        XCTAssertEqual(first.names(withPrefix: "cinder_service_up{").filter { first.samples[$0] == "1" }.count, 6)
        let disabled = first.names(withPrefix: "cinder_service_disabled{").filter { first.samples[$0] == "1" }
        XCTAssertEqual(disabled.count, 1)
        XCTAssertTrue(first.names(withPrefix: "cinder_service_info{").contains { $0.contains(#"disabled_reason="maintenance"#) })
        // Heartbeats arrive every second: report counts grow.
        let reportsKey = serviceKey("cinder_service_reports", host: "controller-1", binary: "cinder-scheduler")
        let before = Int(first.samples[reportsKey] ?? "") ?? -1
        Thread.sleep(forTimeInterval: 2.5)
        let after = Int(ParsedExposition(try HTTPTestClient.get(port: chosen, "/metrics").text).samples[reportsKey] ?? "") ?? -1
        XCTAssertGreaterThan(after, before)
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary), [], "the demo removed its folder")
    }
}
