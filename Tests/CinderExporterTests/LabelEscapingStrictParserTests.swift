import CinderExporter
import CinderExporterFuzz
import Foundation
import XCTest

/// Label values that are hard to escape, and those the label-escaping fuzz
/// target keeps in its corpus, go through the exporter's own rendering and
/// then through prometheus_client's parsers (OpenMetrics, which is strict,
/// and the classic text format): every value must come back byte for byte
/// after U+FFFD repair.
final class LabelEscapingStrictParserTests: XCTestCase {
    static let edgeValues: [[UInt8]] = [
        "", "plain", "\"", "\\", "\n", "\\n", "\\\"", "\"\\n\"", "trailing\\", "\\\\\\", "a\"b\\c\nd",
        "{", "}", "=", ",", "\"}", "\",zone=\"x", "# EOF", "\r", "\r\n", "\t", "\u{0B}\u{0C}", "\u{00}", "\u{1B}[31m",
        "\u{7F}", "\u{85}", "\u{9B}", "\u{A0}", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "\u{10FFFF}",
        "café", "cafe\u{301}", "\u{301}", "🇨🇭", "💩", "host@backend#pool", " leading and trailing ",
    ].map { Array($0.utf8) } + [
        [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80], [0xFE, 0xFF], [0x61, 0xE2, 0x82],
    ]

    /// Every column value in the label-escaping corpus (0xFF separates them).
    static func corpusValues() throws -> [[UInt8]] {
        let directory = FuzzTargets.corpusRoot + "/label-escaping"
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().flatMap { file in
            try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory + "/" + file)))
                .split(separator: 0xFF, omittingEmptySubsequences: false).map(Array.init)
        }
    }

    func testLabelValuesSurviveStrictParsers() throws {
        let values = Self.edgeValues + (try Self.corpusValues())
        XCTAssertGreaterThan(values.count, 60)
        // One service per value: the value is its host, zone and disabled reason;
        // `binary` tells the services apart.
        let rows = values.enumerated().map { index, bytes in
            let value = String(decoding: bytes, as: UTF8.self)
            return ServiceRow(id: Int64(index + 1), host: value, binary: "b\(index)", zone: value,
                              disabledReason: value, updatedAt: .micros(1_800_000_000_000_000))
        }
        let snapshot = ServiceSnapshot(rows: rows, nowMicros: 1_800_000_001_000_000, downTimeMicros: 60_000_000)
        XCTAssertEqual(snapshot.services.count, values.count)

        for format in [ExpositionFormat.openMetrics, .text004] {
            var writer = ExpositionWriter(format: format)
            ExpositionRenderer.renderServices(snapshot, into: &writer)
            writer.end()
            let text = String(decoding: writer.bytes, as: UTF8.self)
            XCTAssertEqual(Array(text.utf8), writer.bytes, "the exposition is not valid UTF-8")
            // Prints, per cinder_service_info sample: binary, then host, zone and
            // disabled_reason as hex of their UTF-8.
            let result = try ProcessResult.run(Tools.python, ["-c", """
                import sys
                if sys.argv[1] == "openmetrics":
                    from prometheus_client.openmetrics.parser import text_string_to_metric_families
                else:
                    from prometheus_client.parser import text_string_to_metric_families
                text = sys.stdin.buffer.read().decode("utf-8")
                for family in text_string_to_metric_families(text):
                    for sample in family.samples:
                        if sample.name == "cinder_service_info":
                            l = sample.labels
                            print(l["binary"], *(l[k].encode("utf-8").hex() for k in ("host", "zone", "disabled_reason")))
                """, format == .openMetrics ? "openmetrics" : "text"], stdin: text)
            XCTAssertEqual(result.status, 0, "\(format): prometheus_client refused the exposition: \(result.stderr)")
            var seen: [String: [String]] = [:]
            for line in result.stdout.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                seen[fields[0]] = Array(fields.dropFirst())
            }
            XCTAssertEqual(seen.count, values.count, "\(format): samples parsed")
            for (index, bytes) in values.enumerated() {
                let expected = Array(String(decoding: bytes, as: UTF8.self).utf8).map { String(format: "%02x", $0) }.joined()
                XCTAssertEqual(seen["b\(index)"], [expected, expected, expected],
                               "\(format): value \(String(decoding: bytes, as: UTF8.self).debugDescription) did not survive")
            }
        }
    }
}
