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
}
