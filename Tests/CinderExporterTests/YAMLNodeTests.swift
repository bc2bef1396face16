import CinderExporter
import XCTest

/// The YAML tree the web config is read from (Debian's libyaml, event API).
final class YAMLNodeTests: XCTestCase {
    private func parse(_ text: String) throws -> YAMLNode? { try YAMLNode.parse(text) }

    private func error(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try YAMLNode.parse(text)
            XCTFail("parsed: \(text.debugDescription)", file: file, line: line)
            return ""
        } catch {
            XCTAssertFalse(error.message.contains("\n"), "one line: \(error.message)", file: file, line: line)
            return error.message
        }
    }

    private func pairs(_ node: YAMLNode?) -> [String] {
        guard case .mapping(let pairs)? = node else { return ["not a mapping"] }
        return pairs.map { "\($0.key)=\($0.value.scalar?.text ?? "…")" }
    }

    func testNoDocumentIsNil() throws {
        XCTAssertNil(try parse(""))
        XCTAssertNil(try parse("# only a comment\n\n"))
        XCTAssertEqual(try parse("---\n"), .scalar(YAMLScalar(text: "")), "an empty document is null")
        XCTAssertTrue(try parse("~")?.isNull ?? false)
    }

    func testMappingsKeepDocumentOrderAndScalarsTheirText() throws {
        XCTAssertEqual(pairs(try parse("b: 1\na: 0x1F\nc: 'quoted'\nd: \"x\\ty\"\ne: |\n  block\n")),
                       ["b=1", "a=0x1F", "c=quoted", "d=x\ty", "e=block\n"])
        let flow = try parse("{a: [1, two, {b: c}], d: e}")
        guard case .mapping(let top)? = flow, case .sequence(let items) = top[0].value else { return XCTFail("\(String(describing: flow))") }
        XCTAssertEqual(items.count, 3)
        XCTAssertEqual(pairs(items[2]), ["b=c"])
    }

    func testNullIsPlainAndUntagged() throws {
        guard case .mapping(let top)? = try parse("a:\nb: ~\nc: null\nd: NULL\ne: 'null'\nf: \"\"\ng: !!str null\nh: !!null ~\ni: nul\n") else {
            return XCTFail("not a mapping")
        }
        XCTAssertEqual(top.map { $0.value.isNull }, [true, true, true, true, false, false, false, true, false])
        XCTAssertEqual(top[6].value.scalar?.tag, "tag:yaml.org,2002:str")
        XCTAssertEqual(top[4].value.scalar?.isPlain, false)
    }

    func testAliasesAndMergeKeys() throws {
        let text = """
            base: &base {cert_file: a.pem, key_file: a.key}
            other: &other {key_file: b.key, min_version: TLS13}
            copy: *base
            merged:
              <<: [*base, *other]
              cert_file: c.pem
            """
        guard case .mapping(let top)? = try parse(text) else { return XCTFail("not a mapping") }
        XCTAssertEqual(top[2].value, top[0].value)
        XCTAssertEqual(pairs(top[3].value), ["key_file=a.key", "min_version=TLS13", "cert_file=c.pem"],
                       "the first merged mapping wins over later ones, the mapping's own keys over all")
        XCTAssertTrue(error("a: *nowhere\n").contains("undefined alias \"nowhere\""))
        XCTAssertTrue(error("a: &x [*x]\n").contains("undefined alias"), "an anchor is defined once its node is complete")
        XCTAssertTrue(error("a:\n  <<: plain\n").contains("merge key"))
    }

    func testBillionLaughsStaysSmall() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...30 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        XCTAssertEqual(pairs(try parse(text)).count, 31, "aliases share their node: nothing is copied out")
    }

    func testWhatIsRefused() {
        XCTAssertEqual(error("basic_auth_users: [unclosed"),
                       "line 2, column 1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 19)")
        XCTAssertEqual(error("a: 1\nb: 2\na: 3\n"), "line 3, column 1: duplicate key \"a\"")
        XCTAssertEqual(error("users:\n  alice: x\n  alice: y\n"), "line 3, column 3: duplicate key \"alice\"")
        XCTAssertTrue(error("a: 1\n---\nb: 2\n").contains("expected a single document"))
        XCTAssertTrue(error("? [a]\n: b\n").contains("a mapping key must be a scalar"))
        XCTAssertTrue(error("a: b: c\n").contains("mapping values are not allowed"))
        XCTAssertTrue(error("a: \"\u{01}\"\n").contains("control characters are not allowed"))
        XCTAssertTrue(error(String(repeating: "[", count: 100_000)).contains("nested deeper than 64 levels"))
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
    }
}
