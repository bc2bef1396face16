/// What a snapshot's series look like apart from their values: the rows'
/// order by label bytes, which rows share a label set, which row each label
/// set keeps, and every label block escaped once. Cinder rewrites each
/// service's heartbeat every few seconds and its names almost never, so a
/// read whose rows carry the same labels in the same places reuses the last
/// layout: no sort, no escaping, and the info family is one copy.
///
/// Immutable once made, and shared between the snapshots of successive reads
/// (hence `@unchecked Sendable`: its byte buffers are never written after init).
final class SeriesLayout: @unchecked Sendable {
    /// Row positions sorted by label bytes (binary, host, zone, cluster), input
    /// order within a label set.
    let order: [Int]
    /// The end (in `order`) of each run of rows with equal label sets.
    let runEnds: [Int]
    /// The position of the row each label set keeps, in series order.
    let kept: [Int]
    /// For each row position, its service's index in `kept`, or -1 for a
    /// dropped duplicate: lets the renderer gather values in row order.
    let serviceIndexOfRow: [Int32]
    /// `{host="…",binary="…",zone="…",cluster="…"}` of each kept row.
    let blocks: LabelBlocks
    /// The whole `cinder_service_info` family body: one line per kept row.
    let infoLines: OwnedBytes

    /// The layout for `rows`. `earlier` is the layout of an earlier read whose
    /// rows carried the same labels in the same places (the reader says when
    /// they did), or nil: it is itself the answer when the same rows are
    /// kept, else its sort is reused (as when a duplicate's heartbeat
    /// overtook another's). Also the positions of the rows dropped as
    /// duplicates, in the order a row-by-row pass drops them. A layout keeps
    /// no rows: one reused for hours must not hold its first read's rows.
    static func make(for rows: [ServiceRow], reusing earlier: SeriesLayout?) -> (layout: SeriesLayout, dropped: [Int]) {
        let (order, runEnds) = earlier.map { ($0.order, $0.runEnds) } ?? group(rows)
        // Without duplicates every label set keeps its only row.
        let (kept, dropped) = runEnds.count == rows.count ? (order, []) : choose(rows, order: order, runEnds: runEnds)
        if let earlier, kept == earlier.kept { return (earlier, dropped) }
        return (SeriesLayout(rows: rows, order: order, runEnds: runEnds, kept: kept), dropped)
    }

    private init(rows: [ServiceRow], order: [Int], runEnds: [Int], kept: [Int]) {
        self.order = order
        self.runEnds = runEnds
        self.kept = kept
        var serviceIndexOfRow = [Int32](repeating: -1, count: rows.count)
        for (index, position) in kept.enumerated() { serviceIndexOfRow[position] = Int32(index) }
        self.serviceIndexOfRow = serviceIndexOfRow
        var blocks = LabelBlocks(blocks: kept.count, bytesPerBlock: 96)
        var info = ExpositionWriter(format: .text004, capacity: kept.count * 320 + 64)
        let name = Array(Metrics.serviceInfo.sampleName.utf8)
        for (index, position) in kept.enumerated() {
            let row = rows[position]
            blocks.pair("host", row.host)
            blocks.pair("binary", row.binary)
            blocks.pair("zone", row.zone)
            blocks.pair("cluster", row.cluster)
            blocks.finish()
            info.startExtendedSample(name, blocks, index)
            info.extraLabel("topic", row.topic)
            info.extraLabel("disabled_reason", row.disabledReason)
            info.extraLabel("replication_status", row.replicationStatus)
            info.extraLabel("active_backend_id", row.activeBackendID)
            info.extraLabel("frozen", row.frozen ? "true" : "false")
            info.extraLabel("rpc_version", row.rpcVersion)
            info.extraLabel("object_version", row.objectVersion)
            info.finishExtendedSample(value: 1)
        }
        self.blocks = blocks
        infoLines = info.finish()
    }

    /// Sorts positions by label bytes (input order within a label set) and
    /// finds the runs of equal label sets.
    private static func group(_ rows: [ServiceRow]) -> (order: [Int], runEnds: [Int]) {
        let keys = SortKeys(rows)
        var order = Array(rows.indices)
        order.sort { a, b in
            let c = keys.compare(a, b)
            return c != 0 ? c < 0 : a < b
        }
        var runEnds: [Int] = []
        runEnds.reserveCapacity(rows.count)
        if !order.isEmpty {
            for end in 1..<order.count where keys.compare(order[end], order[end - 1]) != 0 { runEnds.append(end) }
            runEnds.append(order.count)
        }
        return (order, runEnds)
    }

    /// Keeps the preferred row of each run (SPEC §2); the others are dropped,
    /// listed in the order a row-by-row pass over `rows` drops them.
    private static func choose(_ rows: [ServiceRow], order: [Int], runEnds: [Int]) -> (kept: [Int], dropped: [Int]) {
        var kept: [Int] = []
        kept.reserveCapacity(runEnds.count)
        // (position of the row whose arrival dropped it, dropped position)
        var drops: [(Int, Int)] = []
        var start = 0
        for end in runEnds {
            var best = order[start]
            for next in order[(start + 1)..<end] {
                if ServiceSnapshot.isPreferred(rows[next], over: rows[best]) {
                    drops.append((next, best))
                    best = next
                } else {
                    drops.append((next, next))
                }
            }
            kept.append(best)
            start = end
        }
        drops.sort { $0.0 < $1.0 }
        return (kept, drops.map(\.1))
    }
}
