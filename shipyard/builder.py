"""The build phase: every service built in parallel with BuildKit (buildx).

Each service is one `docker buildx build --load` with plain progress
written to its own log file. Builds share the engine's layer cache, so an
unchanged step is reused between runs. A failed build names the service
and the step that failed.
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from shipyard import engine, process
from shipyard.errors import BuildError

STEP = re.compile(r"^#(\d+) \[((?:[\w.-]+ )?\d+/\d+)\] (.+)$")
CACHED = re.compile(r"^#(\d+) CACHED$")
FAILED_STEP = re.compile(r"^\s*> \[([^\]]+)\] (.+?):?$")
ERROR = re.compile(r"^(?:#\d+ )?ERROR: (.+)$")


@dataclass
class BuildResult:
    service: str
    image_id: str = ""
    seconds: float = 0.0
    steps: int = 0
    cached: int = 0
    log_path: str = ""
    error: str = ""
    step_names: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.error


def labels(settings, release):
    """Return the OCI labels every image gets.

    `created` is the commit's time, not the build's: with every label fixed
    by the commit, a rebuild of one commit from cache gives the same image
    id and digest, so a repeated release pushes and deploys nothing new.
    """
    return {
        "org.opencontainers.image.revision": release.commit_sha,
        "org.opencontainers.image.source": settings.source_url,
        "org.opencontainers.image.created": release.commit_time or release.created_at,
        "org.opencontainers.image.version": release.tags[0],
    }


def build_command(settings, service, release, iid_file, no_cache=False):
    """Return the `docker buildx build` argument list for `service`."""
    argv = [
        "docker", "buildx", "build", "--load", "--progress=plain",
        "--file", service.dockerfile, "--iidfile", iid_file,
    ]
    for tag in release.tags:
        argv += ["--tag", f"{settings.image_name(service)}:{tag}"]
    for key, value in labels(settings, release).items():
        if value:
            argv += ["--label", f"{key}={value}"]
    build_args = {**settings.preflight.get("build_args", {}), **service.build_args}
    for key, value in build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    if settings.build["platform"]:
        argv += ["--platform", settings.build["platform"]]
    if no_cache:
        argv.append("--no-cache")
    argv.append(service.context)
    return argv


def build_all(settings, release, services, progress, no_cache=False):
    """Build `services` concurrently and return their `BuildResult`s.

    Raises `BuildError` naming every service that failed, after all builds
    have finished.
    """
    logs = settings.output_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    workers = settings.build["parallel"] or len(services)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(_build_one, settings, service, release, progress, no_cache)
            for service in services
        ]
        results = [future.result() for future in futures]
    failed = [result for result in results if not result.ok]
    if failed:
        raise BuildError("; ".join(result.error for result in failed))
    return results


def _build_one(settings, service, release, progress, no_cache):
    result = BuildResult(service.name)
    log_path = settings.output_dir / "logs" / f"build-{service.name}.log"
    iid_file = settings.output_dir / "state" / f"{service.name}.iid"
    iid_file.parent.mkdir(parents=True, exist_ok=True)
    iid_file.unlink(missing_ok=True)
    result.log_path = str(log_path)
    lines = []

    def on_line(line):
        lines.append(line)
        _count_step(result, line, progress)

    progress.start(service.name)
    started = time.monotonic()
    code = process.stream(
        build_command(settings, service, release, iid_file, no_cache),
        log_path=log_path,
        on_line=on_line,
        env=engine.docker_env(settings),
        timeout=settings.build["timeout"],
    )
    result.seconds = time.monotonic() - started
    if code == 0 and iid_file.exists():
        result.image_id = iid_file.read_text().strip()
    else:
        result.error = _failure_message(service.name, lines, code, log_path, settings)
    progress.finish(result)
    return result


def _count_step(result, line, progress):
    step = STEP.match(line)
    if step and step.group(1) not in result.step_names:
        result.step_names[step.group(1)] = f"[{step.group(2)}] {step.group(3)}"
        result.steps += 1
        progress.step(result.service, result.step_names[step.group(1)])
    elif CACHED.match(line):
        result.cached += 1


def _failure_message(name, lines, code, log_path, settings):
    if code is None:
        return (
            f"build of service {name} timed out after {settings.build['timeout']} s "
            f"(shipyard.build.timeout); log: {log_path}"
        )
    step = ""
    for line in lines:
        found = FAILED_STEP.match(line)
        if found:
            step = f" at step [{found.group(1)}] {found.group(2)}"
    errors = [ERROR.match(line).group(1) for line in lines if ERROR.match(line)]
    if errors:
        reason = errors[-1]
    elif lines:
        reason = lines[-1]
    else:
        reason = f"exit {code}"
    return f"build of service {name} failed{step}: {reason.strip()} (log: {log_path})"
