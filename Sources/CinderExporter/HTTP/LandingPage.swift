/// The HTML page at `/`: version, links, and the service table with up/down
/// at a glance. Every value from the database is escaped.
enum LandingPage {
    static func render(_ outcome: ReadOutcome, downTimeSeconds: Int64, telemetryPath: String) -> HTTPResponse {
        var rows = ""
        var summary: String
        switch outcome.snapshot {
        case .success(let snapshot):
            let up = snapshot.services.filter(\.isUp).count
            summary = "\(snapshot.services.count) services: \(up) up, \(snapshot.services.count - up) down, "
                + "\(snapshot.services.filter(\.row.disabled).count) disabled."
            for state in snapshot.services {
                let row = state.row
                let stateText = state.isUp ? "up" : "down"
                let age = state.heartbeatAgeMicros.map { ExpositionWriter.format(Double($0 / 1000) / 1000) + " s" } ?? "unknown"
                rows += "<tr class=\"\(stateText)\"><td>\(HTML.escape(row.binary))</td><td>\(HTML.escape(row.host))</td>"
                    + "<td>\(HTML.escape(row.zone))</td><td>\(HTML.escape(row.cluster))</td>"
                    + "<td>\(row.disabled ? "disabled" : "enabled")</td><td class=\"state\">\(stateText)</td>"
                    + "<td>\(age)</td><td>\(HTML.escape(row.disabledReason))</td></tr>\n"
            }
        case .failure:
            // The error names users, hosts and paths: it goes to the log only.
            summary = "The services table cannot be read right now; the exporter's log says why."
        }
        let html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>cinder-exporter</title>
            <style>
            body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;white-space:nowrap}
            tr.up td.state{background:#c8f7c5}tr.down td.state{background:#f7c5c5;font-weight:bold}
            </style></head>
            <body><h1>cinder-exporter</h1>
            <p>Version \(HTML.escape(BuildInfo.version)) (revision \(HTML.escape(BuildInfo.revision))).
            Threshold: \(downTimeSeconds) s (service_down_time).</p>
            <ul><li><a href="\(HTML.escape(telemetryPath))">Metrics</a></li>
            <li><a href="/-/healthy">Health</a></li><li><a href="/-/ready">Readiness</a></li></ul>
            <p id="summary">\(summary)</p>
            <table id="services"><thead><tr><th>Binary</th><th>Host</th><th>Zone</th><th>Cluster</th>
            <th>Status</th><th>State</th><th>Heartbeat age</th><th>Disabled reason</th></tr></thead>
            <tbody>
            \(rows)</tbody></table>
            </body></html>

            """
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/html; charset=utf-8")], bytes: Array(html.utf8))
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
