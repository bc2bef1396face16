"""Builds SQLite Cinder databases for the benchmark.

The schema is the exporter's demo schema (Ocata columns plus `uuid`, a newer
column that readers must tolerate). Rows look like a real cloud: schedulers
and backups on controllers, many volume backends on storage hosts, a few
services down, disabled (with a reason), clock-ahead, without updated_at, and
some soft-deleted rows that no exporter may show. Generation is seeded, so the
same size always gives the same rows (timestamps are relative to `now`).
"""

import datetime
import os
import random
import sqlite3
import uuid

# Keep in step with DemoDatabase.schema (Sources/CinderExporter/Demo/DemoDatabase.swift).
SCHEMA = """
CREATE TABLE IF NOT EXISTS services (
    created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted BOOLEAN,
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    host VARCHAR(255), `binary` VARCHAR(255), topic VARCHAR(255),
    report_count INTEGER NOT NULL, disabled BOOLEAN, availability_zone VARCHAR(255),
    disabled_reason VARCHAR(255), modified_at DATETIME,
    rpc_current_version VARCHAR(36), object_current_version VARCHAR(36),
    replication_status VARCHAR(36), frozen BOOLEAN, active_backend_id VARCHAR(255),
    cluster_name VARCHAR(255), uuid VARCHAR(36)
)
"""

# Cinder 29's volumes table (cinder/db/models.py), every column: the scan cost
# depends on the row's width. Keep in step with CinderSchema.swift.
VOLUMES_COLUMNS = """
    created_at {dt}, updated_at {dt}, deleted_at {dt}, deleted {b}, id varchar(36) NOT NULL PRIMARY KEY,
    _name_id varchar(36), use_quota {b} NOT NULL DEFAULT 1, ec2_id varchar(255), user_id varchar(255),
    project_id varchar(255), snapshot_id varchar(36), cluster_name varchar(255), host varchar(255),
    size {i}, availability_zone varchar(255), status varchar(255), attach_status varchar(255),
    migration_status varchar(255), scheduled_at {dt}, launched_at {dt}, terminated_at {dt},
    display_name varchar(255), display_description varchar(255), provider_location varchar(256),
    provider_auth varchar(256), provider_geometry varchar(255), provider_id varchar(255),
    volume_type_id varchar(36) NOT NULL, source_volid varchar(36), encryption_key_id varchar(36),
    consistencygroup_id varchar(36), group_id varchar(36), bootable {b}, multiattach {b},
    replication_status varchar(255), replication_extended_status varchar(255),
    replication_driver_data varchar(255), previous_status varchar(255), service_uuid varchar(36),
    shared_targets {b}
"""
SMALL_TABLES = """
CREATE TABLE snapshots (created_at {dt}, updated_at {dt}, deleted_at {dt}, deleted {b}, id varchar(36) NOT NULL PRIMARY KEY,
  volume_id varchar(36) NOT NULL, status varchar(255), volume_size {i}, project_id varchar(255), volume_type_id varchar(36) NOT NULL);
CREATE TABLE backups (created_at {dt}, updated_at {dt}, deleted_at {dt}, deleted {b}, id varchar(36) NOT NULL PRIMARY KEY,
  volume_id varchar(36) NOT NULL, host varchar(255), status varchar(255), size {i}, project_id varchar(255));
"""

# Most volumes are settled; a few are in flight; one in ten is soft-deleted.
# The expression picks a row's fields from its number n (1...N), in both dialects.
STATUS_CASE = ("CASE WHEN n % 10 = 0 THEN 'deleted' WHEN n % 97 = 0 THEN 'creating' WHEN n % 89 = 0 THEN 'deleting' "
               "WHEN n % 83 = 0 THEN 'attaching' WHEN n % 3 = 0 THEN 'in-use' ELSE 'available' END")


def fill_volumes_sql(count, mysql):
    host = "CONCAT('storage-', n % 50, '@lvm#pool-', n % 4)" if mysql else "'storage-' || (n % 50) || '@lvm#pool-' || (n % 4)"
    ident = "CONCAT('vol-', n)" if mysql else "'vol-' || n"
    stamp = ("DATE_SUB(UTC_TIMESTAMP(), INTERVAL (n % 100000) SECOND)" if mysql
             else "datetime('now', '-' || (n % 100000) || ' seconds')")
    source = f"seq_1_to_{count}" if mysql else f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s)"
    select_n = "seq AS n" if mysql else "n"
    return (f"INSERT INTO volumes (id, created_at, updated_at, deleted, host, size, status, project_id, volume_type_id, "
            f"display_name, availability_zone, attach_status, bootable, multiattach) "
            f"SELECT {ident}, {stamp}, {stamp}, CASE WHEN n % 10 = 0 THEN 1 ELSE 0 END, {host}, 1 + n % 500, "
            f"{STATUS_CASE}, 'project-1', 'type-1', 'a volume name of ordinary length', 'nova', 'detached', 0, 0 "
            f"FROM (SELECT {select_n} FROM {source} x) t")



BACKENDS = ["lvm", "ceph-ssd", "ceph-hdd", "netapp-nfs", "pure-iscsi", "nfs"]
ZONES = ["az1", "az2", "az3", "nova"]


def _stamp(moment, fraction=True):
    """SQLAlchemy's SQLite text form; some rows lose their fraction (MySQL-style)."""
    if fraction:
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _identity(index, count):
    """(host, binary, zone, cluster) for the index-th service of count."""
    controllers = max(1, count // 50)
    if index < controllers:
        return f"controller-{index:04d}", "cinder-scheduler", "nova", None
    if index < 2 * controllers:
        return f"controller-{index - controllers:04d}", "cinder-backup", "nova", None
    n = index - 2 * controllers
    backend = BACKENDS[n % len(BACKENDS)]
    host = f"storage-{n // len(BACKENDS):04d}@{backend}"
    zone = ZONES[(n // len(BACKENDS)) % 3]
    cluster = f"{backend}-cluster-{zone}@{backend}" if n % 3 == 0 else None
    return host, "cinder-volume", zone, cluster


def _row(rng, index, count, now):
    host, binary, zone, cluster = _identity(index, count)
    created = now - datetime.timedelta(days=rng.randint(30, 900), seconds=rng.randint(0, 86399))
    roll = rng.random()
    if roll < 0.05:  # down: stopped heartbeating minutes to days ago
        updated = now - datetime.timedelta(seconds=rng.randint(120, 3 * 86400))
    elif roll < 0.07:  # clock ahead of the controller: still up
        updated = now + datetime.timedelta(seconds=rng.uniform(1, 30))
    elif roll < 0.08:  # never heartbeated: created_at decides
        updated = None
    else:
        updated = now - datetime.timedelta(seconds=rng.uniform(0, 10))
    disabled = rng.random() < 0.03
    volume = binary == "cinder-volume"
    return (
        _stamp(created, fraction=False),
        None if updated is None else _stamp(updated, fraction=rng.random() < 0.9),
        None, 0, host, binary, binary,
        rng.randint(0, 10_000_000),
        1 if disabled else 0, zone,
        "maintenance: replacing \"disk\" 3" if disabled else None,
        _stamp(now - datetime.timedelta(hours=rng.randint(1, 500))) if disabled else None,
        "3.15", "1.38",
        ("enabled" if rng.random() < 0.1 else "disabled") if volume else None,
        0, None, cluster, str(uuid.UUID(int=rng.getrandbits(128))),
    )


def _deleted_row(rng, index, now):
    """A service Cinder soft-deleted: never exported."""
    moment = _stamp(now - datetime.timedelta(days=rng.randint(1, 400)))
    return (moment, moment, moment, 1, f"retired-{index:05d}@lvm", "cinder-volume", "cinder-volume",
            rng.randint(0, 1000), 0, "az1", None, None, "3.10", "1.30", "disabled", 0, None, None,
            str(uuid.UUID(int=rng.getrandbits(128))))


def generate(path, count, now=None, seed=6, volumes=0):
    """Writes a fresh database with `count` live services (plus 2% deleted ones)."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    rng = random.Random(seed)
    if os.path.exists(path):
        os.remove(path)
    rows = [_row(rng, i, count, now) for i in range(count)]
    rows += [_deleted_row(rng, i, now) for i in range(max(1, count // 50))]
    rng.shuffle(rows)  # ids not in label order, as after years of churn
    with sqlite3.connect(path) as db:
        db.execute(SCHEMA)
        db.executemany(
            "INSERT INTO services (created_at, updated_at, deleted_at, deleted, host, `binary`, topic,"
            " report_count, disabled, availability_zone, disabled_reason, modified_at,"
            " rpc_current_version, object_current_version, replication_status, frozen,"
            " active_backend_id, cluster_name, uuid)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows)
        # Cinder 29's work tables (the exporter's work collectors read them):
        # `volumes` rows in the given number, snapshots and backups empty.
        db.executescript(f"CREATE TABLE volumes ({VOLUMES_COLUMNS.format(dt='DATETIME', b='BOOLEAN', i='INTEGER')});"
                         "CREATE INDEX volumes_deleted_host_idx ON volumes (deleted, host);"
                         + SMALL_TABLES.format(dt="DATETIME", b="BOOLEAN", i="INTEGER"))
        if volumes:
            db.execute(fill_volumes_sql(volumes, mysql=False))
    db.close()
    return path


if __name__ == "__main__":
    import sys
    generate(sys.argv[1], int(sys.argv[2]))
