"""Time preflight's `run()` against `detect-secrets scan` over the same tree.

Usage: python bench/bench_preflight.py REPO [--runs 5]

REPO comes from bench/preflight_repo.py. Both tools run as fresh
subprocesses, so import time counts for both. Preflight runs without the
checks that call docker or AWS (compose-invalid, aws-credentials).
Prints min/median/max seconds, the ratio of the medians (preflight over
detect-secrets) and how many planted secrets each tool found, by file and
line.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PREFLIGHT_SCRIPT = """
import json, sys
from shipyard import config
from shipyard.preflight import run
services = [{"name": f"svc{i}", "context": f"services/svc{i}"} for i in range(40)]
settings = config.load({"services": services, "project": "bench"}, root=sys.argv[1],
                       environ={})
report = run(settings, skip=["compose-invalid", "aws-credentials"])
print(json.dumps([[f.rule, f.file, f.line] for f in report.findings]))
"""
TIMEOUT = 600  # seconds for one run of either tool


def timed(argv, cwd):
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                            timeout=TIMEOUT, check=False,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # fmt: skip
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"error: {argv[0]} failed: {result.stderr.strip()[-500:]}")
    return elapsed, result.stdout


def summary(name, times):
    return (f"{name:15} min {min(times):6.2f} s  median {statistics.median(times):6.2f} s"
            f"  max {max(times):6.2f} s")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    planted = json.loads(Path(f"{repo}.planted.json").read_text())
    detect_secrets = str(Path(sys.executable).with_name("detect-secrets"))

    preflight_times, scan_times, findings = [], [], []
    for _ in range(args.runs):
        elapsed, output = timed(
            [sys.executable, "-c", PREFLIGHT_SCRIPT, str(repo)], repo
        )
        preflight_times.append(elapsed)
        findings = json.loads(output)
        elapsed, scan_output = timed([detect_secrets, "scan"], repo)
        scan_times.append(elapsed)

    found = {(file, line) for _, file, line in findings}
    missed = [p for p in planted if (p["file"], p["line"]) not in found
              and (p["file"], 0) not in found]  # fmt: skip
    scanned = {(file, entry["line_number"])
               for file, entries in json.loads(scan_output)["results"].items()
               for entry in entries}  # fmt: skip
    scan_missed = [p for p in planted if (p["file"], p["line"]) not in scanned]
    ratio = statistics.median(preflight_times) / statistics.median(scan_times)
    print(summary("preflight run()", preflight_times))
    print(summary("detect-secrets", scan_times))
    print(f"ratio (median preflight / median detect-secrets): {ratio:.2f}")
    print(f"planted secrets found by preflight: {len(planted) - len(missed)}/{len(planted)}"
          + (f"; missed {missed}" if missed else ""))  # fmt: skip
    print(f"planted secrets found by detect-secrets: "
          f"{len(planted) - len(scan_missed)}/{len(planted)}"
          + (f"; missed {[p['kind'] for p in scan_missed]}" if scan_missed else ""))  # fmt: skip


if __name__ == "__main__":
    main()
