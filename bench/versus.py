#!/usr/bin/env python3
"""Two cinder-exporter binaries side by side in one run: is the new one a
regression anywhere? (issue 15: "no regression at 100 and 1,000").

    bench/versus.py OLD NEW [--sizes 100,1000,10000] [--rounds 3] [--duration 4]

For each size a database is generated (bench/gendb.py, ten volumes per
service, so the work collectors run with their defaults) and, round after
round in alternating order (the machine is shared and noisy), each binary is
started fresh and measured with wrk: the median latency with one keep-alive
client, plain and with gzip asked, and scrapes/s with 4 clients. Prints each
measure's medians and the median of the per-round ratios NEW/OLD (below 1 is
better for latency, above 1 for scrapes/s).
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402
import gendb  # noqa: E402

MEASURES = (("p50 ms, 1 client", 1, False), ("p50 ms, 1 client, gzip", 1, True), ("scrapes/s, 4 clients", 4, False))


def measure(binary, db, seconds, workdir):
    exporter = bench.ours(binary, db, bench.free_port(), workdir)
    try:
        exporter.start()
        for _ in range(3):
            bench.http_get(exporter.port)
        figures = {}
        for label, clients, gzip in MEASURES:
            run = bench.wrk(exporter.port, clients, seconds, gzip)
            figures[label] = (run["latency_us"]["p50"] / 1000 if clients == 1
                              else run["requests"] / (run["duration_us"] / 1e6))
        figures["peak RSS MB"] = exporter.memory_kb()[1] / 1024
        return figures
    finally:
        exporter.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cinder-versus-") as tmp:
        workdir = Path(tmp)
        for size in args.sizes:
            db = workdir / f"cinder-{size}.sqlite"
            gendb.generate(str(db), size, volumes=10 * size)
            rounds = []
            for round_ in range(args.rounds):
                order = (("old", args.old), ("new", args.new)) if round_ % 2 == 0 else (("new", args.new), ("old", args.old))
                pair = {name: measure(binary.resolve(), db, args.duration, workdir) for name, binary in order}
                rounds.append(pair)
                print(f"{size} services, round {round_ + 1}: " + "; ".join(
                    f"{label} {pair['old'][label]:.3f} -> {pair['new'][label]:.3f}" for label in pair["old"]),
                    file=sys.stderr, flush=True)
            for label in rounds[0]["old"]:
                old = statistics.median(r["old"][label] for r in rounds)
                new = statistics.median(r["new"][label] for r in rounds)
                ratio = statistics.median(r["new"][label] / r["old"][label] for r in rounds)
                print(f"{size:>6} services  {label:<24} old {old:10.3f}  new {new:10.3f}  new/old {ratio:6.3f}")


if __name__ == "__main__":
    main()
