import Foundation
import XCTest

/// External checkers the tests run; a missing one fails the test (never skips).
struct MissingTool: Error { let name: String }

enum Tools {
    static var python: String {
        ProcessInfo.processInfo.environment["CINDER_EXPORTER_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessResult.which("python3") ?? "python3"
    }

    static func require(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let path = ProcessResult.which(name) else {
            XCTFail("\(name) is not installed: run scripts/install-deps.sh test", file: file, line: line)
            throw MissingTool(name: name)
        }
        return path
    }

    /// Runs a Python snippet with `argv[1...]`; returns stdout, failing the test on a non-zero exit.
    static func runPython(_ script: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try ProcessResult.run(python, ["-c", script] + arguments)
        XCTAssertEqual(result.status, 0, "python failed: \(result.stderr)", file: file, line: line)
        return result.stdout
    }

    /// A fresh folder under $TMPDIR that is removed when `test` ends, pass
    /// or fail (a test leaves nothing behind).
    static func temporaryDirectory(removedAfter test: XCTestCase) throws -> String {
        let path = NSTemporaryDirectory() + "cinder-exporter-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A self-signed certificate for localhost/127.0.0.1, made with openssl.
    static func makeCertificate(in directory: String) throws -> (cert: String, key: String) {
        let openssl = try require("openssl")
        let cert = directory + "/cert.pem", key = directory + "/key.pem"
        let result = try ProcessResult.run(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        return (cert, key)
    }
}
