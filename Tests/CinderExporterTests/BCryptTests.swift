@testable import CinderExporter
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
}
