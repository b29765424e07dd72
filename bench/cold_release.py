"""Cold and warm `inv release` against a build-then-push shell script.

Generates N services from busybox:1.36.1 in a temporary git repository.
Each image runs a CPU-bound shell loop (about 2 s on one core) and adds a
layer of random bytes (32 MiB by default). Every cold run writes fresh
content into each build context, so no layer of it is cached, and pushes to
a new empty registry on a free loopback port.

Variants, interleaved so that drift on a shared machine hits each alike:

- script: `docker build` then `docker push` per service, one after another
  (BuildKit on, one tag per image). This is the baseline.
- shipyard cold: `inv release --skip-preflight` after the same kind of
  change (three tags per image, verify and manifest included).
- shipyard warm: `inv release --skip-preflight` again right after the cold
  run, with nothing changed (figure 2).

Images are removed after each run. BuildKit keeps the layers of every run
in its cache, since pruning it would also wipe other users' caches.

    .venv/bin/python bench/cold_release.py --services 3 --runs 5
"""

import argparse
import re
import statistics
import subprocess
import tempfile
import uuid
from pathlib import Path

from _common import INV, REPO_ROOT, ratio_row, report, spread, timed  # noqa: E402

from tests.support.registry import Registry  # noqa: E402

DOCKERFILE = """\
FROM busybox:1.36.1
COPY content.txt /content.txt
RUN i=0; while [ $i -lt {loops} ]; do i=$((i+1)); done; echo $i > /loops.txt
RUN dd if=/dev/urandom of=/payload.bin bs=1M count={layer_mb} 2>/dev/null
CMD ["cat", "/content.txt"]
"""

SCRIPT = """\
#!/bin/sh
# Baseline: build then push each service, one after another.
set -e
for service in {services}; do
  docker build --quiet --tag "$REGISTRY/bench/$service:$TAG" "app/$service"
  docker push --quiet "$REGISTRY/bench/$service:$TAG"
done
"""

PHASE_DONE = re.compile(r"^\s+(\S+) done in ([0-9.]+) s")
VERIFY_REQUESTS = re.compile(r"verify done in [0-9.]+ s: \d+ images, (\d+) registry")


def make_app(root, names, loops, layer_mb):
    """Write the services, invoke.yaml, tasks.py and baseline script; git init."""
    for name in names:
        context = root / "app" / name
        context.mkdir(parents=True)
        (context / "Dockerfile").write_text(
            DOCKERFILE.format(loops=loops, layer_mb=layer_mb)
        )
        (context / "content.txt").write_text("initial\n")
    (root / "tasks.py").write_text("from shipyard.tasks import namespace  # noqa\n")
    (root / ".gitignore").write_text(".shipyard/\n/image-manifest.json\n")
    (root / "baseline.sh").write_text(SCRIPT.format(services=" ".join(names)))
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "config", "user.email", "bench@shipyard.test")
    git(root, "config", "user.name", "shipyard bench")


def write_config(root, names, address):
    services = "\n".join(
        f"    - name: {name}\n      context: {name}\n"
        f"      repository: bench/{name}\n      max_size_mb: 200"
        for name in names
    )
    (root / "invoke.yaml").write_text(
        "shipyard:\n  app_dir: app\n  project: bench\n  services:\n"
        f'{services}\n  registry:\n    address: "{address}"\n'
        "    start_local: false\n"
    )


def git(root, *args):
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def change_content(root, names):
    """Give every build context new content, so no layer after COPY is cached."""
    marker = uuid.uuid4().hex
    for name in names:
        (root / "app" / name / "content.txt").write_text(f"{marker} {name}\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"content {marker}")


def remove_images(address):
    listed = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    ours = [ref for ref in listed if ref.startswith(f"{address}/bench/")]
    if ours:
        subprocess.run(
            ["docker", "image", "rm", "--force", *ours],
            capture_output=True,
            check=False,
        )


def run_script(root, names, folder):
    registry = Registry(folder / f"registry-{uuid.uuid4().hex[:8]}").start()
    try:
        change_content(root, names)
        env = {
            "REGISTRY": registry.address,
            "TAG": "bench",
            "DOCKER_BUILDKIT": "1",
            "DOCKER_CONFIG": str(folder / "docker-config"),
        }
        seconds, _ = timed(["sh", "baseline.sh"], cwd=root, env=env)
    finally:
        registry.stop()
        remove_images(registry.address)
    return seconds


def run_shipyard(root, names, folder):
    """Return `(cold seconds, warm seconds, warm phase times, verify requests)`."""
    registry = Registry(folder / f"registry-{uuid.uuid4().hex[:8]}").start()
    try:
        write_config(root, names, registry.address)
        change_content(root, names)
        cold, _ = timed([INV, "release", "--skip-preflight"], cwd=root)
        warm, result = timed([INV, "release", "--skip-preflight"], cwd=root)
    finally:
        registry.stop()
        remove_images(registry.address)
    phases = {
        found.group(1): float(found.group(2))
        for found in map(PHASE_DONE.match, result.stdout.splitlines())
        if found
    }
    requests = VERIFY_REQUESTS.search(result.stdout)
    return cold, warm, phases, int(requests.group(1)) if requests else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--layer-mb",
        type=int,
        default=32,
        help="size of the random layer per image, in MiB",
    )
    parser.add_argument(
        "--loops",
        type=int,
        default=1_500_000,
        help="iterations of the CPU-bound shell loop per image",
    )
    args = parser.parse_args()
    names = [f"svc{index}" for index in range(args.services)]

    script, cold, warm, phase_runs, requests = [], [], [], [], set()
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as temporary:
        folder = Path(temporary)
        root = folder / "project"
        root.mkdir()
        make_app(root, names, args.loops, args.layer_mb)
        write_config(root, names, "127.0.0.1:1")
        for run in range(args.runs):
            # Alternate the order, so neither variant always runs first.
            if run % 2 == 0:
                script.append(run_script(root, names, folder))
                shipyard = run_shipyard(root, names, folder)
            else:
                shipyard = run_shipyard(root, names, folder)
                script.append(run_script(root, names, folder))
            cold.append(shipyard[0])
            warm.append(shipyard[1])
            phase_runs.append(shipyard[2])
            requests.add(shipyard[3])
            print(
                f"run {run + 1}: script {script[-1]:.2f} s, shipyard cold "
                f"{cold[-1]:.2f} s, warm {warm[-1]:.2f} s",
                flush=True,
            )

    phases = sorted({name for run in phase_runs for name in run})
    warm_phases = ", ".join(
        f"{name} {statistics.median(run.get(name, 0) for run in phase_runs):.2f} s"
        for name in phases
    )
    report(
        f"Cold release of {args.services} services against the shell script",
        [
            ratio_row("script: docker build + push, sequential", script, script),
            ratio_row("shipyard cold `inv release --skip-preflight`", cold, script),
        ],
        [
            f"Each image: {args.loops} shell-loop iterations and a "
            f"{args.layer_mb} MiB random layer on busybox:1.36.1."
        ],
    )
    report(
        f"Warm no-change release of {args.services} services against the cold one",
        [
            ratio_row("shipyard cold", cold, cold),
            ratio_row("shipyard warm (same commit, cache and registry)", warm, cold),
        ],
        [
            f"Warm phase medians: {warm_phases}.",
            f"Registry requests made by verify per warm run: "
            f"{', '.join(str(r) for r in sorted(requests, key=str))}.",
            f"Warm spread: {spread(warm)} s.",
        ],
    )


if __name__ == "__main__":
    main()
