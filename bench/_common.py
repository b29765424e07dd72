"""Helpers shared by the benchmark scripts: timing, statistics, machine facts.

Benchmarks are not tests. Each script prints a Markdown block with the
machine, the date, the command and min/median/max seconds per variant, and
the ratio that is its claim.
"""

import datetime
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
INV = str(VENV_BIN / "inv")

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def machine():
    """Return one line naming the cores, memory, Docker version and date."""
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    memory = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout
    total = next(
        (line.split()[1] for line in memory.splitlines() if line.startswith("Mem:")),
        "?",
    )
    docker = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    return f"{cores} cores, {total} GiB memory, Docker {docker or 'n/a'}, {today}"


def command_line():
    """Return the command that ran this script, relative to the repository."""
    script = os.path.relpath(sys.argv[0], REPO_ROOT)
    return " ".join([".venv/bin/python", script, *map(shlex.quote, sys.argv[1:])])


def timed(argv, *, cwd=None, env=None, timeout=1800, check=True):
    """Run `argv` and return `(seconds, CompletedProcess)`."""
    full_env = {**os.environ, **(env or {})}
    started = time.monotonic()
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    if check and result.returncode != 0:
        raise SystemExit(
            f"benchmark step failed (exit {result.returncode}): {' '.join(argv)}\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return seconds, result


def spread(values):
    """Return `min / median / max` of `values`, formatted in seconds."""
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def ratio_row(name, values, baseline):
    """Return a Markdown table row: variant, spread, ratio of medians."""
    ratio = statistics.median(values) / statistics.median(baseline)
    return f"| {name} | {len(values)} | {spread(values)} | {ratio:.2f} × |"


def table(rows):
    """Return the Markdown table for `rows` from `ratio_row`."""
    head = [
        "| variant | runs | min / median / max (s) | ratio of medians |",
        "| --- | --- | --- | --- |",
    ]
    return "\n".join(head + rows)


def report(title, rows, notes=()):
    """Print the Markdown block for one figure."""
    print(f"### {title}\n")
    print(f"Command: `{command_line()}`  ")
    print(f"Machine: {machine()}\n")
    print(table(rows))
    for note in notes:
        print(f"\n{note}")
    print()
