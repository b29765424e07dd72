"""Probe the web service's published port during `inv deploy` and `inv rollback`.

One sshd test host on 127.0.0.21 runs the two-service stack of
bench/_deploy_env.py (web and api, busybox httpd, stop_grace_period 1s).
During each changed deploy (v1 -> v2) and each rollback (v2 -> v1) a
thread sends a fixed number of HTTP GETs at a fixed rate to
http://127.0.0.1:WEB_PORT/health, loopback only. The command starts one
second after the probe. Reports per operation the failed requests and the
longest gap between two successful responses. This is the baseline for a
future zero-downtime mode. Prints a Markdown block.

    .venv/bin/python bench/downtime.py --runs 5
"""

import argparse
import itertools
import statistics
import threading
import time
import urllib.error
import urllib.request

from _common import command_line, machine, spread
from _deploy_env import DeployBench

RATE = 20  # requests per second
REQUESTS = 800  # 40 s at RATE, more than one deploy takes on the test host
REQUEST_TIMEOUT = 1.0  # seconds


class Probe(threading.Thread):
    """Send `REQUESTS` GETs to `url`, one every 1 / RATE s; record (time, ok).

    Stops early, 10 s after the planned end, when timeouts delayed it.
    """

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url = url
        self.samples = []

    def run(self):
        started = time.monotonic()
        deadline = started + REQUESTS / RATE + 10
        for index in range(REQUESTS):
            if time.monotonic() > deadline:
                break
            delay = started + index / RATE - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            sent = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=REQUEST_TIMEOUT) as reply:
                    ok = reply.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            self.samples.append((sent, ok))

    def failed(self):
        return sum(1 for _, ok in self.samples if not ok)

    def longest_gap(self):
        """Return the max seconds between two successful requests' send times."""
        times = [sent for sent, ok in self.samples if ok]
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def probed(bench, action):
    port = bench.ports["h0"]["web"]
    probe = Probe(f"http://127.0.0.1:{port}/health")
    probe.start()
    time.sleep(1)
    seconds, _result = action()
    probe.join(timeout=REQUESTS / RATE + 30)
    return seconds, probe.failed(), probe.longest_gap(), len(probe.samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    results = {"changed deploy v1 -> v2": [], "rollback v2 -> v1": []}
    with DeployBench(["127.0.0.21"]) as bench:
        bench.deploy("h0", "v2")
        bench.deploy("h0", "v1")
        for _ in range(args.runs):
            results["changed deploy v1 -> v2"].append(
                probed(bench, lambda: bench.deploy("h0", "v2"))
            )
            results["rollback v2 -> v1"].append(
                probed(bench, lambda: bench.rollback("h0"))
            )

    print("### Downtime during deploy\n")
    print(f"Command: `{command_line()}`  ")
    print(f"Machine: {machine()}\n")
    print(f"Probe: {REQUESTS} GETs at {RATE}/s, timeout {REQUEST_TIMEOUT} s each\n")
    print("| operation | runs | command s (min / median / max) | failed requests per run | "
          "longest gap s (min / median / max) |")  # fmt: skip
    print("| --- | --- | --- | --- | --- |")
    for name, rows in results.items():
        seconds = [row[0] for row in rows]
        failed = [row[1] for row in rows]
        gaps = [row[2] for row in rows]
        print(
            f"| {name} | {len(rows)} | {spread(seconds)} | "
            f"{min(failed)} / {statistics.median(failed):g} / {max(failed)} | {spread(gaps)} |"
        )
    sent = sorted({row[3] for rows in results.values() for row in rows})
    print(f"\nRequests sent per run: {sent}")


if __name__ == "__main__":
    main()
