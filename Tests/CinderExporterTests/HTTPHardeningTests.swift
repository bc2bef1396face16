@testable import CinderExporter
import Foundation
import Logging
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SPEC §4 on a real libmicrohttpd server: gzip, OpenMetrics, TLS, basic auth,
/// timeouts, and hostile clients.
final class HTTPHardeningTests: XCTestCase {
    func makeDatabase(services: Int = 3) throws -> TestDatabase {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        for index in 0..<services {
            try db.insert(["host": .text("host-\(index)@lvm"), "binary": .text("cinder-volume"),
                           "availability_zone": .text("nova"), "report_count": .integer(Int64(index)),
                           "updated_at": .text(TestDatabase.text(now - Int64(index) * 30_000_000)),
                           "disabled": .integer(index == 2 ? 1 : 0),
                           "disabled_reason": index == 2 ? .text("<b>maintenance</b> & \"tests\"") : .null])
        }
        return db
    }

    func serviceLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("cinder_service_") && !$0.contains("heartbeat_age") }
    }

    func testGzipWhenAskedAndIdentityOtherwise() throws {
        let db = try makeDatabase()
        let fixture = try ExporterFixture(databasePath: db.path)
        let client = try HTTPTestClient(port: fixture.port)
        let plain = try client.request("GET", "/metrics")
        XCTAssertNil(plain.headers["content-encoding"])
        XCTAssertEqual(plain.headers["vary"], "Accept-Encoding")
        let zipped = try client.request("GET", "/metrics", headers: ["Accept-Encoding": "gzip, deflate"])
        XCTAssertEqual(zipped.headers["content-encoding"], "gzip")
        XCTAssertEqual(Array(zipped.body.prefix(2)), [0x1f, 0x8b])
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        try Data(zipped.body).write(to: URL(fileURLWithPath: directory + "/body.gz"))
        let unzipped = try ProcessResult.run(try Tools.require("gzip"), ["-dc", directory + "/body.gz"])
        XCTAssertEqual(unzipped.status, 0)
        XCTAssertEqual(serviceLines(unzipped.stdout), serviceLines(plain.text))
        XCTAssertLessThan(zipped.body.count, plain.body.count)
        let refused = try client.request("GET", "/metrics", headers: ["Accept-Encoding": "gzip;q=0, identity"])
        XCTAssertNil(refused.headers["content-encoding"])
    }

    func testOpenMetricsPassesAStrictParser() throws {
        let db = try makeDatabase()
        let fixture = try ExporterFixture(databasePath: db.path)
        let response = try HTTPTestClient.get(port: fixture.port, "/metrics", headers: [
            "Accept": "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        ])
        XCTAssertEqual(response.headers["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8")
        XCTAssertTrue(response.text.hasSuffix("# EOF\n"))
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        try Data(response.body).write(to: URL(fileURLWithPath: directory + "/om.txt"))
        let families = try Tools.runPython("""
            import sys
            from prometheus_client.openmetrics.parser import text_string_to_metric_families
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                print(family.name, family.type, len(family.samples))
            """, [directory + "/om.txt"])
        XCTAssertTrue(families.contains("cinder_service_up gauge 3"), families)
        XCTAssertTrue(families.contains("cinder_exporter_scrape_errors counter 1"), families)
        XCTAssertTrue(families.contains("cinder_service_info gauge 3"), families)
    }

    func testTLSAndBasicAuth() throws {
        let db = try makeDatabase()
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let (cert, _) = try Tools.makeCertificate(in: directory)
        let hash = "$2b$10$0123456789abcdefghijke9ORJj3oxHORehl3kCDiTb7DE.M1QRDi"  // "secret"
        let yaml = """
            tls_server_config:
              cert_file: cert.pem
              key_file: key.pem
            basic_auth_users:
              alice: \(hash)
            """
        try yaml.write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let config = try WebConfig.load(path: directory + "/web.yml")
        let scraper = Scraper(reader: SQLiteReader(path: db.path, timeoutSeconds: 2), downTimeSeconds: 60,
                              readTimeoutSeconds: 2, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let handler = AuthenticatingHandler(authenticator: Authenticator(users: config.basicAuthUsers),
                                            inner: ExporterHandler(scraper: scraper, telemetryPath: "/metrics"))
        let server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), tls: config.tls, handler: handler,
                                    logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { server.stop() }
        let curl = try Tools.require("curl")
        func status(_ extra: [String], path: String = "/metrics") throws -> (code: String, headers: String) {
            let result = try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-D", "-", "-w", "%{http_code}", "--cacert", cert,
                                                      "--max-time", "10"] + extra + ["https://127.0.0.1:\(server.port)\(path)"])
            return (String(result.stdout.suffix(3)), result.stdout)
        }
        let missing = try status([])
        XCTAssertEqual(missing.code, "401")
        XCTAssertTrue(missing.headers.lowercased().contains("www-authenticate: basic realm=\"cinder-exporter\""), missing.headers)
        XCTAssertEqual(try status(["-u", "alice:wrong"]).code, "401")
        XCTAssertEqual(try status(["-u", "bob:secret"]).code, "401")
        XCTAssertEqual(try status(["-u", "alice:secret"]).code, "200")
        XCTAssertEqual(try status(["-u", "alice:secret"]).code, "200", "cached check")
        XCTAssertEqual(try status([], path: "/-/healthy").code, "401", "health follows the same auth")
        XCTAssertEqual(try status([], path: "/").code, "401", "so does the landing page")
        XCTAssertEqual(try status(["-u", "alice:secret", "--tlsv1.2", "--tls-max", "1.2"]).code, "200")
        XCTAssertEqual(try status(["-u", "alice:secret", "--tlsv1.1", "--tls-max", "1.1"]).code, "000", "TLS 1.1 is refused")
        // Plain HTTP to the TLS port gets no answer.
        XCTAssertNotEqual(try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                                                       "http://127.0.0.1:\(server.port)/metrics"]).stdout, "200")
    }

    /// Client certificates (exporter-toolkit's client_ca_file and
    /// client_auth_type), checked with curl holding a certificate from the
    /// client CA, one from another CA, and none (issue 12 item 11).
    func testClientCertificates() throws {
        let db = try makeDatabase()
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let (cert, _) = try Tools.makeCertificate(in: directory)
        let clients = try TestCA(name: "client-ca", in: directory)
        let good = try clients.issue("prometheus")
        let foreign = try TestCA(name: "foreign-ca", in: directory).issue("mallory")
        let curl = try Tools.require("curl")
        let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
        let scraper = Scraper(reader: SQLiteReader(path: db.path, timeoutSeconds: 2), downTimeSeconds: 60, readTimeoutSeconds: 2, logger: logger)
        for (type, expected) in [("RequireAndVerifyClientCert", ["200", "403", "403"]), ("VerifyClientCertIfGiven", ["200", "403", "200"])] {
            try """
                tls_server_config:
                  cert_file: cert.pem
                  key_file: key.pem
                  client_ca_file: client-ca.pem
                  client_auth_type: \(type)
                """.write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
            let config = try WebConfig.load(path: directory + "/web.yml")
            let server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), tls: config.tls,
                                        handler: ExporterHandler(scraper: scraper, telemetryPath: "/metrics"), logger: logger)
            defer { server.stop() }
            func status(_ extra: [String]) throws -> String {
                try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", cert]
                                      + extra + ["https://127.0.0.1:\(server.port)/metrics"]).stdout
            }
            let answers = [try status(["--cert", good.cert, "--key", good.key]),
                           try status(["--cert", foreign.cert, "--key", foreign.key]),
                           try status([])]
            XCTAssertEqual(answers, expected, "\(type): good, foreign, none")
            XCTAssertEqual(try status(["--cert", good.cert, "--key", good.key, "--tls-max", "1.2"]), "200", "\(type) over TLS 1.2")
            XCTAssertEqual(try status(["--cert", foreign.cert, "--key", foreign.key, "--tls-max", "1.2"]), "403", "\(type) over TLS 1.2")
        }
        // A server certificate of the client CA is no client certificate.
        let serverOnly = try clients.issue("a-server", altNames: "DNS:localhost")
        try "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n  client_ca_file: client-ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n"
            .write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), tls: try WebConfig.load(path: directory + "/web.yml").tls,
                                    handler: ExporterHandler(scraper: scraper, telemetryPath: "/metrics"), logger: logger)
        defer { server.stop() }
        XCTAssertEqual(try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert, "--cert", serverOnly.cert,
                                                    "--key", serverOnly.key, "https://127.0.0.1:\(server.port)/metrics"]).stdout, "403")
    }

    /// Plain HTTP to the TLS port: libmicrohttpd 0.9.75 can only close the
    /// connection, so the exporter warns, at most once a minute.
    func testPlainHTTPToTheTLSPortIsLoggedOnceAMinute() throws {
        let db = try makeDatabase()
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let (cert, _) = try Tools.makeCertificate(in: directory)
        try "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n".write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let config = try WebConfig.load(path: directory + "/web.yml")
        let capture = CapturingLogHandler()
        let scraper = Scraper(reader: SQLiteReader(path: db.path, timeoutSeconds: 2), downTimeSeconds: 60, readTimeoutSeconds: 2,
                              logger: capture.logger)
        let server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), tls: config.tls,
                                    handler: ExporterHandler(scraper: scraper, telemetryPath: "/metrics"), logger: capture.logger)
        defer { server.stop() }
        let curl = try Tools.require("curl")
        for _ in 0..<3 {
            let plain = try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                                                     "http://127.0.0.1:\(server.port)/metrics"])
            XCTAssertEqual(plain.stdout, "000", "no answer: the connection is closed")
        }
        XCTAssertEqual(try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert,
                                                    "https://127.0.0.1:\(server.port)/metrics"]).stdout, "200", "HTTPS still works")
        let deadline = Date().addingTimeInterval(3)
        while !capture.lines.contains(where: { $0.contains("plain HTTP") }), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let warnings = capture.lines.filter { $0.contains("plain HTTP") }
        XCTAssertEqual(warnings.count, 1, "\(capture.lines)")
        XCTAssertTrue(warnings.first?.hasPrefix("warning TLS handshake failed") ?? false, "\(warnings)")
    }

    func testHandshakeWarningsAreLimitedToOneAMinute() {
        var limiter = HandshakeFailures()
        XCTAssertEqual(limiter.shouldLog(at: 100), 0, "the first is logged")
        XCTAssertNil(limiter.shouldLog(at: 101))
        XCTAssertNil(limiter.shouldLog(at: 159.9))
        XCTAssertEqual(limiter.shouldLog(at: 160), 2, "a minute later, with the count left out")
        XCTAssertNil(limiter.shouldLog(at: 200))
        XCTAssertEqual(limiter.shouldLog(at: 1000), 1)
        XCTAssertTrue(HandshakeFailures.matches("Error: received handshake message out of context."))
        XCTAssertFalse(HandshakeFailures.matches("Failed to send data in request for `/metrics'."))
    }

    func testTLS13OnlyRefusesTLS12() throws {
        let db = try makeDatabase()
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let (cert, _) = try Tools.makeCertificate(in: directory)
        try "tls_server_config:\n  cert_file: \(directory)/cert.pem\n  key_file: \(directory)/key.pem\n  min_version: TLS13\n"
            .write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let config = try WebConfig.load(path: directory + "/web.yml")
        let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
        let scraper = Scraper(reader: SQLiteReader(path: db.path, timeoutSeconds: 2), downTimeSeconds: 60, readTimeoutSeconds: 2, logger: logger)
        let server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), tls: config.tls,
                                    handler: ExporterHandler(scraper: scraper, telemetryPath: "/metrics"), logger: logger)
        defer { server.stop() }
        let curl = try Tools.require("curl")
        let url = "https://127.0.0.1:\(server.port)/metrics"
        XCTAssertEqual(try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert, "--tlsv1.3", url]).stdout, "200")
        XCTAssertEqual(try ProcessResult.run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", cert, "--tls-max", "1.2", url]).stdout, "000")
    }

    func testMalformedWebConfigStopsStartUp() throws {
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let cases = [
            ("bad.yml", "basic_auth_users: [unclosed", "not valid YAML"),
            ("unknown.yml", "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Any\n", "unsupported"),
            ("plain.yml", "basic_auth_users:\n  alice: secret\n", "bcrypt"),
            ("nocert.yml", "tls_server_config:\n  cert_file: /nonexistent.pem\n  key_file: /nonexistent.key\n", "cannot read"),
            ("tls10.yml", "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n", "TLS10"),
            ("anycert.yml", "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n", "RequireAnyClientCert"),
            ("noca.yml", "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert\n", "client_ca_file"),
            ("nopolicy.yml", "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.pem\n", "client_auth_type"),
            ("badca.yml", "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: /nonexistent-ca.pem\n  client_auth_type: RequireAndVerifyClientCert\n", "nonexistent-ca.pem"),
            ("typo.yml", "basic_auth_user:\n  alice: x\n", "unsupported key"),
        ]
        for (name, text, needle) in cases {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
            let result = try ProcessResult.run(TestPaths.exporterBinary, [
                "--database.url", "sqlite:////nonexistent.sqlite", "--web.listen-address", "127.0.0.1:0",
                "--web.config.file", directory + "/" + name,
            ])
            XCTAssertEqual(result.status, 2, "\(name): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(needle), "\(name): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("secret"), "\(name) leaked a password: \(result.stderr)")
        }
        let missing = try ProcessResult.run(TestPaths.exporterBinary, [
            "--database.url", "sqlite:////x", "--web.config.file", directory + "/none.yml"])
        XCTAssertEqual(missing.status, 2)
    }

    /// Absurd scrape-timeout headers are read as "no shorter than our own timeout".
    func testOddScrapeTimeoutHeadersAreHarmless() throws {
        let db = try makeDatabase()
        let fixture = try ExporterFixture(databasePath: db.path)
        for value in ["1e300", "-5", "nan", "inf", "abc", "0", String(repeating: "9", count: 400)] {
            let response = try HTTPTestClient.get(port: fixture.port, "/metrics", headers: ["X-Prometheus-Scrape-Timeout-Seconds": value])
            XCTAssertEqual(response.status, 200, value)
            XCTAssertEqual(ParsedExposition(response.text).value("cinder_exporter_database_up"), "1", value)
        }
    }

    /// Scrapes that give up on a hung read answer database_up 0 for
    /// themselves only; the read counts once, by its own outcome (SPEC §4).
    func testTimedOutScrapesOfOneReadCountOnce() throws {
        let db = try makeDatabase()
        let fixture = try ExporterFixture(databasePath: db.path, timeoutSeconds: 3)
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_scrape_errors_total"), "0")
        try db.execute("PRAGMA locking_mode = EXCLUSIVE")
        try db.execute("BEGIN EXCLUSIVE")
        try db.execute("UPDATE services SET report_count = report_count + 1")
        let port = fixture.port
        let group = DispatchGroup()
        for _ in 0..<3 {
            group.enter()
            Thread.detachNewThread {
                _ = try? HTTPTestClient.get(port: port, "/metrics", headers: ["X-Prometheus-Scrape-Timeout-Seconds": "1"])
                group.leave()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        let during = try fixture.metrics(headers: ["X-Prometheus-Scrape-Timeout-Seconds": "1"])
        XCTAssertEqual(during.value("cinder_exporter_database_up"), "0")
        XCTAssertEqual(during.value("cinder_exporter_scrape_errors_total"), "0", "giving up is not a failed read")
        XCTAssertEqual(during.value("cinder_exporter_database_reads_total"), "1")
        // The shared read itself fails when its own 3 s busy timeout ends: counted once.
        let deadline = Date().addingTimeInterval(10)
        while fixture.scraper.readsTotal < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let after = try fixture.metrics(headers: ["X-Prometheus-Scrape-Timeout-Seconds": "1"])
        XCTAssertEqual(after.value("cinder_exporter_scrape_errors_total"), "1", "four scrapes waited on one failed read")
        try db.execute("COMMIT")
        try db.execute("PRAGMA locking_mode = NORMAL")
        try db.execute("SELECT count(*) FROM services")
    }

    /// A scrape with a short timeout gives up on a read that then succeeds:
    /// its own answer says database_up 0, but the counter, the log and
    /// /-/ready follow the read, which succeeded (SPEC §4, issue 12 item 2).
    func testShortTimeoutScrapeDoesNotPoisonTheSharedRead() throws {
        let db = try makeDatabase()
        let log = CapturingLogHandler()
        let fixture = try ExporterFixture(databasePath: db.path, timeoutSeconds: 10, logger: log.logger)
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_scrape_errors_total"), "0")
        try db.execute("PRAGMA locking_mode = EXCLUSIVE")
        try db.execute("BEGIN EXCLUSIVE")
        try db.execute("UPDATE services SET report_count = report_count + 1")
        let impatient = try fixture.metrics(headers: ["X-Prometheus-Scrape-Timeout-Seconds": "0.1"])
        XCTAssertEqual(impatient.value("cinder_exporter_database_up"), "0", "its own answer")
        XCTAssertEqual(impatient.value("cinder_exporter_scrape_errors_total"), "0")
        Thread.sleep(forTimeInterval: 1)
        try db.execute("COMMIT")
        try db.execute("PRAGMA locking_mode = NORMAL")
        try db.execute("SELECT count(*) FROM services")
        // The read in flight now succeeds (SQLite's busy handler retries within ~100 ms).
        let deadline = Date().addingTimeInterval(5)
        while fixture.scraper.readsTotal < 2, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        XCTAssertEqual(fixture.scraper.readsTotal, 2, "the shared read was recorded")
        XCTAssertEqual(fixture.scraper.errorsTotal, 0)
        // Within 10 s of that read, /-/ready answers from it without reading again.
        XCTAssertEqual(try HTTPTestClient.get(port: fixture.port, "/-/ready").status, 200)
        XCTAssertEqual(fixture.scraper.readsTotal, 2)
        let next = try fixture.metrics()
        XCTAssertEqual(next.value("cinder_exporter_scrape_errors_total"), "0")
        XCTAssertEqual(next.value("cinder_exporter_database_up"), "1")
        XCTAssertFalse(log.lines.contains { $0.hasPrefix("error") }, log.lines.joined(separator: "\n"))
    }

    /// Every request must arrive whole within the request deadline of its
    /// first byte, the second on a keep-alive connection too; an idle
    /// keep-alive connection between requests lives until the idle timeout
    /// (issue 12 item 6).
    func testEveryRequestOnAConnectionHasAReceiveDeadline() throws {
        let db = try makeDatabase()
        var limits = HTTPServerLimits()
        limits.requestReadTimeoutSeconds = 2
        limits.idleTimeoutSeconds = 30
        let fixture = try ExporterFixture(databasePath: db.path, limits: limits)

        // Idle longer than the request deadline between two whole requests: kept.
        let patient = try HTTPTestClient(port: fixture.port, timeoutSeconds: 15)
        XCTAssertEqual(try patient.request("GET", "/-/healthy").status, 200)
        Thread.sleep(forTimeInterval: 3.5)
        XCTAssertEqual(try patient.request("GET", "/-/healthy").status, 200, "an idle keep-alive connection was cut")

        // A quick first request, a pause, then a second one dribbled a byte every 200 ms.
        let dribbler = try HTTPTestClient(port: fixture.port, timeoutSeconds: 15)
        XCTAssertEqual(try dribbler.request("GET", "/-/healthy").status, 200)
        Thread.sleep(forTimeInterval: 1)
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "x", count: 100))\r\n\r\n".utf8)
        let firstByte = Date()
        var cutAfter: Double?
        for byte in request {
            do {
                try dribbler.sendRaw([byte])
            } catch {
                cutAfter = Date().timeIntervalSince(firstByte)
                break
            }
            var poll = pollfd(fd: dribbler.fd, events: Int16(POLLIN), revents: 0)
            if Glibc.poll(&poll, 1, 200) > 0, dribbler.isClosedByPeer() {
                cutAfter = Date().timeIntervalSince(firstByte)
                break
            }
        }
        guard let cutAfter else { return XCTFail("a dribbled second request was never cut off (\(request.count) bytes over 20 s)") }
        XCTAssertGreaterThan(cutAfter, 1.5, "cut before its deadline")
        XCTAssertLessThan(cutAfter, 4, "cut long after its 2 s deadline")
        // The server still answers, and the patient connection is still open.
        XCTAssertEqual(try patient.request("GET", "/-/healthy").status, 200)
    }

    /// Prometheus's scrape timeout bounds the wait on a locked database.
    func testScrapeTimeoutHeaderBoundsTheWait() throws {
        let db = try makeDatabase()
        let fixture = try ExporterFixture(databasePath: db.path, timeoutSeconds: 30)
        try db.execute("PRAGMA locking_mode = EXCLUSIVE")
        try db.execute("BEGIN EXCLUSIVE")
        try db.execute("UPDATE services SET report_count = report_count + 1")
        let started = Date()
        let response = try HTTPTestClient.get(port: fixture.port, "/metrics", headers: ["X-Prometheus-Scrape-Timeout-Seconds": "1.5"])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(ParsedExposition(response.text).value("cinder_exporter_database_up"), "0")
        XCTAssertGreaterThan(elapsed, 0.8)
        XCTAssertLessThan(elapsed, 1.5, "answered before Prometheus gives up")
        try db.execute("COMMIT")
        // Exclusive locking mode keeps the lock past COMMIT until the next read.
        try db.execute("PRAGMA locking_mode = NORMAL")
        try db.execute("SELECT count(*) FROM services")
        _ = try fixture.metrics()  // the read in flight finishes; the next one succeeds
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_database_up"), "1")
    }
}
