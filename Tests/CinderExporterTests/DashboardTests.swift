@testable import CinderExporter
import Foundation
import Logging
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// dashboards/: the alert rules pass promtool and their unit tests, the
/// Grafana dashboard loads with grafana-foundation-sdk, and every query of
/// both runs against a real Prometheus scraping a real exporter whose
/// services go down, flap, are disabled, run ahead or are failed over.
/// A missing promtool, prometheus or Python package fails; nothing skips.
final class DashboardTests: XCTestCase {
    private static var dashboards: String { TestPaths.packageRoot + "/dashboards" }
    private static var dashboardPath: String { dashboards + "/cinder-exporter.json" }

    /// The rule files Prometheus loads: every dashboards/*.yaml.
    private static func ruleFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dashboards)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted().map { dashboards + "/" + $0 }
    }

    private static func require(_ tool: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let path = ProcessResult.which(tool) else {
            XCTFail("\(tool) is not installed: apt-get install --no-install-recommends prometheus "
                    + "(scripts/install-deps.sh test does it)", file: file, line: line)
            throw PrometheusServer.Failure(description: "\(tool) not found on PATH")
        }
        return path
    }

    // MARK: promtool

    func testRuleFilesPassPromtoolCheck() throws {
        let promtool = try Self.require("promtool")
        let files = try Self.ruleFiles()
        XCTAssertTrue(files.contains(Self.dashboards + "/alerts.yaml"), "dashboards/alerts.yaml is missing: \(files)")
        let result = try ProcessResult.run(promtool, ["check", "rules"] + files)
        XCTAssertEqual(result.status, 0, "promtool check rules failed:\n\(result.stdout)\n\(result.stderr)")
        let output = result.stdout + result.stderr
        for file in files {
            XCTAssertTrue(output.contains("Checking \(file)"), "promtool did not check \(file):\n\(output)")
        }
        // "SUCCESS: N rules found", once per file, each with at least one rule.
        let counts = output.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "SUCCESS: ") else { return nil }
            return Int(line[range.upperBound...].split(separator: " ").first ?? "")
        }
        XCTAssertEqual(counts.count, files.count, output)
        XCTAssertFalse(counts.contains(0), "a rule file without rules:\n\(output)")
    }

    func testAlertUnitTestsPass() throws {
        let promtool = try Self.require("promtool")
        let testDirectory = Self.dashboards + "/tests"
        let tests = try FileManager.default.contentsOfDirectory(atPath: testDirectory)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { testDirectory + "/" + $0 }
        XCTAssertFalse(tests.isEmpty, "no promtool tests in dashboards/tests")
        let result = try ProcessResult.run(promtool, ["test", "rules"] + tests)
        XCTAssertEqual(result.status, 0, "promtool test rules failed:\n\(result.stdout)\n\(result.stderr)")
        XCTAssertTrue(result.stdout.contains("SUCCESS"), result.stdout + result.stderr)
        XCTAssertFalse(result.stdout.contains("FAILED"), result.stdout)

        // Every alert has a unit test that names it.
        let alerts = try String(contentsOfFile: Self.dashboards + "/alerts.yaml", encoding: .utf8)
        let names = alerts.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("- alert:") else { return nil }
            return trimmed.dropFirst("- alert:".count).trimmingCharacters(in: .whitespaces)
        }
        XCTAssertGreaterThanOrEqual(names.count, 9, "alerts.yaml lost alerts: \(names)")
        let testText = try tests.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined()
        for name in names {
            XCTAssertTrue(testText.contains("alertname: \(name)\n"), "\(name) has no promtool unit test")
        }
    }

    // MARK: the dashboard's structure

    /// Loads the dashboard with grafana_foundation_sdk and prints what the SDK
    /// understood (its own JSON encoding), plus the Python classes it picked
    /// for each panel's queries and options.
    private static let sdkLoader = """
        import importlib.metadata, json, sys
        from grafana_foundation_sdk.cog.encoder import JSONEncoder
        from grafana_foundation_sdk.cog.plugins import register_default_plugins
        from grafana_foundation_sdk.models.dashboard import Dashboard, RowPanel
        register_default_plugins()
        with open(sys.argv[1], encoding="utf-8") as f:
            raw = json.load(f)
        dashboard = Dashboard.from_json(raw)
        def name(value):
            return None if value is None else type(value).__module__ + "." + type(value).__name__
        panels = []
        for panel in dashboard.panels or []:
            if isinstance(panel, RowPanel):
                panels.append({"row": True})
            else:
                panels.append({"row": False, "queries": [name(t) for t in panel.targets or []],
                               "options": name(panel.options)})
        print(json.dumps({"version": importlib.metadata.version("grafana-foundation-sdk"),
                          "dashboard": json.loads(json.dumps(dashboard, cls=JSONEncoder)),
                          "classes": panels}))
        """

    func testDashboardLoadsWithGrafanaFoundationSDK() throws {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["CINDER_EXPORTER_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessResult.which("python3")
        guard let python else { return XCTFail("python3 is not installed (set CINDER_EXPORTER_TEST_PYTHON)") }
        let result = try ProcessResult.run(python, ["-c", Self.sdkLoader, Self.dashboardPath])
        guard result.status == 0 else {
            return XCTFail("""
                \(python) could not load the dashboard with grafana-foundation-sdk (install it: \
                pip install 'grafana-foundation-sdk==1769699379!11.6.0'; scripts/install-deps.sh test does it):
                \(result.stderr.suffix(3000))
                """)
        }
        let loaded = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let sdk = try XCTUnwrap(loaded["dashboard"] as? [String: Any])
        let classes = try XCTUnwrap(loaded["classes"] as? [[String: Any]])

        // What the SDK does not model (import inputs) is checked on the file.
        let raw = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: Self.dashboardPath))) as? [String: Any])
        let inputs = try XCTUnwrap(raw["__inputs"] as? [[String: Any]], "no __inputs: Grafana's import asks for nothing")
        XCTAssertTrue(inputs.contains {
            $0["name"] as? String == "DS_PROMETHEUS" && $0["type"] as? String == "datasource"
                && $0["pluginId"] as? String == "prometheus"
        }, "__inputs has no DS_PROMETHEUS Prometheus datasource: \(inputs)")
        XCTAssertEqual(raw["id"] is NSNull, true, "an importable dashboard has id null")

        XCTAssertEqual(sdk["uid"] as? String, "cinder-exporter")
        XCTAssertFalse((sdk["title"] as? String ?? "").isEmpty)

        // Variables job, instance, zone, binary, each from the datasource input.
        let variables = ((sdk["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        let variableNames = variables.compactMap { $0["name"] as? String }
        for name in ["job", "instance", "zone", "binary", "host", "pool"] {
            XCTAssertTrue(variableNames.contains(name), "no $\(name) variable: \(variableNames)")
        }
        for variable in variables {
            XCTAssertEqual(variable["type"] as? String, "query")
            XCTAssertEqual(Self.datasourceUID(variable["datasource"]), "${DS_PROMETHEUS}", "\(variable["name"] ?? "?")")
            XCTAssertTrue(Self.variableQuery(variable)?.hasPrefix("label_values(") == true, "\(variable)")
        }

        let panels = try XCTUnwrap(sdk["panels"] as? [[String: Any]])
        XCTAssertEqual(panels.count, classes.count)
        var ids = Set<Int>()
        var exprs: [String] = []
        var dataPanels = 0
        for (panel, kinds) in zip(panels, classes) {
            let title = panel["title"] as? String ?? "?"
            if let id = panel["id"] as? Int { XCTAssertTrue(ids.insert(id).inserted, "duplicate panel id \(id)") }
            let grid = panel["gridPos"] as? [String: Int] ?? [:]
            XCTAssertTrue((grid["w"] ?? 0) > 0 && (grid["h"] ?? 0) > 0 && (grid["x"] ?? 0) + (grid["w"] ?? 0) <= 24,
                          "\(title): bad gridPos \(grid)")
            if kinds["row"] as? Bool == true {
                XCTAssertEqual(panel["type"] as? String, "row")
                continue
            }
            dataPanels += 1
            let type = panel["type"] as? String ?? ""
            XCTAssertTrue(["stat", "table", "timeseries", "state-timeline"].contains(type), "\(title): type \(type)")
            // The SDK picked the panel plugin's own options type.
            let pluginModule = "grafana_foundation_sdk.models." + type.replacingOccurrences(of: "-", with: "")
            XCTAssertEqual((kinds["options"] as? String)?.hasPrefix(pluginModule + "."), true,
                           "\(title): options decoded as \(kinds["options"] ?? "nil")")
            XCTAssertFalse((panel["description"] as? String ?? "").isEmpty, "\(title): no description")
            XCTAssertEqual(Self.datasourceUID(panel["datasource"]), "${DS_PROMETHEUS}", "\(title): datasource")
            XCTAssertEqual((panel["datasource"] as? [String: Any])?["type"] as? String, "prometheus", "\(title)")

            let targets = panel["targets"] as? [[String: Any]] ?? []
            XCTAssertFalse(targets.isEmpty, "\(title): no targets")
            XCTAssertEqual(kinds["queries"] as? [String] ?? [],
                           Array(repeating: "grafana_foundation_sdk.models.prometheus.Dataquery", count: targets.count),
                           "\(title): queries not read as Prometheus queries")
            var refIDs = Set<String>()
            for target in targets {
                let expr = target["expr"] as? String ?? ""
                XCTAssertFalse(expr.isEmpty, "\(title): a target without expr")
                XCTAssertTrue(refIDs.insert(target["refId"] as? String ?? "").inserted, "\(title): duplicate refId")
                XCTAssertEqual(Self.datasourceUID(target["datasource"]), "${DS_PROMETHEUS}", "\(title): target datasource")
                // Every query follows $job and $instance; per-service ones $zone and $binary too.
                XCTAssertTrue(expr.contains("$job") && expr.contains("$instance"), "\(title): \(expr)")
                if expr.contains("cinder_service_") && !expr.contains("cinder_service_down_time_seconds") {
                    XCTAssertTrue(expr.contains("$zone") && expr.contains("$binary"), "\(title): \(expr)")
                }
                // Work in flight follows its own $host, and $pool where there is one.
                if expr.contains("cinder_volumes") || expr.contains("cinder_snapshots") {
                    XCTAssertTrue(expr.contains("$host") && expr.contains("$pool"), "\(title): \(expr)")
                }
                if expr.contains("cinder_backups") {
                    XCTAssertTrue(expr.contains("$host"), "\(title): \(expr)")
                }
                exprs.append(expr)
            }

            let defaults = (panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any] ?? [:]
            XCTAssertFalse((defaults["unit"] as? String ?? "").isEmpty, "\(title): no unit")
            let steps = ((defaults["thresholds"] as? [String: Any])?["steps"] as? [[String: Any]]) ?? []
            XCTAssertFalse(steps.isEmpty, "\(title): no thresholds")
            XCTAssertTrue(steps.first.map { $0["value"] == nil || $0["value"] is NSNull } ?? false,
                          "\(title): thresholds need a base step (value null)")
            let values = steps.dropFirst().compactMap { ($0["value"] as? NSNumber)?.doubleValue }
            XCTAssertEqual(values.count, steps.count - 1, "\(title): threshold without value")
            XCTAssertEqual(values, values.sorted(), "\(title): thresholds out of order")
            XCTAssertFalse(steps.contains { ($0["color"] as? String ?? "").isEmpty }, "\(title): threshold without colour")
        }

        // What an on-call operator needs is there.
        func panelsOf(_ type: String) -> [[String: Any]] { panels.filter { $0["type"] as? String == type } }
        func queries(_ panel: [String: Any]) -> String {
            ((panel["targets"] as? [[String: Any]]) ?? []).compactMap { $0["expr"] as? String }.joined(separator: "\n")
        }
        XCTAssertGreaterThanOrEqual(dataPanels, 10)
        let stats = panelsOf("stat").map(queries)
        for metric in ["cinder_service_up", "cinder_service_disabled", "cinder_exporter_database_up"] {
            XCTAssertTrue(stats.contains { $0.contains(metric) }, "no stat on \(metric)")
        }
        let servicesTable = try XCTUnwrap(panelsOf("table").first { $0["title"] as? String == "Services" })
        for metric in ["cinder_service_up", "cinder_service_disabled", "cinder_service_heartbeat_age_seconds", "cinder_service_info"] {
            XCTAssertTrue(queries(servicesTable).contains(metric), "Services table lacks \(metric)")
        }
        let overrides = ((servicesTable["fieldConfig"] as? [String: Any])?["overrides"] as? [[String: Any]]) ?? []
        let stateOverride = overrides.first { (($0["matcher"] as? [String: Any])?["options"] as? String) == "State" }
        let stateProperties = (stateOverride?["properties"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertTrue(stateProperties.contains("mappings") && stateProperties.contains("custom.cellOptions"),
                      "the State column is not coloured by state: \(stateProperties)")
        XCTAssertTrue(panelsOf("timeseries").map(queries).contains {
            $0.contains("cinder_service_heartbeat_age_seconds") && $0.contains("cinder_service_down_time_seconds")
        }, "no heartbeat-age panel with the threshold drawn")
        XCTAssertTrue(panelsOf("state-timeline").map(queries).contains { $0.contains("cinder_service_up") })
        XCTAssertTrue(exprs.contains { $0.contains("rate(cinder_service_reports") }, "no report rate")
        for metric in ["cinder_exporter_scrape_duration_seconds", "cinder_exporter_scrape_errors_total"] {
            XCTAssertTrue(exprs.contains { $0.contains(metric) }, "no panel on \(metric)")
        }

        // The work-in-flight row (SPEC §9): stuck work by status and backend,
        // the oldest ages against the alerts' tiers, allocated size per pool,
        // snapshots, backups and the collectors.
        XCTAssertTrue(panels.contains { $0["type"] as? String == "row" && $0["title"] as? String == "Work in flight" },
                      "no Work in flight row")
        for metric in ["cinder_volumes_oldest_age_seconds", "cinder_snapshots_oldest_age_seconds",
                       "cinder_backups_oldest_age_seconds", "cinder_snapshots{", "cinder_backups{",
                       "cinder_exporter_collector_success", "cinder_exporter_collector_duration_seconds",
                       "cinder_exporter_collector_age_seconds"] {
            XCTAssertTrue(exprs.contains { $0.contains(metric) }, "no panel on \(metric)")
        }
        XCTAssertTrue(panelsOf("table").map(queries).contains {
            $0.contains("sum by (job, instance, host, pool, status) (cinder_volumes{")
        }, "no table of volumes in flight by backend, pool and status")
        XCTAssertTrue(exprs.contains { $0.contains("sum by (job, instance, host, pool) (cinder_volumes_size_bytes{") },
                      "no allocated size per pool")
        let tiers = panelsOf("timeseries").filter { queries($0).contains("cinder_volumes_oldest_age_seconds") }.map { panel in
            ((((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["thresholds"]
                as? [String: Any])?["steps"] as? [[String: Any]] ?? []).compactMap { ($0["value"] as? NSNumber)?.doubleValue }
        }
        XCTAssertTrue(tiers.contains([600, 3600, 21600]), "no oldest-age graph with the alerts' tiers: \(tiers)")
    }

    private static func datasourceUID(_ value: Any?) -> String? { (value as? [String: Any])?["uid"] as? String }

    private static func variableQuery(_ variable: [String: Any]) -> String? {
        if let text = variable["query"] as? String { return text }
        return (variable["query"] as? [String: Any])?["query"] as? String
    }

    // MARK: every query against a real Prometheus

    /// The services the end-to-end test writes. `tick` moves them on.
    private final class ChangingCloud {
        let database: TestDatabase
        let started = Clock.nowMicros()
        var volumeStopped = false
        private var stopWritten = false
        private let update: SQLiteStatement
        private let begin: SQLiteStatement
        private let commit: SQLiteStatement
        private var lastTick: Int64 = 0

        init() throws {
            let database = try TestDatabase()
            // No fsync on the cloud's commits: on a busy disk a synced commit
            // holds SQLite's lock past the scrape's 0.5 s deadline, and the
            // exporter then rightly answers database_up 0 for that scrape.
            try database.execute("PRAGMA synchronous = OFF")
            try database.execute("PRAGMA journal_mode = MEMORY")
            let now = Clock.nowMicros()
            func service(_ host: String, _ binary: String, _ zone: String, cluster: String? = nil,
                         heartbeat: Int64? = 0, extra: [String: SQLiteStatement.Value] = [:]) throws {
                var columns: [String: SQLiteStatement.Value] = [
                    "host": .text(host), "binary": .text(binary), "topic": .text(binary),
                    "availability_zone": .text(zone), "disabled": .integer(0),
                    "rpc_current_version": .text("3.15"), "object_current_version": .text("1.38"),
                    "frozen": .integer(0),
                ]
                if let cluster { columns["cluster_name"] = .text(cluster) }
                if let heartbeat {
                    columns["created_at"] = .text(TestDatabase.text(now - 86_400_000_000))
                    columns["updated_at"] = .text(TestDatabase.text(now + heartbeat))
                }
                try database.insert(columns.merging(extra) { $1 })
            }
            try service("controller-1", "cinder-scheduler", "nova")
            try service("storage-1@lvm", "cinder-volume", "az1", cluster: "lvm@lvm")
            // Goes down once Prometheus has seen it up.
            try service("storage-down@lvm", "cinder-volume", "az1")
            // Up and down every 2 s.
            try service("storage-flappy@nfs", "cinder-volume", "az2")
            // Disabled for maintenance, not heartbeating: must never page.
            try service("storage-maint@nfs", "cinder-volume", "az2", heartbeat: -3_600_000_000, extra: [
                "disabled": .integer(1), "disabled_reason": .text("maintenance: replacing disks"),
            ])
            // Its clock runs 3 s ahead: a negative age, up, no alert.
            try service("backup-ahead", "cinder-backup", "nova", heartbeat: 3_000_000)
            // Failed over to its replication target, frozen, one version ahead.
            try service("storage-dr@ceph", "cinder-volume", "az2", extra: [
                "replication_status": .text("failed-over"), "active_backend_id": .text("secondary"),
                "frozen": .integer(1), "rpc_current_version": .text("3.16"), "object_current_version": .text("1.39"),
            ])
            // Both timestamps NULL: heartbeat unknown, exported as down.
            try service("storage-ghost@lvm", "cinder-volume", "az3", heartbeat: nil)
            // Runs the backups below.
            try service("backup-1", "cinder-backup", "nova")

            // Work in flight (SPEC §9) in Cinder 29's tables: work stuck past
            // its threshold on services that heartbeat, and work that must
            // stay quiet. Ages grow from `now`; the test takes well under a minute.
            func ago(_ seconds: Int64) -> String { "'\(TestDatabase.text(now - seconds * 1_000_000))'" }
            func volume(_ id: String, _ host: String?, _ status: String, gib: Int, waited seconds: Int64) throws {
                try database.execute("""
                    INSERT INTO volumes (id, host, status, size, deleted, created_at, updated_at, volume_type_id, project_id)
                    VALUES ('\(id)', \(host.map { "'\($0)'" } ?? "NULL"), '\(status)', \(gib), 0,
                            \(ago(seconds + 60)), \(ago(seconds)), 'type-1', 'project-1')
                    """)
            }
            // Deleting for 2 h on a volume service that heartbeats: CinderVolumesStuck and
            // CinderServiceUpButWorkStuck.
            try volume("v-stuck", "storage-1@lvm#lvm-1", "deleting", gib: 10, waited: 7_200)
            try volume("v-in-use", "storage-1@lvm#lvm-1", "in-use", gib: 50, waited: 86_400)
            // Below its 10 min, and statuses that are not Cinder's work: quiet.
            try volume("v-detaching", "storage-1@lvm#lvm-1", "detaching", gib: 1, waited: 120)
            try volume("v-shelved", "storage-1@lvm#lvm-1", "reserved", gib: 2, waited: 30 * 86_400)
            try volume("v-given", "storage-1@lvm#lvm-1", "awaiting-transfer", gib: 2, waited: 30 * 86_400)
            // Never scheduled for 30 min.
            try volume("v-unscheduled", nil, "creating", gib: 1, waited: 1_800)
            // On a backend disabled for maintenance: quiet.
            try volume("v-maint", "storage-maint@nfs#nfs", "deleting", gib: 5, waited: 18_000)
            // Backing up for 7 h: stuck, but cinder-backup's work, not its volume service's.
            try volume("v-backing-up", "storage-dr@ceph#rbd", "backing-up", gib: 100, waited: 25_200)
            try volume("v-error", "storage-dr@ceph#rbd", "error", gib: 3, waited: 3_600)
            try database.execute("""
                INSERT INTO snapshots (id, volume_id, status, volume_size, deleted, created_at, updated_at, volume_type_id, project_id)
                VALUES ('s-stuck', 'v-in-use', 'creating', 50, 0, \(ago(7_300)), \(ago(7_200)), 'type-1', 'project-1');
                INSERT INTO backups (id, host, status, size, deleted, created_at, updated_at, volume_id, project_id)
                VALUES ('b-stuck', 'backup-1', 'creating', 100, 0, \(ago(25_300)), \(ago(25_200)), 'v-backing-up', 'project-1'),
                       ('b-done', 'backup-1', 'available', 50, 0, \(ago(90_000)), \(ago(86_400)), 'v-in-use', 'project-1');
                """)
            update = try database.connection.prepare(
                "UPDATE services SET updated_at = ?, report_count = report_count + 1 WHERE host = ?")
            // Scrapes give the services read 0.5 s (a 1 s scrape timeout): on a
            // busy machine a writer that fsyncs a journal on every heartbeat
            // holds the file long enough to fail some of them. Heartbeats in
            // one transaction, no fsync, the journal in memory.
            try database.execute("PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY")
            begin = try database.connection.prepare("BEGIN IMMEDIATE")
            commit = try database.connection.prepare("COMMIT")
            self.database = database
        }

        /// One round of heartbeats as of now.
        func tick() throws {
            let now = Clock.nowMicros()
            // Twice a second is plenty against a 10 s service_down_time.
            guard now - lastTick >= 500_000 || (volumeStopped && !stopWritten) else { return }
            lastTick = now
            try begin.run { _ throws(DatabaseError) in }
            defer { try? commit.run { _ throws(DatabaseError) in } }
            let flappyUp = ((now - started) / 2_000_000) % 2 == 0
            let beats: [(String, Int64)] = [
                ("controller-1", now), ("storage-1@lvm", now), ("storage-dr@ceph", now),
                ("backup-ahead", now + 3_000_000), ("backup-1", now),
                ("storage-flappy@nfs", flappyUp ? now : now - 30_000_000),
            ] + (volumeStopped ? [] : [("storage-down@lvm", now)])
            for (host, micros) in beats {
                try update.bind([.text(TestDatabase.text(micros)), .text(host)])
                try update.run { _ throws(DatabaseError) in }
            }
            if volumeStopped && !stopWritten {
                // Its last heartbeat, 30 s ago, and no more: down (service_down_time is 10 s here).
                try update.bind([.text(TestDatabase.text(now - 30_000_000)), .text("storage-down@lvm")])
                try update.run { _ throws(DatabaseError) in }
                stopWritten = true
            }
        }
    }

    func testDashboardAndRuleQueriesRunAgainstRealPrometheus() throws {
        let cloud = try ChangingCloud()
        try cloud.tick()
        let work = WorkCollectors(kinds: WorkKind.allCases,
                                  reader: SQLiteWorkReader(path: cloud.database.path, timeoutSeconds: 5),
                                  intervalSeconds: 1, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let exporter = try ExporterFixture(databasePath: cloud.database.path, downTimeSeconds: 10, work: work)
        work.start()
        let ruleFiles = try Self.ruleFiles()
        let prometheus = try PrometheusServer(config: """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
            \(ruleFiles.map { "  - '\($0)'" }.joined(separator: "\n"))
            scrape_configs:
              - job_name: cinder-exporter
                honor_labels: true
                static_configs:
                  - targets: ['127.0.0.1:\(exporter.port)']
            """)
        defer { prometheus.stop() }
        try prometheus.waitForReady()

        func has(_ promql: String) throws -> Bool {
            try cloud.tick()
            let result = try prometheus.query(promql)
            XCTAssertTrue(result.isSuccess, "\(promql): \(result.raw.prefix(500))")
            return result.hasData
        }
        // The first scrape lands 6-7 s after start; then the volume service
        // stops, the flappy one has flapped, and the rules have seen both.
        let sawUp = try prometheus.poll(timeoutSeconds: 25) { try has(#"cinder_service_up{host="storage-down@lvm"} == 1"#) }
        XCTAssertTrue(sawUp, "Prometheus never scraped the exporter:\n\(prometheus.log.suffix(2000))")
        guard sawUp else { return }
        cloud.volumeStopped = true
        let settled = try prometheus.poll(timeoutSeconds: 20) {
            try has(#"cinder_service_up{host="storage-down@lvm"} == 0"#)
                && has(#"changes(cinder_service_up{host="storage-flappy@nfs"}[5m]) >= 2"#)
                && has(#"ALERTS{alertname="CinderServiceDown", host="storage-down@lvm", alertstate="pending"}"#)
        }
        XCTAssertTrue(settled, "the services never changed state in Prometheus")
        // The work collectors have read, and the alert only a database reader
        // can raise is pending: storage-1@lvm heartbeats while its volume waits.
        let workSeen = try prometheus.poll(timeoutSeconds: 20) {
            try has(#"ALERTS{alertname="CinderServiceUpButWorkStuck", host="storage-1@lvm", binary="cinder-volume", alertstate="pending"}"#)
        }
        XCTAssertTrue(workSeen, "CinderServiceUpButWorkStuck never went pending for storage-1@lvm")

        // Every panel query, with Grafana's variables as Grafana would fill
        // them: this job, this exporter (regex-escaped), all zones and binaries.
        let instance = "127.0.0.1:\(exporter.port)"
        let variables = [
            "job": "cinder-exporter", "instance": instance.replacingOccurrences(of: ".", with: #"\\."#),
            "zone": ".*", "binary": ".*", "host": ".*", "pool": ".*",
            "__rate_interval": "4s", "__interval": "1s", "__range": "5m", "__range_s": "300", "__range_ms": "300000",
        ]
        let dashboard = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: Self.dashboardPath))) as? [String: Any])
        let now = Date().timeIntervalSince1970
        var checked = 0
        for panel in (dashboard["panels"] as? [[String: Any]]) ?? [] where panel["type"] as? String != "row" {
            let title = panel["title"] as? String ?? "?"
            // A table that merges several queries joins rows on equal labels:
            // a __name__ column (different per query) would keep them apart.
            let merges = ((panel["transformations"] as? [[String: Any]]) ?? []).contains { $0["id"] as? String == "merge" }
            var mergedServices: Set<[String]>?
            for target in (panel["targets"] as? [[String: Any]]) ?? [] {
                let expr = try Self.substitute(target["expr"] as? String ?? "", variables)
                let instant = target["instant"] as? Bool == true && target["range"] as? Bool != true
                try cloud.tick()
                let result = instant
                    ? try prometheus.query(expr)
                    : try prometheus.queryRange(expr, start: now - 60, end: Date().timeIntervalSince1970, step: 1)
                XCTAssertTrue(result.isSuccess, "\(title): \(expr)\n\(result.raw.prefix(500))")
                // This cloud has every kind of trouble too, so even the
                // panels that are empty on a calm cloud must show it here.
                XCTAssertTrue(result.hasData, "\(title): no data for \(expr)")
                if merges {
                    XCTAssertFalse(result.series.contains { $0["__name__"] != nil }, "\(title): \(expr) keeps __name__")
                    let services = Set(result.series.map { labels in
                        ["job", "instance", "host", "binary", "zone", "cluster"].map { labels[$0] ?? "" }
                    })
                    // The first query lists every service; the others join onto it
                    // (an unknown heartbeat has no age, so subsets are fine).
                    XCTAssertTrue(services.isSubset(of: mergedServices ?? services), "\(title): \(expr) has other services")
                    if mergedServices == nil { mergedServices = services }
                }
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 15)

        // The variables' label_values() selectors find this exporter's labels.
        let expected = ["job": "cinder-exporter", "instance": instance, "zone": "az2", "binary": "cinder-backup",
                        "host": "backup-1", "pool": "lvm-1"]
        for variable in ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? [] {
            let name = variable["name"] as? String ?? "?"
            let definition = try XCTUnwrap(Self.variableQuery(variable), name)
            let match = try XCTUnwrap(definition.wholeMatch(of: /label_values\((.+),\s*(\w+)\)/), definition)
            try cloud.tick()
            let result = try prometheus.query(try Self.substitute(String(match.output.1), variables))
            XCTAssertTrue(result.isSuccess, "$\(name): \(result.raw.prefix(300))")
            let values = Set(result.series.compactMap { $0[String(match.output.2)] })
            if let value = expected[name] { XCTAssertTrue(values.contains(value), "$\(name) offers \(values)") }
        }

        // Every rule: loaded, evaluated without error, its query runs.
        var rules: [[String: Any]] = []
        XCTAssertTrue(try prometheus.poll(timeoutSeconds: 10) {
            try cloud.tick()
            rules = try prometheus.rules()
            return !rules.isEmpty && rules.allSatisfy { $0["health"] as? String != "unknown" }
        }, "rules never evaluated")
        let runbook = try String(contentsOfFile: Self.dashboards + "/runbook.md", encoding: .utf8)
        let anchors = Set(runbook.split(separator: "\n").filter { $0.hasPrefix("## ") }
            .map { $0.dropFirst(3).lowercased().replacingOccurrences(of: " ", with: "-") })
        for rule in rules {
            let name = rule["name"] as? String ?? "?"
            let query = rule["query"] as? String ?? ""
            XCTAssertEqual(rule["health"] as? String, "ok", "\(name): \(rule["lastError"] ?? "")")
            try cloud.tick()
            let result = try prometheus.query(query)
            XCTAssertTrue(result.isSuccess, "\(name): \(query)\n\(result.raw.prefix(500))")
            guard rule["type"] as? String == "alerting" else { continue }
            XCTAssertTrue(name.hasPrefix("Cinder"), name)
            XCTAssertGreaterThan((rule["duration"] as? NSNumber)?.doubleValue ?? 0, 0, "\(name) has no for:")
            let severity = (rule["labels"] as? [String: String])?["severity"] ?? ""
            XCTAssertTrue(["critical", "warning", "info"].contains(severity), "\(name): severity \(severity)")
            let annotations = rule["annotations"] as? [String: String] ?? [:]
            for key in ["summary", "description", "runbook_url"] {
                XCTAssertFalse((annotations[key] ?? "").isEmpty, "\(name): no \(key)")
            }
            let runbookURL = annotations["runbook_url"] ?? ""
            XCTAssertEqual(runbookURL, "dashboards/runbook.md#\(name.lowercased())", name)
            XCTAssertTrue(anchors.contains(name.lowercased()), "runbook.md has no section \(name)")
            // SPEC §6: nothing above info for a disabled service.
            if severity != "info" && query.contains("cinder_service_") {
                XCTAssertNotNil(query.firstMatch(of: /cinder_service_disabled(\{[^}]*\})? == 1/),
                                "\(name) ignores disabled services: \(query)")
            }
        }

        // The migration rule gives openstack-exporter's series from the real
        // exporter's: renamed labels, adminState, the reason, 1 up / 0 down.
        for promql in [
            #"openstack_cinder_agent_state{hostname="controller-1", service="cinder-scheduler", zone="nova", adminState="enabled"} == 1"#,
            #"openstack_cinder_agent_state{hostname="storage-maint@nfs", adminState="disabled", disabledReason="maintenance: replacing disks"} == 0"#,
            #"openstack_cinder_agent_state{hostname="storage-down@lvm", adminState="enabled"} == 0"#,
            #"openstack_cinder_agent_state{hostname="storage-ghost@lvm"} == 0"#,
        ] {
            // Polled: one scrape that timed out on a loaded machine drops the series for a second.
            XCTAssertTrue(try prometheus.poll(timeoutSeconds: 10) { try has(promql) }, "no data for \(promql)")
        }
        XCTAssertFalse(try has(#"openstack_cinder_agent_state{host!=""} or openstack_cinder_agent_state{binary!=""}"#),
                       "our label names are renamed away")

        // The rules read the exporter's real labels: what must be pending is,
        // and what must stay quiet does.
        for (alert, selector) in [
            ("CinderServiceDown", #"host="storage-ghost@lvm""#),
            ("CinderVolumeServiceFailedOver", #"host="storage-dr@ceph", active_backend_id="secondary""#),
            ("CinderVolumeServiceFrozen", #"host="storage-dr@ceph", zone="az2""#),
            ("CinderMixedVersions", #"binary="cinder-volume""#),
            ("CinderVolumesStuck", #"host="storage-1@lvm", pool="lvm-1", status="deleting""#),
            ("CinderVolumesStuck", #"host="", status="creating""#),
            ("CinderVolumesStuck", #"host="storage-dr@ceph", status="backing-up""#),
            ("CinderSnapshotsStuck", #"host="storage-1@lvm", pool="lvm-1", status="creating""#),
            ("CinderBackupsStuck", #"host="backup-1", status="creating""#),
            ("CinderServiceUpButWorkStuck", #"host="backup-1", binary="cinder-backup""#),
        ] {
            XCTAssertTrue(try has("ALERTS{alertname=\"\(alert)\", \(selector)}"), "\(alert) is not pending for \(selector)")
        }
        for (promql, why) in [
            (#"ALERTS{host="storage-maint@nfs", severity!="info"}"#, "a disabled service must not alert"),
            (#"ALERTS{host="backup-ahead"}"#, "a clock 3 s ahead is not trouble"),
            (#"ALERTS{alertname=~"CinderServiceDown|CinderServiceHeartbeatLate", host=~"controller-1|storage-1@lvm"}"#,
             "healthy services must not alert"),
            (#"ALERTS{alertname=~"CinderExporter.*"}"#, "the exporter reads its database"),
            (#"ALERTS{alertname="CinderMixedVersions", binary="cinder-scheduler"}"#, "one scheduler version"),
            (#"ALERTS{alertname=~"Cinder.*Stuck", status=~"detaching|reserved|awaiting-transfer|in-use|available|error"}"#,
             "only transitional work past its threshold is stuck"),
            (#"ALERTS{alertname="CinderServiceUpButWorkStuck", host=~"storage-dr@ceph|storage-maint@nfs"}"#,
             "backing up is cinder-backup's work, and a disabled service never alerts"),
        ] {
            XCTAssertFalse(try has(promql), "\(why): \(promql) (failed reads: \(exporter.scraper.errorsTotal))")
        }

        // Every scrape was accepted: a rejected one would have emptied the
        // instant queries above; say why here.
        let targets = try prometheus.getJSON("/api/v1/targets")
        let active = ((targets.json["data"] as? [String: Any])?["activeTargets"] as? [[String: Any]]) ?? []
        XCTAssertEqual(active.count, 1, targets.raw)
        for target in active {
            XCTAssertEqual(target["health"] as? String, "up", "scrape failed: \(target["lastError"] ?? "")")
        }
        XCTAssertFalse(try has(#"up{job="cinder-exporter"} == 0 or changes(up{job="cinder-exporter"}[5m]) > 0"#),
                       "a scrape of the exporter failed during the test")
        withExtendedLifetime(exporter) {}
    }

    /// Replaces `$name` and `${name}` with Grafana's value; an unknown
    /// variable is an error (Grafana would send it to Prometheus verbatim).
    private static func substitute(_ expr: String, _ variables: [String: String]) throws -> String {
        var output = ""
        var rest = Substring(expr)
        while let match = rest.firstMatch(of: /\$\{?(\w+)\}?/) {
            output += rest[..<match.range.lowerBound]
            let name = String(match.output.1)
            guard let value = variables[name] else {
                throw PrometheusServer.Failure(description: "unknown variable $\(name) in \(expr)")
            }
            output += value
            rest = rest[match.range.upperBound...]
        }
        return output + rest
    }
}
