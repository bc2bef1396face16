import CinderExporter
import XCTest

/// Found by the cinder-conf fuzz target: oslo.config reads cinder.conf code
/// point by code point, but the parser worked on Swift Characters, in which
/// a combining mark joins the quote, `=`, `[` or space before it. A value
/// `"<U+05BB>…"` kept its quotes, `key =<U+0301>x` had no `=`, and an
/// indented line starting with a combining mark was no continuation.
final class CinderConfigCombiningMarkTests: XCTestCase {
    func testQuotesBeforeACombiningMarkAreRemoved() throws {
        let config = try CinderConfig(parsing: "[database]\nconnection = \"\u{05BB}\"\n")
        XCTAssertEqual(config.connection.map { Array($0.unicodeScalars) }, ["\u{05BB}"])
        let password = try CinderConfig(parsing: "[database]\nconnection = '\u{301}mysql://u:p@h/d\u{301}'\n")
        XCTAssertEqual(password.connection, "\u{301}mysql://u:p@h/d\u{301}")
    }

    func testSeparatorBeforeACombiningMarkSplits() throws {
        let config = try CinderConfig(parsing: "[database]\nconnection =\u{301}x\n")
        XCTAssertEqual(config.connection.map { Array($0.unicodeScalars) }, ["\u{301}", "x"])
        XCTAssertThrowsError(try CinderConfig(parsing: "[DEFAULT]\nservice_down_time =\u{301}5\n"))
    }

    func testSectionAndContinuationBeforeACombiningMark() throws {
        let config = try CinderConfig(parsing: "[database]\nconnection = a\n \u{301}b\n")
        XCTAssertEqual(config.connection, "a\n\u{301}b")
        let section = try CinderConfig(parsing: "[\u{301}x]\nconnection = a\n[database]\nconnection = b\n")
        XCTAssertEqual(section.connection, "b")
    }
}
