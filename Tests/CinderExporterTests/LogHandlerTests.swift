@testable import CinderExporter
import Foundation
import XCTest

/// Log lines reach terminals: no control character may pass raw (SPEC §3, issue 12 item 7).
final class LogHandlerTests: XCTestCase {
    /// C0 controls, DEL and the C1 controls (U+009B is a one-character CSI).
    static let hostile = ["a\u{1B}[2Jb", "x\u{9B}31my", "\u{7F}", "nel\u{85}", "bell\u{07}", "nul\u{0}", "tab\tcr\r", "\u{80}\u{9F}"]

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
    }

    func testLogfmtQuotesAndEscapesEveryControlCharacter() {
        for value in Self.hostile {
            let line = StderrLogHandler.logfmt([("host", value)])
            XCTAssertFalse(line.unicodeScalars.contains(where: Self.isControl), "raw control character in \(line.debugDescription)")
            XCTAssertTrue(line.hasPrefix("host=\"") && line.hasSuffix("\""), line.debugDescription)
        }
        XCTAssertEqual(StderrLogHandler.logfmt([("host", "a\u{1B}[2Jb")]), #"host="a\u001b[2Jb""#)
        XCTAssertEqual(StderrLogHandler.logfmt([("host", "x\u{9B}y")]), #"host="x\u009by""#)
        XCTAssertEqual(StderrLogHandler.logfmt([("host", "caf\u{E9}")]), "host=caf\u{E9}", "printable text stays as it is")
    }

    /// JSON lines escape them as JSON does (\u00XX), and parse back to the same text.
    func testJSONEscapesEveryControlCharacter() throws {
        for value in Self.hostile {
            let line = StderrLogHandler.json([("host", value)])
            XCTAssertFalse(line.unicodeScalars.contains(where: Self.isControl), "raw control character in \(line.debugDescription)")
            let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            XCTAssertEqual(parsed?["host"], value)
        }
    }
}
