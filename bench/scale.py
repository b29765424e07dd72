"""Time `inv deploy --host all` to 1, 4 and 8 test hosts.

Eight sshd test hosts run on 127.0.0.30 to 127.0.0.37, each with its own
compose folder, compose project name and published ports, all on this
machine's Docker engine. A deploy to N hosts configures the first N in
`deploy.order`. Four healthy releases rotate so that every timed deploy
changes the release on every host it touches. In round r the 8-host
deploy goes to release 3r mod 4, the 4-host one to 3r + 1 and the 1-host
one to 3r + 2, so no host already runs its target. An untimed deploy to
all eight comes first, so every host has a current release. Prints a
Markdown block; the baseline is the 1-host deploy of the same run.

    .venv/bin/python bench/scale.py --runs 5
"""

import argparse
import statistics

from _common import ratio_row, report
from _deploy_env import DeployBench

RELEASES = ("r0", "r1", "r2", "r3")
SIZES = (8, 4, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    addresses = [f"127.0.0.{30 + index}" for index in range(max(SIZES))]
    times = {size: [] for size in SIZES}
    connections = {size: set() for size in SIZES}
    with DeployBench(addresses, releases=RELEASES) as bench:
        names = list(bench.hosts)
        bench.deploy("all", "r3")
        for run in range(args.runs):
            for offset, size in enumerate(SIZES):
                release = RELEASES[(3 * run + offset) % len(RELEASES)]
                bench.write_config(names[:size])
                before = [bench.sshd_counts(name)[0] for name in names]
                seconds, _result = bench.deploy("all", release)
                after = [bench.sshd_counts(name)[0] for name in names]
                times[size].append(seconds)
                connections[size].add(
                    tuple(b - a for a, b in zip(before, after))[:size]
                )

    baseline = times[1]
    rows = [
        ratio_row(f"`inv deploy --host all`, {size} host(s)", times[size], baseline)
        for size in sorted(SIZES)
    ]
    notes = [
        f"{size} host(s): median {statistics.median(times[size]) / size:.2f} s per host, "
        f"SSH connections per host per deploy {sorted(connections[size])}"
        for size in sorted(SIZES)
    ]
    report("Deploy to 1, 4 and 8 hosts", rows, notes)


if __name__ == "__main__":
    main()
