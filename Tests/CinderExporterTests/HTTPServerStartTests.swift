@testable import CinderExporter
import Foundation
import Logging
import XCTest

/// A daemon that fails to start leaves no descriptor behind and closes none
/// twice: libmicrohttpd 0.9.75 closes the listening socket itself on some
/// failures (TLS set-up) and not on others (option parsing).
final class HTTPServerStartTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = try Tools.temporaryDirectory(removedAfter: self)
    }

    /// Traced through the binary: the listening socket is closed exactly
    /// once when a bad certificate stops libmicrohttpd's TLS set-up.
    func testBadCertificateClosesTheListeningSocketOnce() throws {
        let strace = try Tools.require("strace")
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: directory + "/cert.pem", atomically: true, encoding: .utf8)
        try "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".write(toFile: directory + "/key.pem", atomically: true, encoding: .utf8)
        try "tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n".write(toFile: directory + "/web.yml", atomically: true, encoding: .utf8)
        let trace = directory + "/trace.txt"
        let result = try ProcessResult.run(strace, [
            "-f", "-e", "trace=listen,close", "-o", trace, TestPaths.exporterBinary,
            "--database.url", "sqlite:////nonexistent.sqlite", "--web.listen-address", "127.0.0.1:0",
            "--web.config.file", directory + "/web.yml",
        ])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot start the HTTP server"), result.stderr)
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        // "PID listen(3, 1024) = 0" names the listening socket.
        guard let listenLine = lines.lastIndex(where: { $0.contains(" listen(") && $0.hasSuffix("= 0") }),
              let open = lines[listenLine].range(of: "listen("),
              let comma = lines[listenLine][open.upperBound...].firstIndex(of: ",") else {
            return XCTFail("no listen() in the trace:\n\(lines.joined(separator: "\n"))")
        }
        let fd = String(lines[listenLine][open.upperBound..<comma])
        let closes = lines[(listenLine + 1)...].filter { $0.contains(" close(\(fd))") }
        XCTAssertEqual(closes.count, 1, "socket \(fd) closed more than once:\n\(closes.joined(separator: "\n"))")
        XCTAssertTrue(closes.allSatisfy { $0.hasSuffix("= 0") }, closes.joined(separator: "\n"))
    }

    /// In process, both kinds of failure: no descriptor leaks.
    func testFailedStartsLeakNoDescriptor() throws {
        let (cert, key) = try Tools.makeCertificate(in: directory)
        let certificate = try String(contentsOfFile: cert, encoding: .utf8), privateKey = try String(contentsOfFile: key, encoding: .utf8)
        let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
        let broken: [(String, WebConfig.TLS)] = [
            // Refused while libmicrohttpd parses its options: it leaves the socket to us.
            ("bad priorities", WebConfig.TLS(certificatePEM: certificate, keyPEM: privateKey, priorities: "NO-SUCH-PRIORITY")),
            // Refused in TLS set-up: libmicrohttpd closes the socket itself.
            ("bad certificate", WebConfig.TLS(certificatePEM: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                              keyPEM: privateKey, priorities: "NORMAL")),
        ]
        for (name, tls) in broken {
            let before = Self.openDescriptors()
            XCTAssertThrowsError(try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), tls: tls,
                                                handler: Refusing(), logger: logger), name)
            XCTAssertEqual(Self.openDescriptors(), before, name)
        }
    }

    /// The rule behind both: close the socket only while the descriptor
    /// still is that socket. A number libmicrohttpd closed may already name
    /// another file (here forced with dup2), which must stay open.
    func testClosesOnlyTheSameSocket() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let identity = ListenSocket.Identity(fd)
        XCTAssertNotNil(identity)
        let other = open("/dev/null", O_RDONLY)
        close(fd)  // as libmicrohttpd does
        XCTAssertEqual(dup2(other, fd), fd)
        close(other)
        ListenSocket.closeAfterFailedStart(fd, identity: identity)
        XCTAssertNotEqual(fcntl(fd, F_GETFD), -1, "closed a descriptor that was no longer the socket")
        close(fd)

        let still = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        ListenSocket.closeAfterFailedStart(still, identity: ListenSocket.Identity(still))
        XCTAssertEqual(fcntl(still, F_GETFD), -1, "left the socket open")
    }

    static func openDescriptors() -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [])
    }
}

private struct Refusing: HTTPHandler {
    func handle(_ request: HTTPRequest) -> HTTPResponse { .text(500, "unused\n") }
}
