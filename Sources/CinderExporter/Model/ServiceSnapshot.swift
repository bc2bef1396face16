/// The four labels that identify one service's series.
public struct ServiceLabels: Hashable, Sendable, Comparable {
    public let host: String
    public let binary: String
    public let zone: String
    public let cluster: String

    public init(_ row: ServiceRow) {
        host = row.host
        binary = row.binary
        zone = row.zone
        cluster = row.cluster
    }

    public static func < (a: ServiceLabels, b: ServiceLabels) -> Bool {
        // Byte order, so output order does not depend on locale or normalisation.
        for (x, y) in [(a.binary, b.binary), (a.host, b.host), (a.zone, b.zone), (a.cluster, b.cluster)] where x != y {
            return x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        return false
    }
}

/// Every live row evaluated at one instant, reduced to one service per label set
/// (SPEC §2: keep the newest heartbeat, then the highest id) and sorted.
public struct ServiceSnapshot: Sendable {
    public let nowMicros: Int64
    public let downTimeMicros: Int64
    /// One state per label set, sorted by binary, host, zone, cluster.
    public let services: [ServiceState]
    /// Rows dropped because another row had the same label set.
    public let droppedDuplicates: [ServiceRow]

    public init(rows: [ServiceRow], nowMicros: Int64, downTimeMicros: Int64) {
        self.nowMicros = nowMicros
        self.downTimeMicros = downTimeMicros
        var kept: [ServiceLabels: ServiceState] = [:]
        kept.reserveCapacity(rows.count)
        var dropped: [ServiceRow] = []
        for row in rows {
            let state = ServiceState(row: row, nowMicros: nowMicros, downTimeMicros: downTimeMicros)
            let key = ServiceLabels(row)
            if let existing = kept[key] {
                if Self.isPreferred(state.row, over: existing.row) {
                    kept[key] = state
                    dropped.append(existing.row)
                } else {
                    dropped.append(row)
                }
            } else {
                kept[key] = state
            }
        }
        services = kept.sorted { $0.key < $1.key }.map(\.value)
        droppedDuplicates = dropped
    }

    /// Newest known heartbeat wins; an unknown heartbeat loses to a known one;
    /// on a tie, or when both are unknown, the highest id wins.
    static func isPreferred(_ a: ServiceRow, over b: ServiceRow) -> Bool {
        switch (a.lastHeartbeat, b.lastHeartbeat) {
        case let (x?, y?) where x != y: return x > y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a.id > b.id
        }
    }
}
