/// Cinder's up/down rule (cinder/api/contrib/services.py, `index`), in whole
/// microseconds: up when |now − last| ≤ service_down_time, exactly-at included.
public struct ServiceState: Sendable, Equatable {
    public let row: ServiceRow
    /// `now − last` in microseconds, signed; nil when the heartbeat is unknown.
    public let heartbeatAgeMicros: Int64?
    public let isUp: Bool

    public init(row: ServiceRow, nowMicros: Int64, downTimeMicros: Int64) {
        self.row = row
        heartbeatAgeMicros = row.lastHeartbeat.map { nowMicros - $0 }
        isUp = Self.isUp(heartbeatAgeMicros: heartbeatAgeMicros, downTimeMicros: downTimeMicros)
    }

    /// The rule itself: an unknown heartbeat is down.
    @inline(__always)
    static func isUp(heartbeatAgeMicros age: Int64?, downTimeMicros: Int64) -> Bool {
        guard let age else { return false }
        return age.magnitude <= downTimeMicros.magnitude && downTimeMicros >= 0
    }

    /// The `Updated_at` that `cinder service-list` displays: `modified_at` when it
    /// is at least as close to now as `last`, else the stored `updated_at`.
    public func displayedUpdatedAt(nowMicros: Int64) -> Int64? {
        var shown: Int64? = nil
        if case .micros(let updated) = row.updatedAt { shown = updated }
        if case .micros(let modified) = row.modifiedAt {
            // An unknown heartbeat is farther from now than any modified_at.
            if let age = heartbeatAgeMicros, age.magnitude < (nowMicros - modified).magnitude {
                return shown
            }
            shown = modified
        }
        return shown
    }
}
