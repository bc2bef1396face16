#!/usr/bin/env python3
"""Start-up cost of two exporter binaries, side by side in one run.

    bench/startup.py BINARY_A BINARY_B [--rounds 7]

For each round, in alternating order (the machine is shared and noisy), each
binary is started on a one-service SQLite database (bench/gendb.py) and we
take: the wall time of `--version` (load and initialise, nothing else), the
time from exec to the first /metrics holding service series, and VmRSS
(/proc/PID/status) half a second after that one scrape. Prints the medians of
each and the median of the per-round ratios B/A.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gendb  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def version_ms(binary):
    started = time.monotonic()
    subprocess.run([binary, "--version"], check=True, capture_output=True)
    return (time.monotonic() - started) * 1000


def serve(binary, database):
    """(ms from exec to the first /metrics with service series, VmRSS kB after it)."""
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([binary, "--database.url", "sqlite:///" + database,
                             "--web.listen-address", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{binary} exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
                    if b"cinder_service_up{" in answer.read():
                        break
            except OSError:
                time.sleep(0.001)
        startup = (time.monotonic() - started) * 1000
        time.sleep(0.5)
        with open(f"/proc/{proc.pid}/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        return startup, rss
    finally:
        proc.terminate()
        proc.wait(10)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="cinder-startup-")
    try:
        database = os.path.join(directory, "cinder.sqlite")
        gendb.generate(database, 1)
        runs = {"a": [], "b": []}
        for round_ in range(args.rounds):
            for which in ("ab" if round_ % 2 == 0 else "ba"):
                binary = getattr(args, which)
                runs[which].append((version_ms(binary),) + serve(binary, database))
        names = ["--version (ms)", "exec to first /metrics (ms)", "VmRSS after one scrape (MB)"]
        scale = [1, 1, 1 / 1024]
        print(f"{'':32}{'A':>10}{'B':>10}{'B/A':>8}   ({args.rounds} rounds, medians)")
        for i, name in enumerate(names):
            a = statistics.median(r[i] for r in runs["a"]) * scale[i]
            b = statistics.median(r[i] for r in runs["b"]) * scale[i]
            ratio = statistics.median(rb[i] / ra[i] for ra, rb in zip(runs["a"], runs["b"]))
            print(f"{name:32}{a:10.1f}{b:10.1f}{ratio:8.2f}")
        print(f"A = {args.a}\nB = {args.b}")
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
