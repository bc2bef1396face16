/// The HTML page at `/` (SPEC §4): what someone opens during an incident.
/// Down services first, whole rows marked down / disabled / near the
/// threshold, the UTC time of the read, a refresh by itself every few seconds
/// (a meta refresh: no scripts, no external fonts). Every value from the
/// database is escaped; a failed read says so in a sentence and never shows
/// the database's error text (it names users and hosts; it goes to the log).
///
/// The page is a sequence of sections, each written by its own function:
/// header, then (on a successful read) summary and service table, or the
/// failure notice, then the work in flight (SPEC §9, `LandingPageWork.swift`),
/// then footer.
enum LandingPage {
    /// Seconds between refreshes of the page.
    static let refreshSeconds = 5

    static func render(_ outcome: ReadOutcome, downTimeSeconds: Int64, telemetryPath: String,
                       work: WorkCollectors? = nil) -> HTTPResponse {
        var html = ""
        switch outcome.snapshot {
        case .success(let snapshot):
            html.reserveCapacity(4096 + snapshot.serviceCount * 600)
            head(&html)
            header(&html, readAtMicros: snapshot.nowMicros, downTimeSeconds: downTimeSeconds, telemetryPath: telemetryPath)
            let rows = ordered(snapshot)
            summary(&html, rows)
            serviceTable(&html, rows)
        case .failure:
            head(&html)
            header(&html, readAtMicros: Clock.nowMicros(), downTimeSeconds: downTimeSeconds, telemetryPath: telemetryPath)
            failureNotice(&html)
        }
        // The work collectors' figures are their own: shown whether or not
        // the services read succeeded.
        workSection(&html, outcome, work: work)
        footer(&html)
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], bytes: Array(html.utf8))
    }

    // MARK: rows

    /// How a row is marked; the order of the cases is the order on the page.
    enum Mark: Int, Comparable {
        /// Down and enabled: these alert.
        case down
        /// Down and disabled: expected during maintenance.
        case downDisabled
        /// Up, but |heartbeat age| above 75% of service_down_time.
        case near
        case upDisabled
        case up

        static func < (a: Mark, b: Mark) -> Bool { a.rawValue < b.rawValue }

        var rowClass: String {
            switch self {
            case .down: return "down"
            case .downDisabled: return "down disabled"
            case .near: return "near"
            case .upDisabled: return "up disabled"
            case .up: return "up"
            }
        }
    }

    struct Row {
        let state: ServiceState
        let mark: Mark
    }

    static func mark(_ state: ServiceState, downTimeMicros: Int64) -> Mark {
        if !state.isUp { return state.row.disabled ? .downDisabled : .down }
        if state.row.disabled { return .upDisabled }
        // |age| > 0.75 × threshold, in integers (an up service's |age| ≤ threshold).
        if let age = state.heartbeatAgeMicros, age.magnitude * 4 > downTimeMicros.magnitude * 3 { return .near }
        return .up
    }

    /// Down first, then near the threshold, then the rest; within a mark the
    /// snapshot's order (binary, host, zone, cluster). A stable bucket pass.
    static func ordered(_ snapshot: ServiceSnapshot) -> [Row] {
        var buckets = [[Row]](repeating: [], count: 5)
        for state in snapshot.services {
            let mark = mark(state, downTimeMicros: snapshot.downTimeMicros)
            buckets[mark.rawValue].append(Row(state: state, mark: mark))
        }
        return buckets.flatMap { $0 }
    }

    // MARK: sections

    private static func head(_ html: inout String) {
        html += """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>cinder-exporter</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:1.5em;color:#111}
            h1{font-size:1.4em;margin:0 0 .3em}
            p,ul{margin:.4em 0}
            nav a{margin-right:1em}
            .alert{padding:.6em .9em;border-radius:4px;font-weight:bold;margin:.8em 0}
            .alert.bad{background:#b71c1c;color:#fff}
            .alert.good{background:#dff3df;color:#1b5e20}
            .alert.unknown{background:#fff3cd;color:#5d4200}
            table{border-collapse:collapse;font-variant-numeric:tabular-nums;width:100%}
            th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;white-space:nowrap}
            th{background:#f3f3f3;position:sticky;top:0}
            td.num{text-align:right}
            td.reason{white-space:normal;min-width:8em}
            tr.down td{background:#fbd3d3}
            tr.down td.state{background:#d32f2f;color:#fff;font-weight:bold}
            tr.near td{background:#fff1c2}
            tr.near td.state{font-weight:bold;color:#7a5200}
            tr.disabled td{background:#eceff1;color:#555}
            tr.down.disabled td.state{background:#eceff1;color:#b71c1c}
            .legend span{display:inline-block;padding:0 .5em;margin-right:.4em;border:1px solid #ccc}
            </style></head>
            <body>

            """
    }

    private static func header(_ html: inout String, readAtMicros: Int64, downTimeSeconds: Int64, telemetryPath: String) {
        html += """
            <h1>cinder-exporter</h1>
            <nav><a href="\(HTML.escape(telemetryPath))">Metrics</a><a href="/-/healthy">Health</a><a href="/-/ready">Readiness</a></nav>
            <p>Read at <time id="read-at" datetime="\(UTCTime.isoSeconds(micros: readAtMicros))">\(UTCTime.isoSeconds(micros: readAtMicros))</time> (UTC); \
            this page refreshes every \(refreshSeconds) s. \
            Threshold (service_down_time): \(Format.grouped(downTimeSeconds)) s. \
            Version \(HTML.escape(BuildInfo.version)) (revision \(HTML.escape(BuildInfo.revision))).</p>

            """
    }

    private static func summary(_ html: inout String, _ rows: [Row]) {
        var counts = [Int](repeating: 0, count: 5)
        for row in rows { counts[row.mark.rawValue] += 1 }
        let down = counts[Mark.down.rawValue], downDisabled = counts[Mark.downDisabled.rawValue]
        let near = counts[Mark.near.rawValue]
        let disabled = downDisabled + counts[Mark.upDisabled.rawValue]
        let up = rows.count - down - downDisabled
        if rows.isEmpty {
            html += "<p class=\"alert unknown\" id=\"headline\">The services table has no live service.</p>\n"
        } else if down > 0 {
            html += "<p class=\"alert bad\" id=\"headline\">\(Format.count(down, "enabled service")) down.</p>\n"
        } else {
            html += "<p class=\"alert good\" id=\"headline\">Every enabled service is up.</p>\n"
        }
        html += """
            <p id="summary">\(Format.count(rows.count, "service")): \(Format.grouped(up)) up, \
            \(Format.grouped(down + downDisabled)) down (\(Format.grouped(down)) enabled, \(Format.grouped(downDisabled)) disabled), \
            \(Format.grouped(disabled)) disabled in all, \(Format.grouped(near)) near the threshold.</p>
            <p class="legend"><span style="background:#fbd3d3">down</span><span style="background:#fff1c2">near the threshold \
            (heartbeat older than 75% of service_down_time)</span><span style="background:#eceff1">disabled</span></p>

            """
    }

    private static func serviceTable(_ html: inout String, _ rows: [Row]) {
        html += """
            <table id="services"><thead><tr><th>State</th><th>Status</th><th>Binary</th><th>Host</th><th>Zone</th>\
            <th>Cluster</th><th>Heartbeat age</th><th>Last heartbeat (UTC)</th><th>Reports</th><th>Disabled reason</th></tr></thead>
            <tbody>

            """
        for row in rows {
            let service = row.state.row
            let state = row.mark == .near ? "up, near" : row.state.isUp ? "up" : "down"
            let age = row.state.heartbeatAgeMicros.map(Format.age) ?? "unknown"
            let last = service.lastHeartbeat.map(UTCTime.isoSeconds(micros:)) ?? "unknown"
            let reports = service.reportCount.map(Format.grouped) ?? "?"
            html += "<tr class=\"\(row.mark.rowClass)\"><td class=\"state\">\(state)</td>"
            html += "<td>\(service.disabled ? "disabled" : "enabled")</td><td>"
            html += HTML.escape(service.binary)
            html += "</td><td>"
            html += HTML.escape(service.host)
            html += "</td><td>"
            html += HTML.escape(service.zone)
            html += "</td><td>"
            html += HTML.escape(service.cluster)
            html += "</td><td class=\"num\">\(age)</td><td>\(last)</td><td class=\"num\">\(reports)</td><td class=\"reason\">"
            html += HTML.escape(service.disabledReason)
            html += "</td></tr>\n"
        }
        html += "</tbody></table>\n"
    }

    /// A sentence only: the error text names users and hosts and is logged instead.
    private static func failureNotice(_ html: inout String) {
        html += """
            <p class="alert unknown" id="headline">The services table could not be read, so the state of the services \
            is unknown (this is not "every service down"). The reason is in the exporter's log; \
            /metrics reports cinder_exporter_database_up 0 until a read succeeds.</p>

            """
    }

    private static func footer(_ html: inout String) {
        html += "</body></html>\n"
    }
}

/// Numbers as the landing page shows them, one rule each.
enum Format {
    /// Thousands grouped with commas: 12,345.
    static func grouped<T: BinaryInteger>(_ value: T) -> String {
        let digits = String(value.magnitude)
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }

    /// "1 service", "2,000 services".
    static func count(_ value: Int, _ noun: String) -> String {
        "\(grouped(value)) \(noun)\(value == 1 ? "" : "s")"
    }

    /// A signed age: under 100 s in seconds with one decimal (47.3 s), then
    /// two units (12m 05s, 3h 02m, 4d 03h). Negative when the clock is ahead.
    static func age(_ micros: Int64) -> String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let tenths = (magnitude + 50_000) / 100_000
        if tenths < 1000 { return "\(sign)\(tenths / 10).\(tenths % 10) s" }
        let seconds = magnitude / 1_000_000
        func two(_ value: UInt64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        if seconds < 3600 { return "\(sign)\(seconds / 60)m \(two(seconds % 60))s" }
        if seconds < 86_400 { return "\(sign)\(seconds / 3600)h \(two(seconds / 60 % 60))m" }
        return "\(sign)\(seconds / 86_400)d \(two(seconds / 3600 % 24))h"
    }
}

enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
