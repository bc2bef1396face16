#!/usr/bin/env python3
"""Work-in-flight benchmark (SPEC §9, issue 11): does reading a huge volumes
table slow the services scrape?

For each backend (SQLite, MariaDB) and volumes-table size, the same exporter
binary serves the same 1,000-service database twice, interleaved three times:
with the work collectors off (--no-collector.*) and on (--collector.interval
5s, so every measuring window holds several refreshes). One keep-alive client
scrapes /metrics back to back; we report the services scrape's median and p99
and the slowest scrape, the ratio on/off of the medians (the median of three
interleaved ratios), each aggregate's query time (the exporter's own
cinder_exporter_collector_duration_seconds), the exporter's CPU per refresh,
and peak RSS. Goal: median on/off <= 1.2 at 1,000,000 rows, no scrape waiting
on an aggregate (the slowest "on" scrape far below one aggregate's time).
bench/run.sh --work builds the release binary and calls this.
"""

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402
import gendb  # noqa: E402

VOLUMES_COLUMNS, SMALL_TABLES, fill_sql = gendb.VOLUMES_COLUMNS, gendb.SMALL_TABLES, gendb.fill_volumes_sql


class MariaDB:
    """A throwaway mariadbd in a temporary folder (as the tests start one)."""

    def __init__(self, workdir):
        self.dir = Path(workdir) / "mariadb"
        self.data, self.sock = self.dir / "data", self.dir / "sock"
        self.dir.mkdir()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        user = os.environ.get("USER") or "root"
        subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={self.data}", "--auth-root-authentication-method=normal",
                        f"--user={user}", "--skip-test-db"], check=True, capture_output=True)
        mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        self.proc = subprocess.Popen([mariadbd, "--no-defaults", f"--datadir={self.data}", f"--socket={self.sock}",
                                      f"--port={self.port}", "--bind-address=127.0.0.1", f"--user={user}",
                                      f"--pid-file={self.dir}/pid", "--innodb-buffer-pool-size=1G"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            if self.sock.exists() and self.sql("SELECT 1").strip() == "1":
                return
            time.sleep(0.1)
        raise RuntimeError("mariadbd did not start")

    def sql(self, text, database=None):
        argv = ["mariadb", "--no-defaults", "--protocol=socket", f"--socket={self.sock}", "--user=root", "--batch",
                "--skip-column-names"] + ([database] if database else [])
        result = subprocess.run(argv, input=text, capture_output=True, text=True)
        return result.stdout if result.returncode == 0 else ""

    def url(self):
        return f"mysql://root@127.0.0.1:{self.port}/cinder"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def build_sqlite(path, volumes):
    gendb.generate(str(path), 1000, volumes=volumes)


def build_mariadb(server, sqlite_path, volumes):
    """The services rows of the SQLite file, and the same volumes, in MariaDB."""
    db = sqlite3.connect(sqlite_path)
    columns = [row[1] for row in db.execute("PRAGMA table_info(services)")]
    rows = db.execute("SELECT " + ", ".join(f"`{c}`" for c in columns) + " FROM services").fetchall()
    db.close()

    def literal(value):
        if value is None:
            return "NULL"
        if isinstance(value, (int, float)):
            return str(value)
        return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"
    ddl = (gendb.SCHEMA.replace("AUTOINCREMENT", "AUTO_INCREMENT").replace("DATETIME", "DATETIME(6)")
           .replace("CREATE TABLE IF NOT EXISTS", "CREATE TABLE"))
    inserts = "".join(f"INSERT INTO services ({', '.join(f'`{c}`' for c in columns)}) VALUES ({', '.join(map(literal, row))});\n"
                      for row in rows)
    server.sql("CREATE DATABASE cinder")
    server.sql(ddl + ";\n" + inserts, "cinder")
    server.sql(f"CREATE TABLE volumes ({VOLUMES_COLUMNS.format(dt='datetime', b='tinyint(1)', i='int(11)')}) ENGINE=InnoDB;"
               "CREATE INDEX volumes_deleted_host_idx ON volumes (deleted, host);"
               + SMALL_TABLES.format(dt="datetime", b="tinyint(1)", i="int(11)") + fill_sql(volumes, mysql=True) + ";", "cinder")


def scrape_loop(port, seconds):
    """Back-to-back scrapes on one keep-alive connection: latencies in ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read()
        latencies.append((time.monotonic() - started) * 1000)
        if response.status != 200 or b"cinder_exporter_database_up 1" not in body:
            raise RuntimeError("a scrape failed")
    conn.close()
    return latencies


def metric(port, name):
    _, _, body = bench.http_get(port)
    values = {}
    for line in body.decode().splitlines():
        if line.startswith(name):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def refresher_cpu_seconds(pid):
    """CPU of the exporter's work-refresh thread: the one thread at nice +10."""
    total = 0.0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[16] == "10":
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def run_one(binary, url, collectors_on, seconds, workdir, name):
    port = bench.free_port()
    flags = (["--collector.interval", "5s"] if collectors_on
             else ["--no-collector.volumes", "--no-collector.snapshots", "--no-collector.backups"])
    exporter = bench.Exporter(name, [binary, "--database.url", url, "--web.listen-address", f"127.0.0.1:{port}",
                                     "--log.level", "warn"] + flags, port, r"^never$", workdir)
    exporter.start()
    try:
        if collectors_on:  # the first refresh has completed
            for _ in range(600):
                if metric(port, 'cinder_exporter_collector_success{collector="volumes"}'):
                    break
                time.sleep(0.1)
        started = time.monotonic()
        cpu_before = cpu_seconds(exporter.proc.pid)
        refresher_before = refresher_cpu_seconds(exporter.proc.pid)
        latencies = scrape_loop(port, seconds)
        cpu = cpu_seconds(exporter.proc.pid) - cpu_before
        # Refreshes start every 5 s: CPU of the refresh thread over the window, per refresh.
        refresh_cpu = (refresher_cpu_seconds(exporter.proc.pid) - refresher_before) / ((time.monotonic() - started) / 5)
        durations = metric(port, "cinder_exporter_collector_duration_seconds")
        success = metric(port, "cinder_exporter_collector_success")
        _, peak_kb = exporter.memory_kb()
    finally:
        exporter.stop()
    if collectors_on and not all(v == 1 for v in success.values()):
        raise RuntimeError(f"a collector failed: {success}")
    ordered = sorted(latencies)
    return {
        "scrapes": len(latencies), "p50_ms": statistics.median(latencies),
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], "max_ms": ordered[-1],
        "cpu_s": cpu, "refresh_cpu_s": refresh_cpu, "peak_rss_mb": peak_kb / 1024,
        "aggregate_s": {k.split('"')[1]: v for k, v in durations.items() if 'services' not in k},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,mariadb")
    parser.add_argument("--duration", type=float, default=15, help="seconds of scraping per run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=str(bench.ROOT / "bench-results" / "work.json"))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="cinder-exporter-bench-work-"))
    results = []
    server = None
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            db = workdir / f"cinder-{size}.sqlite"
            began = time.monotonic()
            build_sqlite(db, size)
            print(f"work-bench: SQLite with {size:,} volumes built in {time.monotonic() - began:.0f} s", file=sys.stderr)
            urls = {}
            if "sqlite" in args.backends:
                urls["sqlite"] = f"sqlite:///{db}"
            if "mariadb" in args.backends:
                if server:
                    server.stop()
                    shutil.rmtree(server.dir, ignore_errors=True)
                server = MariaDB(workdir)
                began = time.monotonic()
                build_mariadb(server, db, size)
                print(f"work-bench: MariaDB with {size:,} volumes built in {time.monotonic() - began:.0f} s", file=sys.stderr)
                urls["mariadb"] = server.url()
            for backend, url in urls.items():
                runs = {"off": [], "on": []}
                for repeat in range(args.repeats):
                    for mode in ("off", "on"):
                        runs[mode].append(run_one(args.binary, url, mode == "on", args.duration, workdir,
                                                  f"{backend}-{size}-{mode}-{repeat}"))
                ratios = [on["p50_ms"] / off["p50_ms"] for on, off in zip(runs["on"], runs["off"])]
                on_runs = runs["on"]
                row = {
                    "backend": backend, "volumes": size,
                    "off_p50_ms": statistics.median(r["p50_ms"] for r in runs["off"]),
                    "off_p99_ms": statistics.median(r["p99_ms"] for r in runs["off"]),
                    "on_p50_ms": statistics.median(r["p50_ms"] for r in on_runs),
                    "on_p99_ms": statistics.median(r["p99_ms"] for r in on_runs),
                    "on_max_ms": max(r["max_ms"] for r in on_runs),
                    "p50_ratio_on_off": statistics.median(ratios),
                    "aggregate_s": {k: statistics.median(r["aggregate_s"][k] for r in on_runs) for k in on_runs[0]["aggregate_s"]},
                    "cpu_per_refresh_s": statistics.median(r["refresh_cpu_s"] for r in on_runs),
                    "peak_rss_mb_off": max(r["peak_rss_mb"] for r in runs["off"]),
                    "peak_rss_mb_on": max(r["peak_rss_mb"] for r in on_runs),
                    "scrapes_per_run": statistics.median(r["scrapes"] for r in on_runs),
                }
                results.append(row)
                print(json.dumps(row), file=sys.stderr)
    finally:
        if server:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print("| backend | volumes | services p50 off / on (ms) | ratio on/off | p99 off / on (ms) | slowest on (ms) "
          "| aggregate volumes / snapshots / backups (s) | exporter CPU per refresh (s) | peak RSS off / on (MB) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        agg = r["aggregate_s"]
        print(f"| {r['backend']} | {r['volumes']:,} | {r['off_p50_ms']:.2f} / {r['on_p50_ms']:.2f} | {r['p50_ratio_on_off']:.2f} "
              f"| {r['off_p99_ms']:.2f} / {r['on_p99_ms']:.2f} | {r['on_max_ms']:.1f} "
              f"| {agg.get('volumes', 0):.3f} / {agg.get('snapshots', 0):.3f} / {agg.get('backups', 0):.3f} "
              f"| {r['cpu_per_refresh_s']:.3f} | {r['peak_rss_mb_off']:.1f} / {r['peak_rss_mb_on']:.1f} |")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
