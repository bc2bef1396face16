/// The demo's work in flight (SPEC §9): volumes that move through Cinder's
/// statuses one step per heartbeat round, a snapshot and a backup, and one
/// volume stuck in `deleting` on storage-1@lvm, a host that keeps heartbeating:
/// the condition only a database reader can see.
enum DemoWork {
    /// A volume's life as the demo plays it; after `deleting` the row is
    /// soft-deleted (as Cinder's `destroy()` does) and a new volume is created.
    static let lifecycle = ["creating", "available", "attaching", "in-use", "detaching", "deleting"]

    static let stuckVolumeID = "00000000-dead-4000-8000-000000000001"
    /// How long ago the stuck volume last changed when the demo starts: it
    /// crosses the alerts' one-hour threshold for `deleting` three minutes in,
    /// so a newcomer sees CinderServiceUpButWorkStuck's condition appear.
    static let stuckForSeconds: Int64 = 57 * 60

    static func create(_ connection: SQLiteConnection, nowMicros: Int64) throws(DatabaseError) {
        let now = DemoDatabase.text(nowMicros)
        let stuck = DemoDatabase.text(nowMicros - stuckForSeconds * 1_000_000)
        // A demo database made earlier starts afresh, as its services do.
        try connection.execute("DELETE FROM volumes; DELETE FROM snapshots; DELETE FROM backups")
        try connection.execute("""
            INSERT INTO volumes (id, created_at, updated_at, deleted, host, size, status, project_id, volume_type_id, display_name)
            VALUES ('\(stuckVolumeID)', '\(stuck)', '\(stuck)', 0, 'storage-1@lvm#pool-1', 40, 'deleting', 'demo-project', 'lvm', 'stuck-deleting'),
                   ('00000000-0000-4000-8000-000000000002', '\(now)', '\(now)', 0, 'storage-1@lvm#pool-1', 100, 'in-use', 'demo-project', 'lvm', 'database'),
                   ('00000000-0000-4000-8000-000000000003', '\(now)', '\(now)', 0, 'storage-2@ceph#rbd', 500, 'available', 'demo-project', 'ceph', 'archive'),
                   ('00000000-0000-4000-8000-000000000004', '\(now)', NULL, 0, NULL, 10, 'creating', 'demo-project', 'lvm', 'unscheduled');
            INSERT INTO snapshots (id, created_at, updated_at, deleted, volume_id, status, volume_size, project_id, volume_type_id)
            VALUES ('00000000-0000-4000-8000-000000000101', '\(now)', '\(now)', 0, '00000000-0000-4000-8000-000000000002',
                    'available', 100, 'demo-project', 'lvm');
            INSERT INTO backups (id, created_at, updated_at, deleted, volume_id, host, status, size, project_id)
            VALUES ('00000000-0000-4000-8000-000000000201', '\(now)', '\(now)', 0, '00000000-0000-4000-8000-000000000002',
                    'controller-1', 'available', 100, 'demo-project');
            """)
        for (index, host) in ["storage-1@lvm#pool-1", "storage-1@lvm#pool-2", "storage-2@ceph#rbd", "storage-1@lvm#pool-1"].enumerated() {
            try insertCycling(connection, number: index, host: host, status: lifecycle[index % lifecycle.count], now: now)
        }
    }

    /// One step of one volume: the cycling volume that changed longest ago, on
    /// a backend whose service still runs, moves on to its next status.
    static func step(_ connection: SQLiteConnection, nowMicros: Int64, stoppedHosts: [String]) throws(DatabaseError) {
        let now = DemoDatabase.text(nowMicros)
        let pick = try connection.prepare("""
            SELECT id, host, status FROM volumes WHERE deleted = 0 AND display_name = 'cycling'
            ORDER BY updated_at, id
            """)
        var chosen: (id: String, host: String, status: String)?
        try pick.run { row throws(DatabaseError) in
            let host = row.text(1)
            if chosen == nil, !stoppedHosts.contains(where: { host.hasPrefix($0 + "#") }) {
                chosen = (row.text(0), host, row.text(2))
            }
        }
        guard let chosen else { return }
        let next = lifecycle.firstIndex(of: chosen.status).map { $0 + 1 } ?? 0
        if next < lifecycle.count {
            let update = try connection.prepare("UPDATE volumes SET status = ?, updated_at = ? WHERE id = ?")
            try update.bind([.text(lifecycle[next]), .text(now), .text(chosen.id)])
            try update.run { _ throws(DatabaseError) in }
        } else {
            let destroy = try connection.prepare(
                "UPDATE volumes SET deleted = 1, deleted_at = ?, status = 'deleted', updated_at = ? WHERE id = ?")
            try destroy.bind([.text(now), .text(now), .text(chosen.id)])
            try destroy.run { _ throws(DatabaseError) in }
            var count: Int64 = 0
            try connection.prepare("SELECT COUNT(*) FROM volumes").run { row throws(DatabaseError) in count = row.int64(0) }
            try insertCycling(connection, number: Int(count), host: chosen.host, status: lifecycle[0], now: now)
        }
    }

    private static func insertCycling(_ connection: SQLiteConnection, number: Int, host: String, status: String,
                                      now: String) throws(DatabaseError) {
        let insert = try connection.prepare("""
            INSERT INTO volumes (id, created_at, updated_at, deleted, host, size, status, project_id, volume_type_id, display_name)
            VALUES (?, ?, ?, 0, ?, ?, ?, 'demo-project', 'lvm', 'cycling')
            """)
        let digits = String(1_000 + number)
        let id = "00000000-0000-4000-9000-" + String(repeating: "0", count: 12 - digits.count) + digits
        try insert.bind([.text(id), .text(now), .text(now), .text(host), .integer(Int64(10 * (number % 5 + 1))), .text(status)])
        try insert.run { _ throws(DatabaseError) in }
    }
}
