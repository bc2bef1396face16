#!/usr/bin/env python3
"""Benchmark: cinder-exporter against query-exporter 5.0.2 (SPEC §8).

For each table size both exporters read the same generated SQLite database
and are measured the same way, on 127.0.0.1 only:
  - start-up time: process start until the first /metrics with service series;
  - latency median and p99 with one keep-alive client;
  - scrapes/s with 1, 4 and 16 keep-alive clients, with and without
    `Accept-Encoding: gzip` (wrk, bounded by --duration);
  - database reads/s next to scrapes/s, from each exporter's read counter;
  - peak RSS (VmHWM) after all the load, and RSS after warm-up.
bench/run.sh builds the release binary and the peer's venv, then calls this.
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import gendb  # noqa: E402

CLIENTS = (1, 4, 16)
SERVICE_LABELS = ["host", "binary", "zone", "cluster"]

# The peer computes the same four per-service values as ours, with Cinder's
# rule (|now - (updated_at or created_at)| <= 60 s), in one query run on every
# scrape (no `interval`).
PEER_SQL = """\
SELECT host, "binary", zone, cluster,
       CASE WHEN age IS NOT NULL AND abs(age) <= 60 THEN 1 ELSE 0 END AS cinder_service_up,
       age AS cinder_service_heartbeat_age_seconds,
       report_count AS cinder_service_reports,
       CASE WHEN COALESCE(disabled, 0) = 0 THEN 0 ELSE 1 END AS cinder_service_disabled
FROM (SELECT COALESCE(host, '') AS host, COALESCE(`binary`, '') AS "binary",
             COALESCE(availability_zone, '') AS zone, COALESCE(cluster_name, '') AS cluster,
             report_count, disabled,
             (julianday('now') - julianday(COALESCE(updated_at, created_at))) * 86400.0 AS age
      FROM services WHERE deleted = 0)
"""

PEER_METRICS = {
    "cinder_service_up": "1 if the service heartbeat is within 60 s of now.",
    "cinder_service_heartbeat_age_seconds": "Seconds since the last heartbeat.",
    "cinder_service_reports": "The report_count column.",
    "cinder_service_disabled": "1 if the service is disabled.",
}


def peer_config(db_path):
    """query-exporter's YAML (JSON is YAML): one database, four gauges, one query."""
    return json.dumps({
        "databases": {"cinder": {"dsn": f"sqlite:///{db_path}"}},
        "metrics": {name: {"type": "gauge", "description": text, "labels": SERVICE_LABELS}
                    for name, text in PEER_METRICS.items()},
        "queries": {"services": {"databases": ["cinder"], "metrics": list(PEER_METRICS), "sql": PEER_SQL}},
    }, indent=2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path="/metrics", headers=None, timeout=60):
    """One GET on a fresh connection: (status, headers dict lower-cased, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


class Exporter:
    """One exporter process under test."""

    def __init__(self, name, argv, port, reads_pattern, workdir, ready=b"cinder_service_up{"):
        self.name, self.argv, self.port = name, argv, port
        self.ready = ready
        self.reads_pattern = re.compile(reads_pattern, re.M)
        self.log_path = workdir / f"{name}.log"
        self.proc = None

    def start(self, timeout=120):
        """Starts the process; returns seconds until /metrics first held
        service series. Returns only once it also holds `ready` (for ours,
        the work collectors' first figures), so that what is measured next
        is the exporter in its steady state."""
        log = open(self.log_path, "wb")
        started = time.monotonic()
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        log.close()
        deadline = started + timeout
        first = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log_path}")
            try:
                status, _, body = http_get(self.port, timeout=timeout)
                if status == 200 and first is None and b"cinder_service_up{" in body:
                    first = time.monotonic() - started
                if first is not None and self.ready in body:
                    return first
            except OSError:
                pass
            time.sleep(0.002)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s; see {self.log_path}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def memory_kb(self):
        """(VmRSS, VmHWM) in kB from /proc."""
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def reads_total(self):
        """The exporter's own count of database reads, or None when it has none."""
        _, _, body = http_get(self.port)
        match = self.reads_pattern.search(body.decode("utf-8", "replace"))
        return None if match is None else float(match.group(1))


def wrk(port, clients, seconds, gzip):
    """One bounded wrk run with `clients` keep-alive connections; wrk's summary as a dict."""
    argv = ["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{seconds}s",
            "--timeout", "60s", "-s", str(HERE / "report.lua")]
    if gzip:
        argv += ["-H", "Accept-Encoding: gzip"]
    argv.append(f"http://127.0.0.1:{port}/metrics")
    output = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=True).stdout
    line = next(l for l in output.splitlines() if l.startswith("BENCH-JSON "))
    return json.loads(line[len("BENCH-JSON "):])


def body_facts(port, gzip):
    """Size, encoding and series count of one answer."""
    status, headers, body = http_get(port, headers={"Accept-Encoding": "gzip"} if gzip else {})
    encoding = headers.get("content-encoding", "identity")
    text = body
    if encoding == "gzip":
        import gzip as gz
        text = gz.decompress(body)
    return {"status": status, "bytes": len(body), "content_encoding": encoding,
            "services": text.count(b"\ncinder_service_up{") + text.startswith(b"cinder_service_up{")}


def measure(exporter, seconds, log):
    """Every measurement for one running exporter; returns a dict."""
    result = {"startup_seconds": exporter.start()}
    for _ in range(3):  # warm-up: caches, JIT-free but lazy paths, first allocations
        http_get(exporter.port)
    result["rss_after_warmup_kb"] = exporter.memory_kb()[0]
    result["body"] = {"identity": body_facts(exporter.port, False), "gzip": body_facts(exporter.port, True)}
    result["runs"] = {}
    single = None  # seconds per scrape with one client, once known
    for gzip in (False, True):
        for clients in CLIENTS:
            # A slow exporter gets time for each client to finish a few scrapes
            # (bounded at 60 s), else its scrapes/s would read 0.
            budget = seconds if single is None else min(60, max(seconds, round(3 * single * clients)))
            before = exporter.reads_total()
            run = wrk(exporter.port, clients, budget, gzip)
            after = exporter.reads_total()
            elapsed = run["duration_us"] / 1e6
            run["scrapes_per_second"] = run["requests"] / elapsed
            # The probe after the run read once itself before answering.
            run["reads_per_second"] = None if before is None else (after - before - 1) / elapsed
            key = f"{'gzip' if gzip else 'identity'}-c{clients}"
            result["runs"][key] = run
            if single is None and run["requests"]:
                single = elapsed / run["requests"]
            log(f"    {exporter.name:<15} {key:<12} {run['scrapes_per_second']:10.1f} scrapes/s"
                f"  p50 {run['latency_us']['p50'] / 1000:9.3f} ms  p99 {run['latency_us']['p99'] / 1000:9.3f} ms"
                + ("" if run["reads_per_second"] is None else f"  {run['reads_per_second']:9.1f} reads/s")
                + ("" if not sum(run["errors"].values()) else f"  errors {run['errors']}"))
    result["rss_kb"], result["peak_rss_kb"] = exporter.memory_kb()
    return result


def floor(binary, db, port, workdir):
    """The plain-C reference (bench/cfloor/cfloor.c): the same table, families and labels."""
    return Exporter("c-floor", [str(binary), str(db), str(port)], port, r"^never$", workdir)


def floor_comparison(binary, cfloor, db, seconds, workdir, log, rounds=3):
    """Ours against the C floor, one keep-alive client, interleaved `rounds`
    times on a fresh process each: the median of the per-round ratios of
    median latencies (the machine is shared and noisy). Ours also runs with
    gzip asked (what Prometheus asks for; the floor has no gzip), and once
    more on a fresh process under 16 gzip clients, for that peak RSS."""
    pairs = []
    for round_ in range(rounds):
        pair = {}
        for name, make, gzip in (("ours", lambda: ours(binary, db, free_port(), workdir), False),
                                 ("c", lambda: floor(cfloor, db, free_port(), workdir), False),
                                 ("ours_gzip", lambda: ours(binary, db, free_port(), workdir), True)):
            exporter = make()
            try:
                exporter.start()
                for _ in range(3):
                    http_get(exporter.port)
                run = wrk(exporter.port, 1, seconds, gzip)
                pair[name] = {"p50_ms": run["latency_us"]["p50"] / 1000, "p99_ms": run["latency_us"]["p99"] / 1000,
                              "peak_rss_kb": exporter.memory_kb()[1]}
            finally:
                exporter.stop()
        pair["ratio"] = pair["ours"]["p50_ms"] / pair["c"]["p50_ms"]
        pair["gzip_ratio"] = pair["ours_gzip"]["p50_ms"] / pair["c"]["p50_ms"]
        log(f"    floor round {round_ + 1}: ours p50 {pair['ours']['p50_ms']:.3f} ms, C {pair['c']['p50_ms']:.3f} ms,"
            f" ratio {pair['ratio']:.3f}; ours with gzip {pair['ours_gzip']['p50_ms']:.3f} ms ({pair['gzip_ratio']:.3f})")
        pairs.append(pair)
    exporter = ours(binary, db, free_port(), workdir)
    try:
        exporter.start()
        run = wrk(exporter.port, 16, seconds, True)
        gzip16_peak_kb = exporter.memory_kb()[1]
        log(f"    ours, fresh, 16 gzip clients: {run['requests'] / (run['duration_us'] / 1e6):.1f} scrapes/s,"
            f" peak RSS {gzip16_peak_kb / 1024:.1f} MB")
    finally:
        exporter.stop()
    return {"rounds": pairs, "median_ratio": statistics.median(p["ratio"] for p in pairs),
            "median_gzip_ratio": statistics.median(p["gzip_ratio"] for p in pairs),
            "ours_p50_ms": statistics.median(p["ours"]["p50_ms"] for p in pairs),
            "ours_gzip_p50_ms": statistics.median(p["ours_gzip"]["p50_ms"] for p in pairs),
            "c_p50_ms": statistics.median(p["c"]["p50_ms"] for p in pairs),
            "ours_peak_rss_mb": max(p["ours"]["peak_rss_kb"] for p in pairs) / 1024,
            "ours_gzip16_peak_rss_mb": gzip16_peak_kb / 1024,
            "c_peak_rss_mb": max(p["c"]["peak_rss_kb"] for p in pairs) / 1024}


def ours(binary, db, port, workdir):
    # A reads counter is picked up if the exporter has one (any
    # cinder_exporter_*reads_total without labels); else reads/s is reported as n/a.
    return Exporter("cinder-exporter",
                    [str(binary), "--database.url", f"sqlite:///{db}",
                     "--web.listen-address", f"127.0.0.1:{port}", "--log.level", "warn"],
                    port, r"^cinder_exporter_\w*reads_total (\S+)$", workdir,
                    # Measured once the work collectors' first refresh has
                    # landed, so every body carries their families.
                    ready=b'cinder_exporter_collector_age_seconds{collector="backups"}')


def theirs(venv, db, port, workdir):
    config = workdir / "query-exporter.yaml"
    config.write_text(peer_config(db))
    return Exporter("query-exporter",
                    [str(venv / "bin" / "query-exporter"), "--config", str(config),
                     "-H", "127.0.0.1", "-p", str(port), "-L", "warning"],
                    port, r'^queries_total\{database="cinder",query="services",status="success"\} (\S+)$', workdir)


# ---- report -------------------------------------------------------------------

def rows_for(size, o, t):
    """(label, ours, theirs) lines of the table for one size."""
    lines = []
    c1 = "identity-c1"
    lines.append(("latency p50 (ms), 1 client", o["runs"][c1]["latency_us"]["p50"] / 1000,
                  t and t["runs"][c1]["latency_us"]["p50"] / 1000))
    lines.append(("latency p99 (ms), 1 client", o["runs"][c1]["latency_us"]["p99"] / 1000,
                  t and t["runs"][c1]["latency_us"]["p99"] / 1000))
    lines.append(("latency p50 (ms), 1 client, gzip", o["runs"]["gzip-c1"]["latency_us"]["p50"] / 1000,
                  t and t["runs"]["gzip-c1"]["latency_us"]["p50"] / 1000))
    for encoding in ("identity", "gzip"):
        for clients in CLIENTS:
            key = f"{encoding}-c{clients}"
            suffix = ", gzip" if encoding == "gzip" else ""
            lines.append((f"scrapes/s, {clients} clients{suffix}", o["runs"][key]["scrapes_per_second"],
                          t and t["runs"][key]["scrapes_per_second"]))
            lines.append((f"  reads/s, {clients} clients{suffix}", o["runs"][key]["reads_per_second"],
                          t and t["runs"][key]["reads_per_second"]))
    lines.append(("body bytes", o["body"]["identity"]["bytes"], t and t["body"]["identity"]["bytes"]))
    lines.append(("body bytes, gzip asked", o["body"]["gzip"]["bytes"], t and t["body"]["gzip"]["bytes"]))
    lines.append(("peak RSS (MB)", o["peak_rss_kb"] / 1024, t and t["peak_rss_kb"] / 1024))
    lines.append(("start-up to first /metrics (ms)", o["startup_seconds"] * 1000, t and t["startup_seconds"] * 1000))
    return lines


def fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, int) or abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}"


def ratio(a, b):
    return None if a is None or not b else a / b


def table(results):
    out = []
    header = f"{'services':>8}  {'measure':<36} {'ours':>12} {'query-exporter':>15} {'ours/theirs':>12}"
    out.append(header)
    out.append("-" * len(header))
    for size, entry in results.items():
        o, t = entry["ours"], entry.get("theirs")
        for label, a, b in rows_for(size, o, t):
            out.append(f"{size:>8}  {label:<36} {fmt(a):>12} {fmt(b):>15} {fmt(ratio(a, b)):>12}")
        if "floor" in entry:
            f = entry["floor"]
            out.append(f"{size:>8}  {'vs C floor: p50 (ms), 1 client, ours / C':<36} {fmt(f['ours_p50_ms']):>12} "
                       f"{fmt(f['c_p50_ms']):>15} {fmt(f['median_ratio']):>12}  (median of {len(f['rounds'])} interleaved ratios)")
            out.append(f"{size:>8}  {'vs C floor: p50 (ms), ours gzip / C':<36} {fmt(f['ours_gzip_p50_ms']):>12} "
                       f"{fmt(f['c_p50_ms']):>15} {fmt(f['median_gzip_ratio']):>12}  (the floor never compresses)")
            out.append(f"{size:>8}  {'vs C floor: peak RSS (MB), 1 client':<36} {fmt(f['ours_peak_rss_mb']):>12} "
                       f"{fmt(f['c_peak_rss_mb']):>15} {fmt(f['ours_peak_rss_mb'] / f['c_peak_rss_mb']):>12}")
            out.append(f"{size:>8}  {'peak RSS (MB), fresh, 16 gzip clients':<36} {fmt(f['ours_gzip16_peak_rss_mb']):>12}")
        for who, e in (("ours", o), ("query-exporter", t)):
            if e:
                out.append(f"{'':>8}  gzip asked → {who} answered Content-Encoding: {e['body']['gzip']['content_encoding']}"
                           f" ({e['body']['identity']['services']} services in the body)")
        out.append("")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", type=Path, required=True, help="cinder-exporter release binary")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv", help="venv holding query-exporter 5.0.2")
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 services, 2 s per run")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="e.g. 100,1000,10000")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 8, quick 2)")
    parser.add_argument("--no-peer", action="store_true", help="measure cinder-exporter only")
    parser.add_argument("--cfloor", type=Path, help="the C floor's binary: compare latency at 1,000 services and up")
    parser.add_argument("--output", type=Path, default=ROOT / "bench-results" / "latest.json")
    args = parser.parse_args()
    sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10000])
    seconds = args.duration or (2 if args.quick else 8)
    seconds = max(1, round(seconds))

    def log(text):
        print(text, file=sys.stderr, flush=True)

    results = {}
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cinder-bench-") as tmp:
        workdir = Path(tmp)
        for size in sizes:
            db = workdir / f"cinder-{size}.sqlite"
            # Ten volumes per service: the work collectors run with their
            # default settings, as an operator would run them.
            gendb.generate(str(db), size, volumes=10 * size)
            log(f"{size} services ({db.stat().st_size // 1024} KiB database)")
            entry = {}
            makers = [("ours", lambda: ours(args.binary.resolve(), db, free_port(), workdir))]
            if not args.no_peer:
                makers.append(("theirs", lambda: theirs(args.venv.resolve(), db, free_port(), workdir)))
            for key, make in makers:
                exporter = make()
                try:
                    entry[key] = measure(exporter, seconds, log)
                finally:
                    exporter.stop()
            if args.cfloor and size >= 1000:
                entry["floor"] = floor_comparison(args.binary.resolve(), args.cfloor.resolve(), db, seconds, workdir, log)
            results[str(size)] = entry

    report = table(results)
    print(report)
    reads_note = ("cinder-exporter exposes no reads counter yet: its reads/s is n/a "
                  "(query-exporter's is queries_total{status=\"success\"})"
                  if any(e["ours"]["runs"]["identity-c1"]["reads_per_second"] is None for e in results.values())
                  else "reads/s from each exporter's own read counter")
    print(f"note: {reads_note}")
    print("note: ratios are ours/theirs: below 1 is better for latency, memory, bytes and start-up; above 1 for scrapes/s")
    revision = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT,
                              capture_output=True, text=True).stdout.strip()
    document = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "revision": revision,
        "machine": {"cpus": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()},
        "settings": {"sizes": sizes, "seconds_per_run": seconds, "clients": list(CLIENTS), "quick": args.quick,
                     "peer": None if args.no_peer else "query-exporter 5.0.2"},
        "notes": [reads_note],
        "results": results,
        "ratios_ours_over_theirs": {
            size: {label: ratio(a, b) for label, a, b in rows_for(size, e["ours"], e["theirs"])}
            for size, e in results.items() if "theirs" in e},
        "total_seconds": time.monotonic() - began,
        "table": report,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    log(f"wrote {args.output} in {time.monotonic() - began:.0f} s")


if __name__ == "__main__":
    main()
