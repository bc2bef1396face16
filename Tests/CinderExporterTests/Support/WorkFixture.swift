@testable import CinderExporter
import Foundation

/// Rows of Cinder's volumes, snapshots and backups tables (Cinder 29 columns,
/// `CinderSchema`) with every odd case SPEC §9 names, written as SQL literals
/// so that SQLite and MariaDB hold the same bytes, and the exposition they
/// must give at `now` (worked out by hand below, not by the code under test).
enum WorkFixture {
    /// 2026-11-30 10:00:00 UTC.
    static let now: Int64 = 1_796_032_800 * 1_000_000
    static func at(_ secondsFromNow: Int64, from now: Int64 = now) -> String {
        TestDatabase.text(now + secondsFromNow * 1_000_000)
    }

    /// The rows, dated around `now` (the tests of ages against the real clock
    /// pass the real time, in whole seconds).
    static func statements(mysql: Bool, now: Int64 = now) -> [String] {
        func at(_ seconds: Int64) -> String { WorkFixture.at(seconds, from: now) }
        func text(_ value: String?) -> String {
            guard let value else { return "NULL" }
            let hex = Array(value.utf8).map { String(format: "%02x", $0) }.joined()
            return mysql ? "_utf8mb4 X'\(hex)'" : "CAST(X'\(hex)' AS TEXT)"
        }
        func time(_ value: String?) -> String { value.map { "'\($0)'" } ?? "NULL" }
        func number(_ value: Int64?) -> String { value.map(String.init) ?? "NULL" }
        var sql: [String] = mysql ? ["SET SESSION sql_mode = ''"] : []
        // (id, host, status, size, deleted, created_at, updated_at)
        let volumes: [(String, String?, String?, Int64?, Int64?, String?, String?)] = [
            ("v-a", "node1@lvm#pool-a", "creating", 10, 0, at(-600), nil),
            ("v-b", "node1@lvm#pool-a", "creating", 20, 0, at(-900), at(-100)),
            // Neither time known: counted, sets no age.
            ("v-c", "node1@lvm#pool-a", "creating", nil, 0, nil, nil),
            // A zero updated_at is unknown and does not fall back to created_at.
            ("v-c2", "node1@lvm#pool-a", "creating", 1, 0, at(-99_999), "0000-00-00 00:00:00"),
            // Never scheduled (NULL host) and '' host: one group.
            ("v-d", nil, "creating", 1, 0, at(-50), nil),
            ("v-e", "", "creating", 2, 0, at(-70), nil),
            // No pool, and an empty pool: one group; one clock ahead of ours.
            ("v-f", "node1@lvm", "deleting", 5, 0, at(-3_000), at(30)),
            ("v-g", "node1@lvm#", "deleting", 1, 0, at(-40), nil),
            // Another status to Prometheus, and not transitional.
            ("v-h", "node1@lvm#pool-a", "CREATING", 3, 0, at(-5_000), nil),
            ("v-i", "node2@ceph#rbd", nil, 4, 0, at(-10), nil),
            ("v-j", "node2@ceph#rbd", "error_deleting", 6, 0, at(-7_000), nil),
            ("v-m", "node2@ceph#rbd", "available", 100, 0, at(-8_000), at(-8_000)),
            // Not live.
            ("v-k", "node1@lvm#pool-b", "deleting", 7, 1, at(-9_000), at(-9_000)),
            ("v-l", "node1@lvm#pool-b", "deleting", 8, nil, at(-9_000), nil),
        ]
        for v in volumes {
            sql.append("INSERT INTO volumes (id, host, status, size, deleted, created_at, updated_at, volume_type_id, project_id) "
                + "VALUES (\(text(v.0)), \(text(v.1)), \(text(v.2)), \(number(v.3)), \(number(v.4)), \(time(v.5)), \(time(v.6)), 'type-1', 'proj-1')")
        }
        // (id, volume_id, status, volume_size, deleted, created_at, updated_at)
        let snapshots: [(String, String, String?, Int64?, Int64?, String?, String?)] = [
            ("s-1", "v-a", "creating", 10, 0, at(-300), nil),
            // Its volume is soft-deleted: host and pool still come from it.
            ("s-2", "v-k", "deleting", 1, 0, at(-400), at(-200)),
            // No volume row with that id.
            ("s-3", "missing", "available", nil, 0, at(-500), nil),
            ("s-4", "v-a", "deleting", 1, 1, at(-600), nil),
        ]
        for s in snapshots {
            sql.append("INSERT INTO snapshots (id, volume_id, status, volume_size, deleted, created_at, updated_at, volume_type_id, project_id) "
                + "VALUES (\(text(s.0)), \(text(s.1)), \(text(s.2)), \(number(s.3)), \(number(s.4)), \(time(s.5)), \(time(s.6)), 'type-1', 'proj-2')")
        }
        // (id, host, status, size, deleted, created_at, updated_at)
        let backups: [(String, String?, String?, Int64?, Int64?, String?, String?)] = [
            ("b-1", "backup-1", "creating", 10, 0, at(-200), nil),
            ("b-2", nil, "restoring", nil, 0, at(-250), at(-120)),
            ("b-3", "backup-1", "available", 5, 0, at(-3_600), nil),
            ("b-4", "backup-1", "creating", 5, 1, at(-3_600), nil),
        ]
        for b in backups {
            sql.append("INSERT INTO backups (id, host, status, size, deleted, created_at, updated_at, volume_id, project_id) "
                + "VALUES (\(text(b.0)), \(text(b.1)), \(text(b.2)), \(number(b.3)), \(number(b.4)), \(time(b.5)), \(time(b.6)), 'v-a', 'proj-3')")
        }
        return sql
    }

    static let gib: Int64 = 1 << 30

    /// The work families at `now`, by hand: counts, sizes (GiB × 2^30) and the
    /// oldest ages of transitional groups, sorted by host, pool, status bytes.
    static let expected = """
        # HELP cinder_volumes Live volumes (deleted = 0) by backend host, pool and status.
        # TYPE cinder_volumes gauge
        cinder_volumes{host="",pool="",status="creating"} 2
        cinder_volumes{host="node1@lvm",pool="",status="deleting"} 2
        cinder_volumes{host="node1@lvm",pool="pool-a",status="CREATING"} 1
        cinder_volumes{host="node1@lvm",pool="pool-a",status="creating"} 4
        cinder_volumes{host="node2@ceph",pool="rbd",status=""} 1
        cinder_volumes{host="node2@ceph",pool="rbd",status="available"} 1
        cinder_volumes{host="node2@ceph",pool="rbd",status="error_deleting"} 1
        # HELP cinder_volumes_size_bytes Allocated size of those volumes (size GiB x 2^30).
        # TYPE cinder_volumes_size_bytes gauge
        cinder_volumes_size_bytes{host="",pool="",status="creating"} \(3 * gib)
        cinder_volumes_size_bytes{host="node1@lvm",pool="",status="deleting"} \(6 * gib)
        cinder_volumes_size_bytes{host="node1@lvm",pool="pool-a",status="CREATING"} \(3 * gib)
        cinder_volumes_size_bytes{host="node1@lvm",pool="pool-a",status="creating"} \(31 * gib)
        cinder_volumes_size_bytes{host="node2@ceph",pool="rbd",status=""} \(4 * gib)
        cinder_volumes_size_bytes{host="node2@ceph",pool="rbd",status="available"} \(100 * gib)
        cinder_volumes_size_bytes{host="node2@ceph",pool="rbd",status="error_deleting"} \(6 * gib)
        # HELP cinder_volumes_oldest_age_seconds Seconds since the oldest volume of a transitional status last changed (updated_at, else created_at).
        # TYPE cinder_volumes_oldest_age_seconds gauge
        cinder_volumes_oldest_age_seconds{host="",pool="",status="creating"} 70.0
        cinder_volumes_oldest_age_seconds{host="node1@lvm",pool="",status="deleting"} 40.0
        cinder_volumes_oldest_age_seconds{host="node1@lvm",pool="pool-a",status="creating"} 600.0
        # HELP cinder_snapshots Live snapshots by their volume's backend host, pool and status.
        # TYPE cinder_snapshots gauge
        cinder_snapshots{host="",pool="",status="available"} 1
        cinder_snapshots{host="node1@lvm",pool="pool-a",status="creating"} 1
        cinder_snapshots{host="node1@lvm",pool="pool-b",status="deleting"} 1
        # HELP cinder_snapshots_size_bytes Size of those snapshots (volume_size GiB x 2^30).
        # TYPE cinder_snapshots_size_bytes gauge
        cinder_snapshots_size_bytes{host="",pool="",status="available"} 0
        cinder_snapshots_size_bytes{host="node1@lvm",pool="pool-a",status="creating"} \(10 * gib)
        cinder_snapshots_size_bytes{host="node1@lvm",pool="pool-b",status="deleting"} \(1 * gib)
        # HELP cinder_snapshots_oldest_age_seconds Seconds since the oldest snapshot of a transitional status last changed (updated_at, else created_at).
        # TYPE cinder_snapshots_oldest_age_seconds gauge
        cinder_snapshots_oldest_age_seconds{host="node1@lvm",pool="pool-a",status="creating"} 300.0
        cinder_snapshots_oldest_age_seconds{host="node1@lvm",pool="pool-b",status="deleting"} 200.0
        # HELP cinder_backups Live backups by backup host and status.
        # TYPE cinder_backups gauge
        cinder_backups{host="",status="restoring"} 1
        cinder_backups{host="backup-1",status="available"} 1
        cinder_backups{host="backup-1",status="creating"} 1
        # HELP cinder_backups_size_bytes Size of those backups (size GiB x 2^30).
        # TYPE cinder_backups_size_bytes gauge
        cinder_backups_size_bytes{host="",status="restoring"} 0
        cinder_backups_size_bytes{host="backup-1",status="available"} \(5 * gib)
        cinder_backups_size_bytes{host="backup-1",status="creating"} \(10 * gib)
        # HELP cinder_backups_oldest_age_seconds Seconds since the oldest backup of a transitional status last changed (updated_at, else created_at).
        # TYPE cinder_backups_oldest_age_seconds gauge
        cinder_backups_oldest_age_seconds{host="",status="restoring"} 120.0
        cinder_backups_oldest_age_seconds{host="backup-1",status="creating"} 200.0

        """

    /// The families a work reader's figures render at `now`.
    static func render(_ reader: any WorkReader) throws -> String {
        var reports: [CollectorReport] = []
        for kind in WorkKind.allCases {
            let figures = WorkFigures(kind: kind, rows: try reader.readGroups(kind))
            reports.append(CollectorReport(kind: kind, success: true, durationSeconds: 0, figures: figures, readStartedMicros: now))
        }
        var writer = ExpositionWriter(format: .text004)
        ExpositionRenderer.renderWork(reports, nowMicros: now, into: &writer)
        return String(decoding: writer.finish().array, as: UTF8.self)
    }
}
