@testable import CinderExporter
import Foundation
import XCTest

/// A real Prometheus scrapes the exporter over HTTP (OpenMetrics negotiated,
/// gzip, keep-alive) and its query API sees every service.
final class PrometheusScrapeTests: XCTestCase {
    func testPrometheusScrapesEveryService() throws {
        let db = try TestDatabase()
        let now = Clock.nowMicros()
        try db.execute("BEGIN")
        for index in 0..<25 {
            try db.insert(["host": .text("node-\(index)@lvm"), "binary": .text("cinder-volume"),
                           "availability_zone": .text("az\(index % 3)"), "cluster_name": index % 2 == 0 ? .null : .text("c\(index)"),
                           "updated_at": .text(TestDatabase.text(now - Int64(index % 5 == 0 ? 3600 : 5) * 1_000_000))])
        }
        try db.insert(["host": .text("gone"), "binary": .text("cinder-volume"), "deleted": .integer(1)])
        try db.execute("COMMIT")
        let fixture = try ExporterFixture(databasePath: db.path)
        let prometheus = try PrometheusServer(config: """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: cinder
                honor_labels: true
                static_configs: [{targets: ['127.0.0.1:\(fixture.port)']}]
            """)
        defer { prometheus.stop() }
        try prometheus.waitForReady()
        let deadline = Date().addingTimeInterval(20)
        var count = -1
        while Date() < deadline {
            let result = try prometheus.query("count(cinder_service_up)")
            if let value = (result.result.first?["value"] as? [Any])?.last as? String, let parsed = Int(value) {
                count = parsed
                break
            }
            usleep(200_000)
        }
        XCTAssertEqual(count, 25, "Prometheus sees one cinder_service_up series per live service")
        XCTAssertEqual(try prometheus.query("up{job=\"cinder\"} == 1").result.count, 1, "the target is healthy")
        let down = try prometheus.query("cinder_service_up == 0")
        XCTAssertEqual(down.result.count, 5)
        XCTAssertEqual(Set(down.series.compactMap { $0["host"] }), Set([0, 5, 10, 15, 20].map { "node-\($0)@lvm" }))
        let zones = try prometheus.query("count by (zone) (cinder_service_up)")
        XCTAssertEqual(Set(zones.series.compactMap { $0["zone"] }), ["az0", "az1", "az2"], "zone survives with honor_labels")
        XCTAssertEqual(try prometheus.query("cinder_exporter_database_up").result.count, 1)
        XCTAssertEqual(try prometheus.query("cinder_service_info{frozen=\"false\"}").result.count, 25)
    }
}
