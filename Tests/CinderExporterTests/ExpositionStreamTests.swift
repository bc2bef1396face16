@testable import CinderExporter
import Foundation
import Logging
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A large table's uncompressed bodies are streamed, a piece at a time
/// (issue 15: such a body is never whole in memory). What a stream sends must
/// be exactly the whole render, whatever size of buffer the server asks it to fill.
final class ExpositionStreamTests: XCTestCase {
    /// Enough services for the families to span many pieces (and for the
    /// table to count as large, `ExporterHandler.largeTableServices`), with names that
    /// need escaping, services without heartbeat or report count, and a duplicate.
    func makeDatabase() throws -> TestDatabase {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        try db.execute("BEGIN")
        for index in 0..<3_000 {
            try db.insert(["host": .text("host-\(index)@lvm#\"pool\"\n"), "binary": .text(index % 3 == 0 ? "cinder-scheduler" : "cinder-volume"),
                           "availability_zone": .text("az\(index % 2)"),
                           "report_count": index % 7 == 0 ? .text("lots") : .integer(Int64(index)),
                           "updated_at": index % 11 == 0 ? .text("garbage") : .text(TestDatabase.text(now - Int64(index % 90) * 1_000_000))])
        }
        try db.insert(["host": .text("host-1@lvm#\"pool\"\n"), "binary": .text("cinder-volume"), "availability_zone": .text("az1")])
        try db.execute("COMMIT")
        return db
    }

    /// Lines that differ between two renders of one read: the time the
    /// render took and the process's own figures.
    func stable(_ bytes: [UInt8]) -> [Substring] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("cinder_exporter_scrape_duration_seconds") && !$0.hasPrefix("process_") }
    }

    func testAStreamSendsTheWholeRenderInPiecesOfAnySize() throws {
        let db = try makeDatabase()
        let scraper = makeScraper(db)
        let outcome = scraper.read()
        XCTAssertTrue(outcome.isSuccess)
        var generator = SystemRandomNumberGenerator()
        for format in [ExpositionFormat.text004, .openMetrics] {
            let whole = scraper.render(outcome, format: format, startedAt: Clock.monotonicSeconds()).array
            XCTAssertGreaterThan(whole.count, 20 * ExpositionStream.pieceBytes, "the body spans many pieces")
            for sizes in [1...1, 1...7, 4_000...70_000, 65_536...65_536] {
                let stream = scraper.stream(outcome, format: format, startedAt: Clock.monotonicSeconds())
                var streamed: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: sizes.upperBound)
                while true {
                    let size = Int.random(in: sizes, using: &generator)
                    let count = buffer.withUnsafeMutableBytes { stream.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<size])) }
                    XCTAssertLessThanOrEqual(count, size)
                    if count == 0 { break }
                    streamed += buffer[0..<count]
                }
                XCTAssertEqual(stream.read(into: buffer.withUnsafeMutableBytes { $0 }), 0, "an ended stream stays ended")
                XCTAssertTrue(stable(streamed) == stable(whole), "\(format), buffers of \(sizes) bytes: the streamed body differs")
                XCTAssertEqual(streamed.count, whole.count, accuracy: 40, "only the duration and process figures may differ")
            }
        }
    }

    func makeScraper(_ db: TestDatabase) -> Scraper {
        Scraper(reader: SQLiteReader(path: db.path, timeoutSeconds: 5), downTimeSeconds: 60, readTimeoutSeconds: 5,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Reads a stream to its end in 64 KiB calls; `pause` runs after the first.
    func drain(_ stream: ExpositionStream, pause: () -> Void = {}) -> [UInt8] {
        var streamed: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var first = true
        while true {
            let count = buffer.withUnsafeMutableBytes { stream.read(into: $0) }
            if count == 0 { return streamed }
            streamed += buffer[0..<count]
            if first { pause() }
            first = false
        }
    }

    /// SPEC §2: the scrape duration is the time to read and render, not the
    /// time a slow client takes to receive the body.
    func testAStreamedScrapesDurationLeavesOutTheClientsTime() throws {
        let db = try makeDatabase()
        let scraper = makeScraper(db)
        let outcome = scraper.read()
        let stream = scraper.stream(outcome, format: .text004, startedAt: Clock.monotonicSeconds())
        let started = Clock.monotonicSeconds()
        let body = drain(stream) { Thread.sleep(forTimeInterval: 0.6) }
        XCTAssertGreaterThan(Clock.monotonicSeconds() - started, 0.6)
        let duration = try XCTUnwrap(ParsedExposition(String(decoding: body, as: UTF8.self))
            .value("cinder_exporter_scrape_duration_seconds").flatMap(Double.init))
        XCTAssertGreaterThan(duration, 0)
        XCTAssertLessThan(duration, 0.5, "the 0.6 s the client took between reads is not the scrape's")
    }

    /// SPEC §4: renders are bounded. A streamed body renders each piece in a
    /// render slot, and holds none between pieces.
    func testEachPieceIsRenderedInARenderSlot() throws {
        let db = try makeDatabase()
        let scraper = makeScraper(db)
        let outcome = scraper.read()
        let slots = DispatchSemaphore(value: 1)
        let stream = scraper.stream(outcome, format: .text004, startedAt: Clock.monotonicSeconds(), renderSlots: slots)
        slots.wait()  // every slot busy
        let firstBytes = Lock<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 1_000)
            let count = buffer.withUnsafeMutableBytes { stream.read(into: $0) }
            firstBytes.withLock { $0 = count }
            done.signal()
        }
        XCTAssertEqual(done.wait(timeout: .now() + 0.5), .timedOut, "no piece is rendered without a slot")
        XCTAssertNil(firstBytes.withLock { $0 })
        slots.signal()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(firstBytes.withLock { $0 }, 1_000)
        // Between pieces the stream holds no slot: it can be taken now.
        XCTAssertEqual(slots.wait(timeout: .now() + 1), .success)
        slots.signal()
        XCTAssertGreaterThan(drain(stream).count, 20 * ExpositionStream.pieceBytes)
    }

    func testAnUncompressedScrapeIsChunkedOverHTTP11AndClosedAtTheEndForHTTP10() throws {
        let db = try makeDatabase()
        let fixture = try ExporterFixture(databasePath: db.path, timeoutSeconds: 5)
        let client = try HTTPTestClient(port: fixture.port)
        let first = try client.request("GET", "/metrics")
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(first.headers["transfer-encoding"]?.lowercased(), "chunked")
        XCTAssertNil(first.headers["content-length"])
        let lastLine = first.text.dropLast().split(separator: "\n").last ?? ""
        XCTAssertTrue(lastLine.hasPrefix("cinder_exporter_collector_duration_seconds{collector=\"services\"} "),
                      "the body ends with the exporter's own families: \(lastLine)")
        XCTAssertEqual(ParsedExposition(first.text).value("cinder_exporter_database_up"), "1")
        // The connection stays open: the next scrape comes on it.
        let second = try client.request("GET", "/metrics", headers: ["Accept": "application/openmetrics-text; version=1.0.0"])
        XCTAssertEqual(second.status, 200)
        XCTAssertTrue(second.text.hasSuffix("# EOF\n"))
        XCTAssertEqual(ParsedExposition(second.text).value("cinder_exporter_database_up"), "1")
        let head = try client.request("HEAD", "/metrics")
        XCTAssertEqual(head.status, 200)
        XCTAssertTrue(head.body.isEmpty)

        // A small table's body is rendered whole and shared instead: it has
        // a length.
        let small = try TestDatabase()
        try small.insert(["host": .text("a@lvm"), "binary": .text("cinder-volume")])
        let smallFixture = try ExporterFixture(databasePath: small.path, timeoutSeconds: 5)
        let whole = try HTTPTestClient.get(port: smallFixture.port, "/metrics")
        XCTAssertNil(whole.headers["transfer-encoding"])
        XCTAssertEqual(whole.headers["content-length"], String(whole.body.count))

        // HTTP/1.0 has no chunks: the body ends when the server closes.
        let old = try HTTPTestClient(port: fixture.port)
        try old.sendRaw(Array("GET /metrics HTTP/1.0\r\n\r\n".utf8))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(old.fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("HTTP/1.0 200") || text.hasPrefix("HTTP/1.1 200"), String(text.prefix(40)))
        guard let bodyStart = text.range(of: "\r\n\r\n") else { return XCTFail("no header end") }
        let body = String(text[bodyStart.upperBound...])
        XCTAssertEqual(ParsedExposition(body).value("cinder_exporter_database_up"), "1")
        XCTAssertEqual(body.components(separatedBy: "\ncinder_service_up{").count - 1, 3_000, "every service, once")
        XCTAssertTrue((body.dropLast().split(separator: "\n").last ?? "").hasPrefix("cinder_exporter_collector_duration_seconds{"),
                      "the whole body came before the close")
    }
}
