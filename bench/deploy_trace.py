"""Break one unchanged deploy down by remote command, to explain bench/deploy.py.

Sets up the one-host stack of bench/_deploy_env.py on 127.0.0.22, deploys
v1 then v2, and then deploys v2 again (unchanged) in this process with
`RemoteHost.run` and `remote.connect` wrapped, so every remote command is
timed by its `what` label. Also times `inv --list` in the project folder,
which is the Invoke and config startup that `inv deploy` pays first.
Prints a Markdown table of the remote commands of the unchanged deploy.

    .venv/bin/python bench/deploy_trace.py --runs 3
"""

import argparse
import statistics
import time
from collections import defaultdict

import yaml
from _common import INV, command_line, machine, spread, timed
from _deploy_env import DeployBench

from shipyard import config
from shipyard import manifest as manifest_module
from shipyard.deploy import deployer, remote


def traced_deploy(bench, calls):
    """Deploy v2 to h0 in this process; add (label, seconds) to `calls`."""
    original_run = remote.RemoteHost.run
    original_connect = remote.connect

    def run(self, line, **kwargs):
        started = time.monotonic()
        try:
            return original_run(self, line, **kwargs)
        finally:
            calls.append((kwargs["what"], time.monotonic() - started))

    def connect(*args, **kwargs):
        started = time.monotonic()
        try:
            return original_connect(*args, **kwargs)
        finally:
            calls.append(("SSH connect", time.monotonic() - started))

    data = yaml.safe_load((bench.root / "invoke.yaml").read_text())["shipyard"]
    settings = config.load(data, root=bench.root)
    manifest = manifest_module.read(bench.manifest_paths["v2"])
    remote.RemoteHost.run = run
    remote.connect = connect
    started = time.monotonic()
    try:
        deployer.deploy(
            settings, "h0", manifest, deployer.Options(), say=lambda *_args: None
        )
    finally:
        remote.RemoteHost.run = original_run
        remote.connect = original_connect
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    per_label = defaultdict(list)
    totals, startups, counts = [], [], set()
    with DeployBench(["127.0.0.22"]) as bench:
        bench.deploy("h0", "v1")
        bench.deploy("h0", "v2")
        for _ in range(args.runs):
            startups.append(timed([INV, "--list"], cwd=bench.root)[0])
            calls = []
            totals.append(traced_deploy(bench, calls))
            counts.add(len(calls))
            run_sums = defaultdict(float)
            run_counts = defaultdict(int)
            for label, seconds in calls:
                run_sums[label] += seconds
                run_counts[label] += 1
            for label, seconds in run_sums.items():
                per_label[(label, run_counts[label])].append(seconds)

    print("### Unchanged deploy, by remote command\n")
    print(f"Command: `{command_line()}`  ")
    print(f"Machine: {machine()}\n")
    print(f"In-process `deployer.deploy` (unchanged): {spread(totals)} s")
    print(f"`inv --list` in the project folder: {spread(startups)} s")
    print(f"Calls (SSH connect + remote commands) per deploy: {sorted(counts)}\n")
    print(
        "| step (`what` label) | calls per deploy | seconds per deploy, min / median / max |"
    )
    print("| --- | --- | --- |")
    ranked = sorted(per_label.items(), key=lambda item: -statistics.median(item[1]))
    for (label, calls_per_deploy), values in ranked:
        print(f"| {label} | {calls_per_deploy} | {spread(values)} |")


if __name__ == "__main__":
    main()
