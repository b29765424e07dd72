"""Startup time of `inv --list` and `inv --help release` against Invoke's floor.

The floor is `inv --list` in a temporary folder whose tasks.py has one
task that imports nothing: what any Invoke collection pays. The shipyard
commands run in the repository root (its tasks.py and invoke.yaml).
Variants are interleaved.

    .venv/bin/python bench/startup.py --runs 15
"""

import argparse
import tempfile
from pathlib import Path

from _common import INV, REPO_ROOT, ratio_row, report, timed  # noqa: E402

ONE_TASK = """\
from invoke import task


@task
def hello(c):
    \"\"\"Print hello.\"\"\"
    print("hello")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    floor, listing, helping = [], [], []
    with tempfile.TemporaryDirectory(prefix="shipyard-startup-") as temporary:
        Path(temporary, "tasks.py").write_text(ONE_TASK)
        # One untimed round warms the page cache and the .pyc files.
        timed([INV, "--list"], cwd=temporary)
        timed([INV, "--list"], cwd=REPO_ROOT)
        for _ in range(args.runs):
            floor.append(timed([INV, "--list"], cwd=temporary)[0])
            listing.append(timed([INV, "--list"], cwd=REPO_ROOT)[0])
            helping.append(timed([INV, "--help", "release"], cwd=REPO_ROOT)[0])

    report(
        "Startup against Invoke's floor",
        [
            ratio_row("floor: `inv --list`, one-task tasks.py", floor, floor),
            ratio_row("shipyard `inv --list`", listing, floor),
            ratio_row("shipyard `inv --help release`", helping, floor),
        ],
    )


if __name__ == "__main__":
    main()
