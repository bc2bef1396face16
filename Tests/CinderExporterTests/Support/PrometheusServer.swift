import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway Prometheus (the Debian package's `/usr/bin/prometheus`) on a
/// free 127.0.0.1 port, with its config and TSDB in a temporary folder that is
/// removed on `stop()`/deinit. A missing binary fails the test; it never skips.
///
///     let prometheus = try PrometheusServer(config: """
///         global: {scrape_interval: 1s, evaluation_interval: 1s}
///         scrape_configs: [{job_name: x, static_configs: [{targets: ['127.0.0.1:\(port)']}]}]
///         """)
///     try prometheus.waitForReady()
///     let result = try prometheus.query("up")
final class PrometheusServer {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// The answer of `/api/v1/query` or `/api/v1/query_range`.
    struct QueryResult {
        let status: String
        let errorType: String?
        let error: String?
        let resultType: String?
        /// Each series: `metric` labels, and `value` (instant) or `values` (range).
        let result: [[String: Any]]
        let raw: String

        var isSuccess: Bool { status == "success" }
        /// The label sets of the result.
        var series: [[String: String]] { result.map { ($0["metric"] as? [String: String]) ?? [:] } }
        /// Range results may hold series without a single point; count points.
        var hasData: Bool {
            result.contains { series in
                if series["value"] != nil { return true }
                return ((series["values"] as? [Any])?.isEmpty == false)
            }
        }
    }

    let port: UInt16
    let directory: String
    let binary: String
    private let process: Process
    private var stopped = false

    /// Where Prometheus's own log goes (read it when something fails).
    var logPath: String { directory + "/prometheus.log" }

    /// Writes `config` to `prometheus.yml` in a new temporary folder (the text
    /// may name rule files by absolute path) and starts Prometheus on it.
    /// `extraArguments` are added to the command line.
    init(config: String, extraArguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        guard let binary = ProcessResult.which("prometheus") else {
            XCTFail("prometheus is not installed: apt-get install --no-install-recommends prometheus "
                    + "(scripts/install-deps.sh test does it)", file: file, line: line)
            throw Failure(description: "prometheus not found on PATH")
        }
        self.binary = binary
        directory = NSTemporaryDirectory() + "cinder-exporter-prometheus-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try config.write(toFile: directory + "/prometheus.yml", atomically: true, encoding: .utf8)

        // The port is free when we ask; if someone takes it before Prometheus
        // binds it, Prometheus exits at once and we try another.
        var attempt = 0
        while true {
            attempt += 1
            let port = try Self.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = [
                "--config.file=\(directory)/prometheus.yml",
                "--web.listen-address=127.0.0.1:\(port)",
                "--storage.tsdb.path=\(directory)/data",
                "--log.level=warn",
            ] + extraArguments
            _ = FileManager.default.createFile(atPath: directory + "/prometheus.log", contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/prometheus.log"))
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try? log.close()
            // Bound or failed: one of the two happens within a few hundred ms.
            let deadline = Date().addingTimeInterval(10)
            var bound = false
            while process.isRunning && Date() < deadline {
                if (try? HTTPTestClient.get(port: port, "/-/healthy"))?.status == 200 { bound = true; break }
                usleep(50_000)
            }
            if bound {
                self.port = port
                self.process = process
                return
            }
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            let output = (try? String(contentsOfFile: directory + "/prometheus.log", encoding: .utf8)) ?? ""
            if attempt < 3 && output.contains("address already in use") { continue }
            try? FileManager.default.removeItem(atPath: directory)
            XCTFail("prometheus did not start: \(output.suffix(2000))", file: file, line: line)
            throw Failure(description: "prometheus did not start")
        }
    }

    deinit { stop() }

    /// Stops Prometheus (SIGTERM, then SIGKILL after 5 s) and removes its folder.
    func stop() {
        guard !stopped else { return }
        stopped = true
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Waits until `/-/ready` answers 200 (rules loaded, TSDB open).
    func waitForReady(timeoutSeconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if (try? HTTPTestClient.get(port: port, "/-/ready"))?.status == 200 { return }
            guard process.isRunning else { throw Failure(description: "prometheus exited: \(log.suffix(2000))") }
            usleep(50_000)
        }
        throw Failure(description: "prometheus not ready after \(timeoutSeconds) s: \(log.suffix(2000))")
    }

    /// GET `path` with `parameters` (URL-encoded) and the body parsed as JSON.
    func getJSON(_ path: String, _ parameters: [(String, String)] = []) throws -> (status: Int, json: [String: Any], raw: String) {
        let query = parameters.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        let response = try HTTPTestClient.get(port: port, query.isEmpty ? path : "\(path)?\(query)")
        guard let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] else {
            throw Failure(description: "\(path): not a JSON object: \(response.text.prefix(500))")
        }
        return (response.status, json, response.text)
    }

    /// An instant query at `time` (Unix seconds; default now).
    func query(_ promql: String, time: Double? = nil) throws -> QueryResult {
        var parameters = [("query", promql)]
        if let time { parameters.append(("time", Self.format(time))) }
        return try decode(getJSON("/api/v1/query", parameters))
    }

    /// A range query, as Grafana sends for time-series panels.
    func queryRange(_ promql: String, start: Double, end: Double, step: Double) throws -> QueryResult {
        try decode(getJSON("/api/v1/query_range", [
            ("query", promql), ("start", Self.format(start)), ("end", Self.format(end)), ("step", Self.format(step)),
        ]))
    }

    /// `/api/v1/rules`: every loaded rule, with its health and last error.
    func rules() throws -> [[String: Any]] {
        let (_, json, raw) = try getJSON("/api/v1/rules")
        guard let data = json["data"] as? [String: Any], let groups = data["groups"] as? [[String: Any]] else {
            throw Failure(description: "/api/v1/rules: unexpected answer \(raw.prefix(500))")
        }
        return groups.flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }
    }

    /// Polls `condition` every 100 ms until it returns true or `timeoutSeconds` pass.
    @discardableResult
    func poll(timeoutSeconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while true {
            if try condition() { return true }
            if Date() >= deadline { return false }
            usleep(100_000)
        }
    }

    private func decode(_ answer: (status: Int, json: [String: Any], raw: String)) -> QueryResult {
        let data = answer.json["data"] as? [String: Any]
        return QueryResult(
            status: answer.json["status"] as? String ?? "missing",
            errorType: answer.json["errorType"] as? String,
            error: answer.json["error"] as? String,
            resultType: data?["resultType"] as? String,
            result: (data?["result"] as? [[String: Any]]) ?? [],
            raw: answer.raw)
    }

    private static func format(_ seconds: Double) -> String { String(format: "%.3f", seconds) }

    /// RFC 3986: everything but unreserved characters is percent-encoded.
    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// A loopback port nobody listens on right now (bind to port 0, read it back).
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return UInt16(bigEndian: address.sin_port)
    }
}
