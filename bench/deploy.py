"""Time `inv deploy` and `inv rollback` on one host against bare `docker compose up -d --wait`.

One sshd test host on 127.0.0.20 runs the two-service stack of
bench/_deploy_env.py. Each run times, interleaved:

- shipyard changed: `inv deploy` of v2 while v1 runs,
- shipyard unchanged: `inv deploy` of v2 again while v2 is current,
- shipyard rollback: `inv rollback` back to v1,
- bare changed, unchanged and back: `docker compose up -d --wait` of the
  same rewritten, digest-pinned compose files that the deploys wrote,
  under a compose project of its own with its own published ports.

SSH connections and exec requests per shipyard command come from the
test host's sshd log (LogLevel DEBUG1). Prints a Markdown block.

    .venv/bin/python bench/deploy.py --runs 5
"""

import argparse
import re
import statistics
from collections import defaultdict

from _common import ratio_row, report, spread, timed
from _deploy_env import DeployBench

STEP = re.compile(r"^h0: (?P<message>.+) \((?P<seconds>\d+\.\d) s\)$", re.MULTILINE)
RELEASE_ID = re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{7}\b")


def step_times(output, into):
    """Add the per-step seconds that `inv deploy` prints to `into[label]`."""
    for match in STEP.finditer(output):
        label = RELEASE_ID.sub("R", match["message"])
        label = re.sub(r"root@\S+", "host", label)
        into[label].append(float(match["seconds"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    times = defaultdict(list)
    counts = defaultdict(list)
    steps = {name: defaultdict(list) for name in ("changed", "unchanged", "rollback")}
    with DeployBench(["127.0.0.20"]) as bench:
        bare_project = f"{bench.project('h0')}bare"
        bench.extra_projects.append(bare_project)
        bare_dir = bench.folder / "bare"
        bare_dir.mkdir()
        (bare_dir / ".env").write_text("WEB_PORT=0\nAPI_PORT=0\n")

        def bare_up(release):
            return timed(
                [
                    "docker", "compose", "-p", bare_project,
                    "-f", str(bench.release_compose("h0", release)),
                    "--project-directory", str(bare_dir),
                    "up", "-d", "--wait", "--remove-orphans",
                ],
                timeout=300,
            )[0]  # fmt: skip

        def measured(name, action):
            before = bench.sshd_counts("h0")
            seconds, result = action()
            after = bench.sshd_counts("h0")
            times[name].append(seconds)
            counts[name].append((after[0] - before[0], after[1] - before[1]))
            step_times(result.stdout, steps[name])

        # Untimed: both releases once, so every compose file exists and
        # the host's current and previous links are set.
        bench.deploy("h0", "v2")
        bench.deploy("h0", "v1")
        bare_up("v1")
        for _ in range(args.runs):
            measured("changed", lambda: bench.deploy("h0", "v2"))
            times["bare changed"].append(bare_up("v2"))
            measured("unchanged", lambda: bench.deploy("h0", "v2"))
            times["bare unchanged"].append(bare_up("v2"))
            measured("rollback", lambda: bench.rollback("h0"))
            times["bare back"].append(bare_up("v1"))

    rows = [
        ratio_row("bare `compose up -d --wait`, v1 -> v2", times["bare changed"], times["bare changed"]),
        ratio_row("shipyard changed: `inv deploy` v1 -> v2", times["changed"], times["bare changed"]),
        ratio_row("bare `compose up -d --wait`, v2 again", times["bare unchanged"], times["bare unchanged"]),
        ratio_row("shipyard unchanged: `inv deploy` v2 again", times["unchanged"], times["bare unchanged"]),
        ratio_row("bare `compose up -d --wait`, v2 -> v1", times["bare back"], times["bare back"]),
        ratio_row("shipyard `inv rollback` v2 -> v1", times["rollback"], times["bare back"]),
    ]  # fmt: skip
    notes = []
    for name in ("changed", "unchanged", "rollback"):
        connections = sorted({c for c, _ in counts[name]})
        commands = sorted({e for _, e in counts[name]})
        notes.append(
            f"{name}: SSH connections per command {connections}, "
            f"remote commands (exec requests) per command {commands}"
        )
        for label, values in steps[name].items():
            notes.append(f"  {name} step `{label}`: {spread(values)} s")
    for name in ("changed", "unchanged", "rollback"):
        notes.append(f"{name} medians: {statistics.median(times[name]):.2f} s")
    report("Deploy to one host against bare compose", rows, notes)


if __name__ == "__main__":
    main()
