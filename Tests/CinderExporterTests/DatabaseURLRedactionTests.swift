import CinderExporter
import XCTest

/// Found by the database-url fuzz target: `redact` looked for the last `@`
/// among Swift Characters, where an `@` followed by a combining mark is a
/// different Character, so the password stayed in the URL that errors and
/// logs show.
final class DatabaseURLRedactionTests: XCTestCase {
    func testAtFollowedByACombiningMarkStillEndsTheHiddenPart() {
        let url = "mysql://cinder:secretpassword@\u{33E}db/cinder"
        XCTAssertFalse(DatabaseURL.redact(url).contains("secretpassword"), DatabaseURL.redact(url))
        XCTAssertEqual(DatabaseURL.redact(url), "mysql://cinder:***@\u{33E}db/cinder")
        XCTAssertThrowsError(try DatabaseURL(parsing: url)) { error in
            XCTAssertFalse(String(describing: error).contains("secretpassword"), String(describing: error))
        }
    }

    func testColonFollowedByACombiningMarkStartsTheHiddenPart() {
        let url = "mysql://cinder:\u{301}secretpassword@db/cinder"
        XCTAssertFalse(DatabaseURL.redact(url).contains("secretpassword"), DatabaseURL.redact(url))
    }

    func testSchemeSeparatorFollowedByACombiningMarkIsStillTheSchemesEnd() {
        // As Characters, the first "://" was not seen, the later one was taken,
        // and nothing of the password was hidden.
        let url = "mysql://\u{301}cinder:secretpassword/x://y@db/cinder"
        XCTAssertFalse(DatabaseURL.redact(url).contains("secretpassword"), DatabaseURL.redact(url))
    }

    /// Found by the database-url fuzz target in CI: `redact` hides up to the
    /// last '@', but an unknown `ssl_` key after the '?' was echoed, and it
    /// lay in that hidden part: here it held the password.
    func testNoMessageEchoesQueryTextThatTheRedactionHides() {
        // What redact hides runs from the first ':' to the last '@', so the
        // query's "ssl_casecretpassword" is hidden in the URL shown.
        let url = "mysql://cinder:pw@db/cinder?ssl_casecretpassword@x=1"
        XCTAssertFalse(DatabaseURL.redact(url).contains("secretpassword"), DatabaseURL.redact(url))
        XCTAssertThrowsError(try DatabaseURL(parsing: url)) { error in
            let message = String(describing: error)
            XCTAssertFalse(message.contains("secretpassword"), message)
            XCTAssertTrue(message.contains("an '@' after the '?'"), message)
        }
        // A percent-encoded '@' in a file name is fine.
        XCTAssertNoThrow(try DatabaseURL(parsing: "mysql://cinder:pw@db/cinder?charset=utf8&unix_socket=/run/a%40b.sock"))
    }
}
