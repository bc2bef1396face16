/// One live row of Cinder's `services` table, already decoded to the readings of
/// SPEC §1: NULL text is "", `disabled`/`frozen` NULL is false, timestamps are
/// `StoredTime`. Readers only return rows with `deleted = 0`.
public struct ServiceRow: Sendable, Equatable {
    public var id: Int64
    public var host: String
    public var binary: String
    public var topic: String
    public var zone: String
    public var cluster: String
    public var disabledReason: String
    public var replicationStatus: String
    public var activeBackendID: String
    public var rpcVersion: String
    public var objectVersion: String
    /// nil when the column holds NULL or something that is not a number.
    public var reportCount: Int64?
    public var disabled: Bool
    public var frozen: Bool
    public var createdAt: StoredTime
    public var updatedAt: StoredTime
    public var modifiedAt: StoredTime

    public init(
        id: Int64, host: String = "", binary: String = "", topic: String = "",
        zone: String = "", cluster: String = "", disabledReason: String = "",
        replicationStatus: String = "", activeBackendID: String = "",
        rpcVersion: String = "", objectVersion: String = "",
        reportCount: Int64? = 0, disabled: Bool = false, frozen: Bool = false,
        createdAt: StoredTime = .null, updatedAt: StoredTime = .null, modifiedAt: StoredTime = .null
    ) {
        self.id = id
        self.host = host
        self.binary = binary
        self.topic = topic
        self.zone = zone
        self.cluster = cluster
        self.disabledReason = disabledReason
        self.replicationStatus = replicationStatus
        self.activeBackendID = activeBackendID
        self.rpcVersion = rpcVersion
        self.objectVersion = objectVersion
        self.reportCount = reportCount
        self.disabled = disabled
        self.frozen = frozen
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.modifiedAt = modifiedAt
    }

    /// Cinder's `last = updated_at or created_at`; nil when the heartbeat cannot
    /// be known. An unparsable `updated_at` does not fall back to `created_at`.
    public var lastHeartbeat: Int64? { StoredTime.lastChange(updatedAt: updatedAt, createdAt: createdAt) }
}
