@testable import CinderExporter
import Foundation
import XCTest

/// Hostile and heavy clients on loopback, bounded in count and time (SPEC §4).
final class HTTPLoadTests: XCTestCase {
    func makeDatabase(services: Int) throws -> TestDatabase {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        try db.execute("BEGIN")
        for index in 0..<services {
            try db.insert(["host": .text("host-\(index)@lvm"), "binary": .text(index % 3 == 0 ? "cinder-scheduler" : "cinder-volume"),
                           "availability_zone": .text("az\(index % 2)"), "report_count": .integer(Int64(index)),
                           "updated_at": .text(TestDatabase.text(now - Int64(index % 90) * 1_000_000))])
        }
        try db.execute("COMMIT")
        return db
    }

    /// 50 concurrent scrapers share one read while 200 idle or dribbling
    /// connections sit on the server; the dribblers are cut off in time.
    func testFiftyScrapersShareOneReadDespiteTwoHundredHostileConnections() throws {
        let db = try makeDatabase(services: 20)
        var limits = HTTPServerLimits()
        limits.requestReadTimeoutSeconds = 2
        limits.idleTimeoutSeconds = 30
        let fixture = try ExporterFixture(databasePath: db.path, timeoutSeconds: 5, limits: limits)
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_database_up"), "1")

        // 100 idle connections and 100 that send one byte every 100 ms forever.
        let idle = try (0..<100).map { _ in try HTTPTestClient(port: fixture.port, timeoutSeconds: 15) }
        let dribblers = try (0..<100).map { _ in try HTTPTestClient(port: fixture.port, timeoutSeconds: 15) }
        let stopped = Lock(false)
        let cutOff = DispatchGroup()
        let cutTimes = Lock([Double]())
        let hostileStart = Date()
        for client in dribblers {
            cutOff.enter()
            Thread.detachNewThread {
                let line = Array("GET /metrics HTTP/1.1\r\nX-Slow: ".utf8) + Array(repeating: UInt8(ascii: "a"), count: 10_000)
                for byte in line {
                    if stopped.withLock({ $0 }) { break }
                    if (try? client.sendRaw([byte])) == nil {
                        cutTimes.withLock { $0.append(Date().timeIntervalSince(hostileStart)) }
                        break
                    }
                    Thread.sleep(forTimeInterval: 0.1)
                }
                cutOff.leave()
            }
        }

        // Hold the table locked so every scraper arrives while one read waits.
        let port = fixture.port
        let readsBefore = fixture.scraper.readsTotal
        try db.execute("PRAGMA locking_mode = EXCLUSIVE")
        try db.execute("BEGIN EXCLUSIVE")
        try db.execute("UPDATE services SET report_count = report_count + 1")
        let results = Lock([Int: String]())
        // Half ask for gzip, as Prometheus does: they share one compressed
        // render. The others share one uncompressed render (a small table's
        // bodies are rendered whole, not streamed).
        let zippedBodies = Lock(Set<[UInt8]>())
        let plainDurations = Lock(Set<String>())
        let scrapers = DispatchGroup()
        for index in 0..<50 {
            scrapers.enter()
            Thread.detachNewThread {
                defer { scrapers.leave() }
                do {
                    let zipped = index.isMultiple(of: 2)
                    let response = try HTTPTestClient.get(port: port, "/metrics", headers: zipped ? ["Accept-Encoding": "gzip"] : [:])
                    if zipped {
                        zippedBodies.withLock { _ = $0.insert(response.body) }
                        results.withLock { $0[index] = "\(response.status) \(response.headers["content-encoding"] ?? "none")" }
                    } else {
                        let parsed = ParsedExposition(response.text)
                        let up = parsed.value("cinder_exporter_database_up") ?? "missing"
                        results.withLock { $0[index] = "\(response.status) \(up)" }
                        plainDurations.withLock { _ = $0.insert(parsed.value("cinder_exporter_scrape_duration_seconds") ?? "missing") }
                    }
                } catch {
                    results.withLock { $0[index] = "error \(error)" }
                }
            }
        }
        Thread.sleep(forTimeInterval: 0.7)
        try db.execute("COMMIT")
        try db.execute("PRAGMA locking_mode = NORMAL")
        try db.execute("SELECT count(*) FROM services")
        XCTAssertEqual(scrapers.wait(timeout: .now() + 20), .success, "scrapers hung")
        let answers = results.withLock { $0 }
        XCTAssertEqual(answers.count, 50)
        let expected = { (index: Int) in index.isMultiple(of: 2) ? "200 gzip" : "200 1" }
        XCTAssertTrue(answers.allSatisfy { $0.value == expected($0.key) }, "\(answers.filter { $0.value != expected($0.key) })")
        let reads = fixture.scraper.readsTotal - readsBefore
        print("load: 50 overlapping scrapes answered by \(reads) database read(s) with 200 hostile connections open")
        XCTAssertEqual(reads, 1, "overlapping scrapes must share one read")
        // The gzip scrapes share the compressed body too: the first renders,
        // the others wait for it (a second render would differ at least in
        // its scrape duration).
        let bodies = zippedBodies.withLock { $0 }
        let plainRenders = plainDurations.withLock { $0.count }
        print("load: 25 gzip and 25 plain scrapes of that read were served by \(bodies.count) and \(plainRenders) render(s)")
        XCTAssertEqual(bodies.count, 1)
        XCTAssertEqual(plainRenders, 1)
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        try Data(bodies.first ?? []).write(to: URL(fileURLWithPath: directory + "/body.gz"))
        let unzipped = try ProcessResult.run(try Tools.require("gzip"), ["-dc", directory + "/body.gz"])
        XCTAssertEqual(ParsedExposition(unzipped.stdout).value("cinder_exporter_database_up"), "1")

        // Dribblers are cut off around the 2 s request deadline, not left to run.
        XCTAssertEqual(cutOff.wait(timeout: .now() + 15), .success, "dribblers were not cut off")
        stopped.withLock { $0 = true }
        let cuts = cutTimes.withLock { $0 }
        XCTAssertEqual(cuts.count, 100)
        print("load: dribblers cut after \(cuts.min() ?? -1)…\(cuts.max() ?? -1) s")
        XCTAssertLessThan(cuts.max() ?? 99, 8)
        // Idle connections are closed by the same deadline.
        XCTAssertTrue(idle.allSatisfy { $0.isClosedByPeer() })
        // And the server still answers.
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_database_up"), "1")
    }

    func testOversizedRequestIsRefusedAndServerStaysUp() throws {
        let db = try makeDatabase(services: 2)
        let fixture = try ExporterFixture(databasePath: db.path)
        let client = try HTTPTestClient(port: fixture.port)
        let huge = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 100_000))\r\n\r\n"
        try? client.sendRaw(Array(huge.utf8))
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(client.fd, &buffer, buffer.count, 0)
        let answer = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
        XCTAssertTrue(n <= 0 || answer.hasPrefix("HTTP/1.1 4"), "expected a 4xx or a closed connection, got \(answer.prefix(40))")
        let longURL = try HTTPTestClient.get(port: fixture.port, "/" + String(repeating: "x", count: 40_000))
        XCTAssertTrue((400..<500).contains(longURL.status), "\(longURL.status)")
        XCTAssertEqual(try fixture.metrics().value("cinder_exporter_database_up"), "1")
    }

    /// Memory after 100,000 keep-alive scrapes is no higher than after 1,000
    /// beyond a small margin.
    func testMemoryDoesNotGrowOverAHundredThousandScrapes() throws {
        let db = try makeDatabase(services: 5)
        let fixture = try ExporterFixture(databasePath: db.path)
        let port = fixture.port
        func scrape(_ count: Int, threads: Int) throws {
            let failures = Lock(0)
            let group = DispatchGroup()
            for _ in 0..<threads {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    guard let client = try? HTTPTestClient(port: port) else { failures.withLock { $0 += 1 }; return }
                    for _ in 0..<(count / threads) {
                        guard let response = try? client.request("GET", "/metrics", headers: ["Accept-Encoding": "gzip"]),
                              response.status == 200 else { failures.withLock { $0 += 1 }; return }
                    }
                }
            }
            XCTAssertEqual(group.wait(timeout: .now() + 300), .success)
            XCTAssertEqual(failures.withLock { $0 }, 0)
        }
        // Under a sanitizer every scrape costs 5-20 times more and ASan holds
        // freed memory in quarantine: fewer scrapes, a wider margin.
        let soak = Sanitizer.isActive ? 5_000 : 100_000
        let margin = Sanitizer.isActive ? 300 * 1024 * 1024 : 8 * 1024 * 1024
        try scrape(1_000, threads: 4)
        let afterThousand = residentBytes()
        let started = Date()
        try scrape(soak, threads: 4)
        let afterSoak = residentBytes()
        print("soak: RSS \(afterThousand / 1024) KiB after 1,000 scrapes, \(afterSoak / 1024) KiB after \(soak) more (\(Int(Date().timeIntervalSince(started))) s)")
        XCTAssertLessThan(afterSoak, afterThousand + margin)
    }

    func residentBytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
    }
}
