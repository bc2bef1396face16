/// A work collector's sample lines rendered once per refresh instead of once
/// per scrape: counts and sizes change only when the collector reads again,
/// and the oldest-age samples only need their value, computed from each
/// scrape's own clock. Immutable once made (hence `@unchecked Sendable`).
final class WorkSamples: @unchecked Sendable {
    /// Every `<count family>{…} N` line.
    let counts: OwnedBytes
    /// Every `<size family>{…} bytes` line.
    let sizes: OwnedBytes
    /// The label block of each group that gets an age, in group order.
    let agedBlocks: LabelBlocks
    /// The oldest last-change time (µs) of each of those groups.
    let agedOldestMicros: [Int64]

    init(kind: WorkKind, groups: [WorkGroup]) {
        var blocks = LabelBlocks(blocks: groups.count, bytesPerBlock: 64)
        var aged = LabelBlocks(blocks: groups.count, bytesPerBlock: 64)
        var agedOldest: [Int64] = []
        for group in groups {
            blocks.pair("host", group.host)
            if kind.hasPool { blocks.pair("pool", group.pool) }
            blocks.pair("status", group.status)
            blocks.finish()
            if group.isTransitional, let oldest = group.oldestMicros {
                aged.pair("host", group.host)
                if kind.hasPool { aged.pair("pool", group.pool) }
                aged.pair("status", group.status)
                aged.finish()
                agedOldest.append(oldest)
            }
        }
        // Gauges: the sample lines are the same in both exposition formats.
        var counts = ExpositionWriter(format: .text004, capacity: groups.count * 96 + 64)
        var sizes = ExpositionWriter(format: .text004, capacity: groups.count * 112 + 64)
        let countName = Array(kind.families.count.sampleName.utf8)
        let sizeName = Array(kind.families.size.sampleName.utf8)
        for index in groups.indices {
            counts.sample(countName, blocks, index, value: groups[index].count)
            sizes.sample(sizeName, blocks, index, value: groups[index].sizeBytes)
        }
        self.counts = counts.finish()
        self.sizes = sizes.finish()
        agedBlocks = aged
        agedOldestMicros = agedOldest
    }
}
