@testable import CinderExporter
import Foundation
import Logging
import XCTest

/// bcrypt checks and the comparisons around them (Web/BCrypt.swift, Web/Authenticator.swift).
final class BCryptTests: XCTestCase {
    /// Lengths that differ by a multiple of 256 are different lengths: the
    /// length check must not wrap in a byte.
    func testConstantTimeEqualsSeesLengthsThatDifferBy256() {
        XCTAssertFalse(BCrypt.constantTimeEquals([], [UInt8](repeating: 0, count: 256)))
        XCTAssertFalse(BCrypt.constantTimeEquals(Array("secret".utf8), Array("secret".utf8) + [UInt8](repeating: 0, count: 512)))
        XCTAssertFalse(BCrypt.constantTimeEquals([1], [1] + [UInt8](repeating: 0, count: 65536)))
        XCTAssertTrue(BCrypt.constantTimeEquals(Array("secret".utf8), Array("secret".utf8)))
        XCTAssertTrue(BCrypt.constantTimeEquals([], []))
        XCTAssertFalse(BCrypt.constantTimeEquals(Array("secret".utf8), Array("secreT".utf8)))
    }

    /// A remembered password must not also accept itself followed by 256 NULs.
    func testRememberedPasswordIsComparedWhole() {
        let hash = "$2b$04$0123456789abcdefghijkekG4i0TYEpk8BRc71W/ARo/HzJumpx66"  // "secret", cost 4
        let authenticator = Authenticator(users: ["alice": hash])
        let password = "secret"
        XCTAssertTrue(authenticator.check(user: "alice", password: password))
        XCTAssertFalse(authenticator.check(user: "alice", password: password + String(repeating: "\0", count: 256)))
    }

    /// A flood of wrong passwords runs bcrypt one at a time, and remembered
    /// credentials keep answering through a real server meanwhile.
    func testWrongPasswordsRunBCryptOneAtATime() throws {
        let hash = "$2b$08$0123456789abcdefghijkevFVLeqBhyEJon1oqI1tr4GB1dJwKgme"  // "secret", cost 8
        let authenticator = Authenticator(users: ["alice": hash])
        let logger = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try HTTPServer(address: ListenAddress(host: "127.0.0.1", port: 0), handler: AuthenticatingHandler(
            authenticator: authenticator, inner: HealthyOnly()), logger: logger)
        defer { server.stop() }
        let port = server.port
        let credentials = "Basic " + Data("alice:secret".utf8).base64EncodedString()
        XCTAssertEqual(try HTTPTestClient.get(port: port, "/-/healthy", headers: ["Authorization": credentials]).status, 200)

        let group = DispatchGroup()
        let refused = Lock(0)
        for index in 0..<24 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                let wrong = "Basic " + Data((index % 2 == 0 ? "alice:wrong\(index)" : "mallory:x\(index)").utf8).base64EncodedString()
                if (try? HTTPTestClient.get(port: port, "/-/healthy", headers: ["Authorization": wrong]).status) == 401 {
                    refused.withLock { $0 += 1 }
                }
            }
        }
        // Meanwhile the remembered credentials still get in.
        for _ in 0..<5 {
            XCTAssertEqual(try HTTPTestClient.get(port: port, "/-/healthy", headers: ["Authorization": credentials]).status, 200)
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(refused.withLock { $0 }, 24)
        XCTAssertEqual(authenticator.gate.peak, 1, "bcrypt ran more than once at a time")
    }
}

/// Answers 200 to anything: the handler behind the authenticator.
private struct HealthyOnly: HTTPHandler {
    func handle(_ request: HTTPRequest) -> HTTPResponse { .text(200, "Healthy.\n") }
}
