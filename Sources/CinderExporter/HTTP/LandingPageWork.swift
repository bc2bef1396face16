/// The landing page's work in flight (SPEC §4, §9): volumes, snapshots and
/// backups in a transitional status by host, pool and status, oldest first,
/// and a failed work collector named in a sentence (its error text, which may
/// name users and hosts, goes to the log only).
extension LandingPage {
    static func workSection(_ html: inout String, _ outcome: ReadOutcome, work: WorkCollectors?) {
        guard let work, !work.kinds.isEmpty else { return }
        html += "<h2 id=\"work\">Work in flight</h2>\n"
        let reports = outcome.collectors
        let failed = reports.filter { !$0.success }.map(\.kind.collectorName)
        if !failed.isEmpty {
            let names = failed.count == 1 ? failed[0] : failed.dropLast().joined(separator: ", ") + " and " + failed.last!
            html += "<p class=\"alert unknown\" id=\"collector-failure\">The \(names) collector\(failed.count == 1 ? "" : "s") "
                + "cannot read \(failed.count == 1 ? "its table" : "their tables"), so \(failed.count == 1 ? "its" : "their") "
                + "figures are left out; the reason is in the exporter's log (often a missing SELECT grant).</p>\n"
        }
        let waiting = work.kinds.filter { kind in !reports.contains { $0.kind == kind } }
        if !waiting.isEmpty {
            html += "<p id=\"work-pending\">The \(waiting.map(\.collectorName).joined(separator: ", ")) figures are being read for the first time.</p>\n"
        }
        let served = reports.filter { $0.figures != nil }
        guard !served.isEmpty else { return }
        let oldestRead = served.map(\.readStartedMicros).min()!
        // (kind, group), oldest first; groups whose age cannot be known last.
        var rows = served.flatMap { report in
            report.figures!.groups.filter(\.isTransitional).map { (kind: report.kind, group: $0) }
        }
        rows.sort { a, b in
            switch (a.group.oldestMicros, b.group.oldestMicros) {
            case let (x?, y?) where x != y: return x < y
            case (_?, nil): return true
            case (nil, _?): return false
            default: return a.kind < b.kind
            }
        }
        html += "<p id=\"work-summary\">\(Format.count(rows.reduce(0) { $0 + Int($1.group.count) }, "row")) in a transitional status "
            + "(creating, deleting, attaching, …), oldest first. Figures read \(Format.age(outcome.nowMicros &- oldestRead)) ago; "
            + "they are refreshed every \(Format.age(Int64(work.intervalSeconds * 1e6))).</p>\n"
        guard !rows.isEmpty else {
            html += "<p id=\"work-none\">Nothing in flight.</p>\n"
            return
        }
        html += """
            <table id="work-in-flight"><thead><tr><th>Kind</th><th>Host</th><th>Pool</th><th>Status</th><th>Count</th>\
            <th>Oldest waits</th><th>Size</th></tr></thead>
            <tbody>

            """
        for (kind, group) in rows {
            let age = group.oldestMicros.map { Format.age(outcome.nowMicros &- $0) } ?? "unknown"
            html += "<tr><td>\(kind.singular)</td><td>"
            html += HTML.escape(group.host.isEmpty ? "(none)" : group.host)
            html += "</td><td>"
            html += HTML.escape(group.pool)
            html += "</td><td>"
            html += HTML.escape(group.status)
            html += "</td><td class=\"num\">\(Format.grouped(group.count))</td><td class=\"num\">\(age)</td>"
            html += "<td class=\"num\">\(Format.grouped(Int64(group.sizeGiB.rounded()))) GiB</td></tr>\n"
        }
        html += "</tbody></table>\n"
    }
}
