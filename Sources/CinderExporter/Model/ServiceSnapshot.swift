#if canImport(Glibc)
import Glibc
#endif

/// Every live row evaluated at one instant, reduced to one service per label set
/// (SPEC §2: keep the newest heartbeat, then the highest id) and sorted.
public struct ServiceSnapshot: Sendable {
    public let nowMicros: Int64
    public let downTimeMicros: Int64
    /// Every live row of the read, in the order the database returned them.
    let rows: [ServiceRow]
    /// One state per label set, sorted by binary, host, zone, cluster. Made
    /// on each access: the renderer reads `rows` in place instead.
    public var services: [ServiceState] {
        layout.kept.map { ServiceState(row: rows[$0], nowMicros: nowMicros, downTimeMicros: downTimeMicros) }
    }
    public var serviceCount: Int { layout.kept.count }
    /// The rows behind services that match `predicate`, in service order.
    /// Rows are tested in place: copying each one would retain and release
    /// its eleven strings.
    func keptRows(where predicate: (borrowing ServiceRow) -> Bool) -> [ServiceRow] {
        rows.withUnsafeBufferPointer { rows in
            layout.kept.compactMap { predicate(rows[$0]) ? rows[$0] : nil }
        }
    }
    /// Rows dropped because another row had the same label set, in the order a
    /// row-by-row pass over `rows` drops them.
    public let droppedDuplicates: [ServiceRow]

    /// The series' order and escaped labels (see `SeriesLayout`).
    let layout: SeriesLayout

    public init(rows: [ServiceRow], nowMicros: Int64, downTimeMicros: Int64) {
        self.init(rows: rows, nowMicros: nowMicros, downTimeMicros: downTimeMicros, reusing: nil)
    }

    /// `earlier` is the layout of an earlier read of the same table whose
    /// rows carried the same labels in the same places: it is reused.
    init(rows: [ServiceRow], nowMicros: Int64, downTimeMicros: Int64, reusing earlier: SeriesLayout?) {
        self.nowMicros = nowMicros
        self.downTimeMicros = downTimeMicros
        // Label sets are equal when their UTF-8 bytes are: that is what makes
        // two series one to Prometheus. Swift's `==` (canonical equivalence)
        // would merge "café" precomposed and decomposed and drop a live
        // service as a duplicate. Sorting by bytes puts duplicates side by side.
        let (layout, dropped) = SeriesLayout.make(for: rows, reusing: earlier)
        self.layout = layout
        self.rows = rows
        droppedDuplicates = dropped.map { rows[$0] }
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

/// The label sets of all rows (binary, host, zone, cluster) copied once into
/// one byte buffer, so that the n·log n comparisons of the sort are memcmp's
/// of slices instead of String accesses. Immutable after init (`let` storage:
/// no exclusivity checks in the comparator).
final class SortKeys {
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Field `f` of row `r` is bytes[bounds[4r + f] ..< bounds[4r + f + 1]].
    private let bounds: UnsafeMutablePointer<Int>

    init(_ rows: [ServiceRow]) {
        var total = 0
        for row in rows {
            total += row.binary.utf8.count + row.host.utf8.count + row.zone.utf8.count + row.cluster.utf8.count
        }
        bytes = .allocate(capacity: max(total, 1))
        bounds = .allocate(capacity: rows.count * 4 + 1)
        bounds[0] = 0
        var field = 0
        for row in rows {
            field = copy(row.binary, field)
            field = copy(row.host, field)
            field = copy(row.zone, field)
            field = copy(row.cluster, field)
        }
    }

    deinit {
        bytes.deallocate()
        bounds.deallocate()
    }

    /// Appends `text` as field number `field`; returns the next field number.
    private func copy(_ text: String, _ field: Int) -> Int {
        let start = bounds[field]
        var end = start
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { source in
            if let from = source.baseAddress { (bytes + start).initialize(from: from, count: source.count) }
            end += source.count
        }
        if copied == nil {
            for byte in text.utf8 {
                bytes[end] = byte
                end += 1
            }
        }
        bounds[field + 1] = end
        return field + 1
    }

    /// memcmp-style order of rows `a` and `b`: negative, zero or positive.
    func compare(_ a: Int, _ b: Int) -> Int {
        for field in 0..<4 {
            let x = bounds[4 * a + field], m = bounds[4 * a + field + 1] - x
            let y = bounds[4 * b + field], n = bounds[4 * b + field + 1] - y
            let common = min(m, n)
            if common > 0 {
                let c = memcmp(bytes + x, bytes + y, common)
                if c != 0 { return Int(c) }
            }
            if m != n { return m - n }
        }
        return 0
    }
}
