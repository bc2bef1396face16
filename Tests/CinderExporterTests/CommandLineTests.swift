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
        XCTAssertTrue(help.stdout.hasPrefix("OVERVIEW: cinder-exporter is a Prometheus exporter for OpenStack Cinder"), help.stdout)
        // Flags grouped under headings, in this order, each flag under its own.
        let groups: [(String, [String])] = [
            ("DATABASE:", ["--database.url", "--database.password-file", "--database.timeout"]),
            ("CINDER:", ["--cinder.config-file", "--cinder.service-down-time"]),
            ("COLLECTORS:", ["--collector.interval", "--collector.timeout"]),
            ("WEB:", ["--web.listen-address", "--web.telemetry-path", "--web.config.file"]),
            ("LOG:", ["--log.level", "--log.format"]),
        ]
        let sections = Self.helpSections(help.stdout)
        XCTAssertEqual(sections.map(\.heading).filter { !["OVERVIEW:", "USAGE:", "OPTIONS:", "SUBCOMMANDS:"].contains($0) },
                       groups.map(\.0), help.stdout)
        for (heading, flags) in groups {
            let body = sections.first { $0.heading == heading }?.body ?? ""
            for flag in flags { XCTAssertTrue(body.contains(flag + " <"), "\(flag) is not under \(heading)") }
        }
        let flat = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(flat.contains("(default: 60, or service_down_time from --cinder.config-file)"), "service-down-time default")
        XCTAssertTrue(flat.contains("(default: :9876)") && flat.contains("(default: 5.0)"), flat)
        let logLevel = sections.first { $0.heading == "LOG:" }?.body ?? ""
        XCTAssertEqual(logLevel.components(separatedBy: "debug").count - 1, 1, "the values once: \(logLevel)")

        let metricsHelp = try ProcessResult.run(binary, ["help", "metrics"])
        XCTAssertEqual(metricsHelp.status, 0)
        let metricsFlat = metricsHelp.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(metricsFlat.contains("1 when it could not be read"), metricsFlat)
        XCTAssertTrue(metricsFlat.contains("2 on bad input"), metricsFlat)
        let servicesHelp = try ProcessResult.run(binary, ["help", "services"])
        XCTAssertTrue(servicesHelp.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            .contains("a --host/--binary that matches no live service"), servicesHelp.stdout)
    }

    /// `HEADING:` lines of --help and the text under each.
    static func helpSections(_ text: String) -> [(heading: String, body: String)] {
        var sections: [(heading: String, body: String)] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let first = line.first, first.isUppercase, let colon = line.firstIndex(of: ":"),
               line[..<colon].allSatisfy({ $0.isUppercase }) {
                sections.append((String(line[...colon]), String(line[line.index(after: colon)...]) + "\n"))
            } else if !sections.isEmpty {
                sections[sections.count - 1].body += line + "\n"
            }
        }
        return sections
    }

    /// SPEC §3: output that cannot be written (a full disk) exits 1 with a line.
    func testMetricsThatCannotBeWrittenExitsOne() throws {
        let db = try TestDatabase()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["metrics", "--database.url", db.url]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertTrue(message.contains("cannot write the exposition to stdout"), message)
    }

    /// A running `cinder-exporter` and what it has written to stderr so far.
    final class ServerProcess {
        let process: Process
        let port: UInt16
        private let stderr: FileHandle
        private(set) var log: String

        init(process: Process, port: UInt16, stderr: FileHandle, log: String) {
            self.process = process
            self.port = port
            self.stderr = stderr
            self.log = log
        }

        /// Reads stderr until `needle` appears or `seconds` pass; true when it appeared.
        func waitForLog(_ needle: String, seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while !log.contains(needle), Date() < deadline {
                if let data = try? readAvailable(until: deadline) { log += String(decoding: data, as: UTF8.self) }
            }
            return log.contains(needle)
        }

        private func readAvailable(until deadline: Date) throws -> Data {
            var poller = pollfd(fd: stderr.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let millis = Int32(max(0, deadline.timeIntervalSinceNow) * 1000)
            guard poll(&poller, 1, min(millis, 200)) > 0 else { return Data() }
            return stderr.availableData
        }

        deinit {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
    }

    /// Starts the binary on a free loopback port and reads the port from its
    /// JSON start line.
    func startServer(_ arguments: [String], environment: [String: String] = [:]) throws -> ServerProcess {
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
                return ServerProcess(process: process, port: port, stderr: stderr.fileHandleForReading, log: text)
            }
        }
        process.terminate()
        XCTFail("no start line: \(String(decoding: collected, as: UTF8.self))")
        throw HTTPTestClient.ClientError(description: "the exporter printed no start line")
    }

    /// The server starts, answers, and exits 0 on SIGTERM.
    func testServeShutsDownGracefullyOnSIGTERM() throws {
        let db = try TestDatabase()
        let server = try startServer(["--database.url", db.url])
        let (process, chosen) = (server.process, server.port)
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
        let temporary = try Tools.temporaryDirectory(removedAfter: self)
        let server = try startServer(["demo", "--demo.heartbeat-interval", "1"], environment: ["TMPDIR": temporary])
        let (process, chosen) = (server.process, server.port)
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

    /// SPEC §3: `demo --demo.database PATH` never writes to a file it did not
    /// make: a copy of a real Cinder database, or any other file, is refused
    /// (exit 2, one line) and left byte for byte as it was.
    func testDemoRefusesAFileItDidNotMake() throws {
        let db = try TestDatabase()
        try db.insert(["host": .text("real@ceph"), "binary": .text("cinder-volume"), "availability_zone": .text("nova"),
                       "updated_at": .text(TestDatabase.text(Clock.nowMicros()))])
        let text = db.directory + "/notes.txt"
        try "not a database\n".write(toFile: text, atomically: true, encoding: .utf8)
        let empty = db.directory + "/empty.sqlite"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        for path in [db.path, text, empty] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let modified = try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date
            let result = try ProcessResult.run(binary, ["demo", "--demo.database", path, "--web.listen-address", "127.0.0.1:0"])
            XCTAssertEqual(result.status, 2, "\(path): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("not made by `cinder-exporter demo`"), result.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "\(path) was changed")
            XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date, modified)
        }
        let rows = try SQLiteReader(path: db.path, timeoutSeconds: 1).readRows()
        XCTAssertEqual(rows.map(\.host), ["real@ceph"], "the real services are still there")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: db.directory).sorted(),
                       ["cinder.sqlite", "empty.sqlite", "notes.txt"], "no journal or other file left beside them")
    }

    /// The demo creates a new file and may start again on a file it made.
    func testDemoCreatesItsDatabaseAndReusesItsOwn() throws {
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let path = directory + "/demo.sqlite"
        for round in 1...2 {
            let server = try startServer(["demo", "--demo.database", path])
            let metrics = ParsedExposition(try HTTPTestClient.get(port: server.port, "/metrics").text)
            XCTAssertEqual(metrics.names(withPrefix: "cinder_service_up{").count, 6, "round \(round)")
            server.process.interrupt()
            server.process.waitUntilExit()
            XCTAssertEqual(server.process.terminationStatus, 0, "round \(round): \(server.log)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path), "a file the user named stays")
    }

    /// SPEC §3: the server reads the table once at start-up, so a wrong URL is
    /// logged at once, with no scrape, and it still serves database_up 0.
    func testServerReadsAtStartUpAndLogsAWrongURLAtOnce() throws {
        let relative = "var/lib/cinder-exporter-missing-\(UUID().uuidString)/cinder.sqlite"
        let server = try startServer(["--database.url", "sqlite:///" + relative])
        XCTAssertTrue(server.waitForLog("cannot read the services table", seconds: 5), "no start-up read: \(server.log)")
        let errorLine = try XCTUnwrap(server.log.split(separator: "\n").first { $0.contains("cannot read the services table") })
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(errorLine.utf8)) as? [String: Any])
        XCTAssertEqual(object["database"] as? String, "sqlite:///" + relative, "the URL as the user wrote it")
        let error = try XCTUnwrap(object["error"] as? String)
        XCTAssertTrue(error.contains("an absolute path needs four: sqlite:////" + relative), error)
        let metrics = ParsedExposition(try HTTPTestClient.get(port: server.port, "/metrics").text)
        XCTAssertEqual(metrics.value("cinder_exporter_database_up"), "0")
        XCTAssertEqual(metrics.value("cinder_exporter_scrape_errors_total"), "2", "the start-up read and this scrape's")
    }

    /// SPEC §3: a relative `sqlite:///` path that does not exist gets the
    /// four-slash hint; the URL is echoed as written, its password redacted.
    func testRelativeSQLitePathGetsTheFourSlashHint() throws {
        let relative = "var/lib/cinder-exporter-missing-\(UUID().uuidString)/cinder.sqlite"
        let result = try ProcessResult.run(binary, ["services", "--database.url", "sqlite:///" + relative])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("from sqlite:///\(relative):"), result.stderr)
        XCTAssertTrue(result.stderr.contains("an absolute path needs four: sqlite:////\(relative)"), result.stderr)
        XCTAssertFalse(result.stderr.contains("sqlite:\(relative)"), "a form the user never typed")
        let absolute = try ProcessResult.run(binary, ["services", "--database.url", "sqlite:////\(relative)"])
        XCTAssertEqual(absolute.status, 2)
        XCTAssertFalse(absolute.stderr.contains("four"), "an absolute path needs no hint: \(absolute.stderr)")
    }
}
