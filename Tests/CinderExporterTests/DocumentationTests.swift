import Foundation
import XCTest

/// What the READMEs tell an operator to run, run: the rule install block is
/// the same in both and yields rules whose runbook links are absolute; the
/// dashboard README describes the dashboard's variables as the JSON has them.
final class DocumentationTests: XCTestCase {
    private static var root: String { TestPaths.packageRoot }

    /// The fenced ```sh block that contains `needle`.
    private static func shellBlock(in file: String, containing needle: String) throws -> String {
        let text = try String(contentsOfFile: root + "/" + file, encoding: .utf8)
        let blocks = text.components(separatedBy: "```sh\n").dropFirst().map { $0.components(separatedBy: "```").first ?? "" }
        let matching = blocks.filter { $0.contains(needle) }
        XCTAssertEqual(matching.count, 1, "\(file): one ```sh block with \(needle)")
        return matching.first ?? ""
    }

    func testRuleInstallIsOneWayAndGivesAbsoluteRunbookLinks() throws {
        let main = try Self.shellBlock(in: "README.md", containing: "install -d /etc/prometheus/rules")
        let dashboards = try Self.shellBlock(in: "dashboards/README.md", containing: "install -d /etc/prometheus/rules")
        XCTAssertEqual(main, dashboards, "README.md and dashboards/README.md install the rules the same way")

        // Run it as written, with the rules folder moved into a temporary one.
        let directory = try Tools.temporaryDirectory(removedAfter: self)
        let target = directory + "/etc/prometheus/rules"
        let script = "set -eu\ncd '\(Self.root)'\n" + main.replacingOccurrences(of: "/etc/prometheus/rules", with: target)
        let result = try ProcessResult.run("/bin/bash", ["-c", script])
        XCTAssertEqual(result.status, 0, result.stdout + result.stderr)
        let installed = try String(contentsOfFile: target + "/cinder-alerts.yaml", encoding: .utf8)
        let links = installed.split(separator: "\n").filter { $0.contains("runbook_url:") }
        let alerts = installed.split(separator: "\n").filter { $0.contains("- alert:") }
        XCTAssertEqual(links.count, alerts.count, "every alert keeps a runbook_url")
        XCTAssertGreaterThanOrEqual(links.count, 9)
        for link in links {
            XCTAssertTrue(link.contains("runbook_url: \"https://"), "not rewritten: \(link)")
            XCTAssertTrue(link.contains("/dashboards/runbook.md#cinder"), "anchor lost: \(link)")
        }
        XCTAssertTrue(result.stdout.contains("SUCCESS"), "promtool checked the installed file: \(result.stdout)")
    }

    func testDashboardREADMEDescribesTheVariablesAsTheJSONHasThem() throws {
        let readme = try String(contentsOfFile: Self.root + "/dashboards/README.md", encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "Variables: "))
        let rest = readme[start.upperBound...]
        let paragraph = rest[..<(rest.range(of: "\n\n")?.lowerBound ?? rest.endIndex)]
        let json = try XCTUnwrap(JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: Self.root + "/dashboards/cinder-exporter.json"))) as? [String: Any])
        let variables = try XCTUnwrap((json["templating"] as? [String: Any])?["list"] as? [[String: Any]])
        XCTAssertEqual(variables.count, 6)
        for variable in variables {
            let name = try XCTUnwrap(variable["name"] as? String)
            // The README's words for this variable: from `name` up to the next variable.
            let words = try XCTUnwrap(paragraph.range(of: "`\(name)`"), "README does not name $\(name)")
            let rest = paragraph[words.upperBound...]
            let description = rest.prefix { $0 != "`" }
            let includeAll = variable["includeAll"] as? Bool ?? false
            XCTAssertEqual(description.contains("no *All*"), !includeAll, "$\(name): \(description)")
            XCTAssertEqual(description.contains("*All*") && !description.contains("no *All*"), includeAll, "$\(name): \(description)")
            XCTAssertEqual(description.contains("several"), variable["multi"] as? Bool ?? false, "$\(name): \(description)")
        }
    }
}
