/// One row of a work table's aggregate query: the raw host and status (NULL
/// read as ""), how many live rows share them, their size in GiB (NULL counts
/// 0) and the oldest known `updated_at, else created_at` among those of them
/// in a transitional status (only those get an age).
public struct WorkGroupRow: Sendable, Equatable {
    public var host: String
    public var status: String
    public var count: Int64
    public var sizeGiB: Double
    /// `.null` when no row of the group has a knowable time.
    public var oldest: StoredTime

    public init(host: String, status: String, count: Int64, sizeGiB: Double, oldest: StoredTime) {
        self.host = host
        self.status = status
        self.count = count
        self.sizeGiB = sizeGiB
        self.oldest = oldest
    }
}

/// One exported label set of a work family and its figures.
public struct WorkGroup: Sendable, Equatable {
    public let host: String
    public let pool: String
    public let status: String
    public let count: Int64
    public let sizeGiB: Double
    /// The oldest last-change time (µs since the epoch) of the group; nil when
    /// none is known. The age is computed when served, from the scrape's clock.
    public let oldestMicros: Int64?
    public let isTransitional: Bool

    public var sizeBytes: Double { sizeGiB * 1_073_741_824 }
}

/// Splits Cinder's `host@backend#pool` as `volume_utils.extract_host` does:
/// the backend is everything before the first `#`; the pool is what follows
/// it when there is exactly one `#`, else none.
public enum VolumeHost {
    public static func split(_ raw: String) -> (host: String, pool: String) {
        let parts = raw.utf8.split(separator: UInt8(ascii: "#"), maxSplits: .max, omittingEmptySubsequences: false)
        guard parts.count > 1 else { return (raw, "") }
        let host = String(decoding: parts[0], as: UTF8.self)
        return (host, parts.count == 2 ? String(decoding: parts[1], as: UTF8.self) : "")
    }
}

/// A work table reduced to its exported groups (SPEC §9): raw groups mapped to
/// labels, then merged by label bytes, so that values the database grouped
/// apart (NULL and '', `H@B` and `H@B#`) or together (a case-insensitive
/// collation is undone by grouping on binary values) come out once each.
public struct WorkFigures: Sendable, Equatable {
    public let kind: WorkKind
    /// Sorted by host, pool, status bytes.
    public let groups: [WorkGroup]
    /// The groups' sample lines, rendered once.
    let samples: WorkSamples

    public static func == (a: WorkFigures, b: WorkFigures) -> Bool {
        a.kind == b.kind && a.groups == b.groups
    }

    public init(kind: WorkKind, rows: [WorkGroupRow]) {
        self.kind = kind
        struct Key: Hashable { let host: [UInt8], pool: [UInt8], status: [UInt8] }
        var merged: [Key: (host: String, pool: String, status: String, count: Int64, size: Double, oldest: Int64?)] = [:]
        for row in rows {
            let (host, pool) = kind.hasPool ? VolumeHost.split(row.host) : (row.host, "")
            let key = Key(host: Array(host.utf8), pool: Array(pool.utf8), status: Array(row.status.utf8))
            var oldest: Int64?
            if case .micros(let micros) = row.oldest { oldest = micros }
            if let existing = merged[key] {
                let earliest = [existing.oldest, oldest].compactMap { $0 }.min()
                merged[key] = (host, pool, row.status, existing.count + row.count, existing.size + row.sizeGiB, earliest)
            } else {
                merged[key] = (host, pool, row.status, row.count, row.sizeGiB, oldest)
            }
        }
        groups = merged.sorted { a, b in
            if a.key.host != b.key.host { return a.key.host.lexicographicallyPrecedes(b.key.host) }
            if a.key.pool != b.key.pool { return a.key.pool.lexicographicallyPrecedes(b.key.pool) }
            return a.key.status.lexicographicallyPrecedes(b.key.status)
        }.map { _, value in
            WorkGroup(host: value.host, pool: value.pool, status: value.status, count: value.count,
                      sizeGiB: value.size, oldestMicros: value.oldest,
                      isTransitional: kind.isTransitional(value.status))
        }
        samples = WorkSamples(kind: kind, groups: groups)
    }
}
