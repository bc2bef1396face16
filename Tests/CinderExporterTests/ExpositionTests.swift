@testable import CinderExporter
import XCTest

final class ExpositionTests: XCTestCase {
    let now: Int64 = 1_700_000_000_000_000

    func render(_ rows: [ServiceRow], format: ExpositionFormat = .text004) -> [UInt8] {
        var writer = ExpositionWriter(format: format)
        ExpositionRenderer.renderServices(
            ServiceSnapshot(rows: rows, nowMicros: now, downTimeMicros: 60_000_000), into: &writer)
        ExpositionRenderer.renderExporter(.init(
            downTimeSeconds: 60, databaseUp: true, scrapeErrorsTotal: 2, readsTotal: 7, duplicateRows: 0,
            scrapeDurationSeconds: 0.0015, process: nil), into: &writer)
        writer.end()
        return writer.bytes
    }

    func testExactServiceFamilies() {
        let row = ServiceRow(
            id: 1, host: "node-1@lvm", binary: "cinder-volume", topic: "cinder-volume", zone: "nova",
            cluster: "", disabledReason: "", replicationStatus: "not-capable", rpcVersion: "3.5", objectVersion: "1.21",
            reportCount: 838_433, disabled: false, frozen: false,
            createdAt: .micros(0), updatedAt: .micros(now - 1_500_000))
        let text = String(decoding: render([row]), as: UTF8.self)
        let labels = #"{host="node-1@lvm",binary="cinder-volume",zone="nova",cluster=""}"#
        let expected = """
            # HELP cinder_service_up 1 if the service heartbeat is within service_down_time of now (Cinder's rule), else 0.
            # TYPE cinder_service_up gauge
            cinder_service_up\(labels) 1
            # HELP cinder_service_heartbeat_age_seconds Seconds since the last heartbeat (updated_at, else created_at); negative when the service clock is ahead.
            # TYPE cinder_service_heartbeat_age_seconds gauge
            cinder_service_heartbeat_age_seconds\(labels) 1.5
            # HELP cinder_service_last_heartbeat_timestamp_seconds Unix time of the last heartbeat (updated_at, else created_at).
            # TYPE cinder_service_last_heartbeat_timestamp_seconds gauge
            cinder_service_last_heartbeat_timestamp_seconds\(labels) 1699999998.5
            # HELP cinder_service_reports Heartbeats the service has reported (the report_count column).
            # TYPE cinder_service_reports gauge
            cinder_service_reports\(labels) 838433
            # HELP cinder_service_disabled 1 if the service is disabled, else 0.
            # TYPE cinder_service_disabled gauge
            cinder_service_disabled\(labels) 0
            # HELP cinder_service_info Descriptive labels of each live service; the value is always 1.
            # TYPE cinder_service_info gauge
            cinder_service_info{host="node-1@lvm",binary="cinder-volume",zone="nova",cluster="",topic="cinder-volume",disabled_reason="",replication_status="not-capable",active_backend_id="",frozen="false",rpc_version="3.5",object_version="1.21"} 1
            # HELP cinder_service_down_time_seconds The service_down_time threshold in force, in seconds.
            # TYPE cinder_service_down_time_seconds gauge
            cinder_service_down_time_seconds 60
            # HELP cinder_exporter_database_up 1 if the last read of the services table succeeded, else 0.
            # TYPE cinder_exporter_database_up gauge
            cinder_exporter_database_up 1
            # HELP cinder_exporter_scrape_duration_seconds Seconds spent reading the services table and rendering this exposition.
            # TYPE cinder_exporter_scrape_duration_seconds gauge
            cinder_exporter_scrape_duration_seconds 0.0015
            # HELP cinder_exporter_scrape_errors_total Failed reads of the services table since the exporter started.
            # TYPE cinder_exporter_scrape_errors_total counter
            cinder_exporter_scrape_errors_total 2
            # HELP cinder_exporter_database_reads_total Reads of the services table since the exporter started; overlapping scrapes share one.
            # TYPE cinder_exporter_database_reads_total counter
            cinder_exporter_database_reads_total 7
            # HELP cinder_exporter_duplicate_rows Live rows dropped in the last read because another row had the same host, binary, zone and cluster.
            # TYPE cinder_exporter_duplicate_rows gauge
            cinder_exporter_duplicate_rows 0
            # HELP cinder_exporter_build_info Version and revision of this exporter; the value is always 1.
            # TYPE cinder_exporter_build_info gauge
            cinder_exporter_build_info{revision="\(BuildInfo.revision)",version="\(BuildInfo.version)"} 1

            """
        XCTAssertEqual(text, expected)
    }

    func testLabelEscapingAndUTF8() {
        let block = ExpositionWriter.labelBlock([("host", "a\"b\\c\nd"), ("zone", "zoné-🌍")])
        XCTAssertEqual(String(decoding: block, as: UTF8.self), #"{host="a\"b\\c\nd",zone="zoné-🌍"}"#)
    }

    func testNumbersAreShortestRoundTrip() {
        XCTAssertEqual(ExpositionWriter.format(ExpositionRenderer.seconds(123_456)), "0.123456")
        XCTAssertEqual(ExpositionWriter.format(ExpositionRenderer.seconds(-30_000_001)), "-30.000001")
        XCTAssertEqual(ExpositionWriter.format(ExpositionRenderer.seconds(1_560_504_143_000_001)), "1560504143.000001")
        XCTAssertEqual(ExpositionWriter.format(60), "60.0")
    }

    func testOpenMetricsSuffixesAndEOF() {
        let text = String(decoding: render([ServiceRow(id: 1, host: "h")], format: .openMetrics), as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("# EOF\n"))
        XCTAssertTrue(text.contains("# TYPE cinder_exporter_scrape_errors counter\ncinder_exporter_scrape_errors_total 2\n"))
        XCTAssertTrue(text.contains("# TYPE cinder_service_info gauge\n"), "SPEC §2: info series are gauges")
        XCTAssertFalse(text.contains("# TYPE cinder_exporter_scrape_errors_total"))
    }

    func testAcceptNegotiation() {
        XCTAssertEqual(ExpositionFormat.negotiate(accept: nil), .text004)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "text/plain"), .text004)
        XCTAssertEqual(ExpositionFormat.negotiate(accept:
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
            .openMetrics)
        XCTAssertEqual(ExpositionFormat.negotiate(accept: "application/openmetrics-text;q=0"), .text004)
    }

    /// q-values decide (RFC 9110 §12.5.1): the higher q wins; a type's q is
    /// that of its most specific range; on a tie the more specific range,
    /// then the one listed first (as client_golang's negotiation does).
    func testAcceptQValues() {
        let cases: [(String, ExpositionFormat)] = [
            ("text/plain;q=1, application/openmetrics-text;q=0.1", .text004),
            ("application/openmetrics-text;q=0.1, text/plain;q=1", .text004),
            ("text/plain;q=0.4, application/openmetrics-text;q=0.5", .openMetrics),
            ("application/openmetrics-text; version=1.0.0; Q=0.9 ,text/plain;version=0.0.4;q=0.5", .openMetrics),
            ("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=0.0.1;q=0.75", .openMetrics),
            ("text/plain, application/openmetrics-text", .text004),
            ("application/openmetrics-text, text/plain", .openMetrics),
            ("application/openmetrics-text;q=0.000, text/plain;q=0.001", .text004),
            ("*/*", .text004),
            ("*/*;q=0.5, application/openmetrics-text", .openMetrics),
            // A wildcard never picks OpenMetrics (client_golang; SPEC §4: only
            // a header that names it gets it), even with text/plain refused.
            ("*/*, text/plain;q=0", .text004),
            ("application/*", .text004),
            ("applic,application/open.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q;", .text004),
            ("application/*;q=0.2, text/*;q=0.3", .text004),
            ("application/openmetrics-text;q=0.3, application/*;q=0.9, text/plain;q=0.5", .text004),
            ("application/json", .text004),
            ("application/openmetrics-text;q=bogus, text/plain;q=0.1", .text004),
            ("application/openmetrics-text;q=2", .text004),
            ("", .text004),
            (",,;;;q=,/,*/, application/openmetrics-text", .openMetrics),
            ("APPLICATION/OPENMETRICS-TEXT", .openMetrics),
        ]
        for (header, expected) in cases {
            XCTAssertEqual(ExpositionFormat.negotiate(accept: header), expected, header)
        }
    }

    /// Odd rows of every kind: output still passes promtool with no complaint,
    /// no series repeats, and nothing is NaN.
    func testOddRowsPassPromtool() throws {
        let rows = [
            ServiceRow(id: 1, host: "quote\"back\\slash\nnewline", binary: "cinder-volume", zone: "zoné 🌍",
                       disabledReason: "tab\there", reportCount: nil, disabled: true, updatedAt: .micros(now + 5_000_000)),
            ServiceRow(id: 2, host: "\u{FFFD}bad", binary: "cinder-backup", createdAt: .null, updatedAt: .null),
            ServiceRow(id: 3, host: "dup", binary: "cinder-volume", updatedAt: .micros(now - 10)),
            ServiceRow(id: 4, host: "dup", binary: "cinder-volume", updatedAt: .micros(now - 20)),
            ServiceRow(id: 5, host: "", binary: "", updatedAt: .invalid),
        ]
        let bytes = render(rows)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertFalse(text.contains("NaN"))
        let sampleLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let keys = sampleLines.map { $0[..<$0.lastIndex(of: " ")!] }
        XCTAssertEqual(keys.count, Set(keys).count, "a series repeats")
        let check = try promtoolCheckMetrics(bytes)
        XCTAssertEqual(check.status, 0, check.output)
        XCTAssertEqual(check.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool complained")
    }
}
