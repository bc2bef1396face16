@testable import CinderExporter
import Logging
import XCTest

/// A real exporter (libmicrohttpd on a free loopback port) serving a real
/// SQLite file, in this process.
final class ExporterFixture {
    let scraper: Scraper
    let server: HTTPServer
    var port: UInt16 { server.port }

    init(databasePath: String, downTimeSeconds: Int64 = 60, timeoutSeconds: Double = 2,
         limits: HTTPServerLimits = HTTPServerLimits(), reader: (any ServiceReader)? = nil,
         work: WorkCollectors? = nil, largeTableServices: Int = 2_000,
         logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        scraper = Scraper(reader: reader ?? SQLiteReader(path: databasePath, timeoutSeconds: timeoutSeconds),
                          downTimeSeconds: downTimeSeconds, readTimeoutSeconds: timeoutSeconds, work: work, logger: logger)
        server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), limits: limits,
                                handler: ExporterHandler(scraper: scraper, telemetryPath: "/metrics", largeTableServices: largeTableServices), logger: logger)
    }

    deinit {
        server.stop()
        scraper.work?.stop()
    }

    func metrics(headers: [String: String] = [:]) throws -> ParsedExposition {
        let response = try HTTPTestClient.get(port: port, "/metrics", headers: headers)
        XCTAssertEqual(response.status, 200)
        return ParsedExposition(response.text)
    }
}

/// Collects log lines so tests can check what was logged, and how often.
final class CapturingLogHandler: LogHandler, @unchecked Sendable {
    // Guarded by `lock`; swift-log calls handlers from any thread.
    private let lock = NSLock()
    private var _lines: [String] = []
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        lock.withLock { _lines.append("\(event.level) \(event.message) \(fields)") }
    }

    var lines: [String] { lock.withLock { _lines } }

    var logger: Logger { Logger(label: "test") { _ in self } }
}
