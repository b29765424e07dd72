"""The release phases, callable without Invoke.

Each phase reads what the earlier ones left in the state folder, so it can
run alone in a fresh process (one CI step each):

    preflight -> ecr-login -> build -> push -> verify -> manifest

`release()` runs them in order and stops at the first failure. The
manifest is written last and only when every phase before it passed.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from shipyard import (
    builder,
    engine,
    local_registry,
    login,
    manifest,
    progress,
    pusher,
    release_info,
    state,
    verifier,
)
from shipyard.errors import PreflightFailed, ShipyardError, StateError


@dataclass
class PhaseResult:
    phase: str
    seconds: float = 0.0
    detail: str = ""
    data: dict = field(default_factory=dict)


def preflight(settings, only=(), skip=(), build_args=None, output=True):
    """Run the preflight checks; raise `PreflightFailed` when any fails.

    With `output`, findings and warnings are printed grouped by file.
    """
    from shipyard import preflight as checks

    report = checks.run(settings, only=only, skip=skip, build_args=build_args)
    if output and (report.findings or report.warnings):
        checks.render(report)
    if report.failed:
        raise PreflightFailed(
            f"preflight found {len(report.findings)} problem(s); fix them, or "
            "record reviewed false positives with `inv preflight --update-baseline`"
        )
    return PhaseResult("preflight", detail=f"{len(report.warnings)} warning(s)")


def scan_images(settings, release, results):
    """Scan each built image's layers for secrets; raise `PreflightFailed` on findings.

    Returns `(scanned, reused)`: an image whose id (a hash of its content)
    already passed a scan by this shipyard version is not scanned again.
    Skipped when `image-secret` is in `preflight.skip`.
    """
    from shipyard import __version__
    from shipyard import preflight as checks
    from shipyard.preflight.image_scan import scan_image

    if "image-secret" in settings.preflight["skip"]:
        return 0, 0
    clean = _clean_scans(settings)
    todo = [result for result in results if clean.get(result.image_id) != __version__]
    references = [
        f"{settings.image_name(settings.service(result.service))}:{release.tags[0]}"
        for result in todo
    ]
    report = checks.Report(checks=["image-secret"])
    with ThreadPoolExecutor(max_workers=max(1, len(references))) as pool:
        for result, findings in zip(todo, pool.map(scan_image, references)):
            report.add(findings)
            if not findings:
                clean[result.image_id] = __version__
    state.save(settings, "image-scans", clean)
    if report.findings or report.warnings:
        checks.render(report)
    if report.failed:
        raise PreflightFailed(
            f"image scan found {len(report.findings)} secret(s) in built images; "
            "keep them out of the build context (.dockerignore) and rebuild"
        )
    return len(todo), len(results) - len(todo)


def _clean_scans(settings):
    """Return image id -> shipyard version of the scans that found nothing."""
    try:
        return state.load(settings, "image-scans", needed_by="build")
    except StateError:
        return {}


def registry_login(settings):
    """Start or create what the registry needs and log the engine into it."""
    engine.check(settings)
    detail = login.login(settings)
    return PhaseResult("ecr-login", detail=detail)


def build(settings, allow_dirty=False, no_cache=False, reporter=None):
    """Build every service and record the images for `push`."""
    engine.check(settings)
    release = release_info.create(settings, allow_dirty=allow_dirty)
    state.clear(settings, "build", "push", "verify")
    with reporter or progress.for_terminal() as shown:
        results = builder.build_all(
            settings, release, settings.services, shown, no_cache=no_cache
        )
    scanned, reused = scan_images(settings, release, results)
    images = {
        result.service: {
            "image_id": result.image_id,
            "seconds": round(result.seconds, 2),
            "steps": result.steps,
            "cached": result.cached,
            "log": result.log_path,
        }
        for result in results
    }
    state.save(settings, "build", {"release": release.to_dict(), "images": images})
    cached = sum(result.cached for result in results)
    steps = sum(result.steps for result in results)
    return PhaseResult(
        "build",
        detail=f"{len(results)} images, {cached}/{steps} steps cached, "
        f"{scanned} scanned for secrets"
        + (f", {reused} unchanged since a clean scan" if reused else ""),
        data={"release": release, "images": images},
    )


def push(settings):
    """Push the images `build` made under every release tag."""
    built = state.load(settings, "build", needed_by="push")
    release = release_info.ReleaseInfo.from_dict(built["release"])
    release_info.check_same_commit(release, settings, "push")
    state.clear(settings, "push", "verify")
    engine.check(settings)
    _check_local_images(settings, release, built["images"])
    if settings.registry.is_embedded:
        local_registry.ensure_running(settings)
    pushed = pusher.push_all(settings, release, built["images"])
    state.save(settings, "push", {"release": release.to_dict(), "images": pushed})
    return PhaseResult(
        "push",
        detail=f"{len(pushed)} images x {len(release.tags)} tags "
        f"({', '.join(release.tags)})",
        data={"images": pushed},
    )


def verify(settings):
    """Check that the registry has every pushed image under every tag."""
    pushed = state.load(settings, "push", needed_by="verify")
    state.clear(settings, "verify")
    verified, requests = verifier.verify_all(settings, pushed["images"])
    state.save(settings, "verify", {"release": pushed["release"], "images": verified})
    return PhaseResult(
        "verify",
        detail=f"{len(verified)} images, {requests} registry requests",
        data={"images": verified, "requests": requests},
    )


def write_manifest(settings, path=None):
    """Write `image-manifest.json` from the verified images, atomically."""
    verified = state.load(settings, "verify", needed_by="manifest")
    built = state.load(settings, "build", needed_by="manifest")
    if verified["release"]["release_id"] != built["release"]["release_id"]:
        raise StateError(
            "the verified images belong to release "
            f"{verified['release']['release_id']}, not the latest build "
            f"{built['release']['release_id']}; run `inv push` and `inv verify` again"
        )
    release = release_info.ReleaseInfo.from_dict(verified["release"])
    data = manifest.build(release, verified["images"], settings.registry)
    target = path or settings.manifest_path
    manifest.write_atomic(target, data)
    return PhaseResult("manifest", detail=str(target), data={"manifest": data})


def _check_local_images(settings, release, images):
    from python_on_whales import DockerClient
    from python_on_whales.exceptions import NoSuchImage

    docker = DockerClient(config=engine.config_dir(settings))
    for name, image in images.items():
        reference = f"{settings.image_name(settings.service(name))}:{release.tags[0]}"
        try:
            found = docker.image.inspect(reference)
        except NoSuchImage:
            found = None
        if found is None or found.id != image["image_id"]:
            raise StateError(
                f"local image {reference} is missing or was rebuilt since "
                "`inv build`; run `inv build` again"
            )


def timed(phase_function, *args, **kwargs):
    """Run a phase and fill in its `seconds`."""
    started = time.monotonic()
    result = phase_function(*args, **kwargs)
    result.seconds = time.monotonic() - started
    return result


def release(settings, allow_dirty=False, no_cache=False, skip_preflight=False,
            announce=print):
    """Run every phase in order; stop at the first failure.

    `announce` receives one line per phase. Returns the list of
    `PhaseResult`s; raises the failing phase's `ShipyardError` with the
    phase named.
    """
    steps = [
        ("preflight", lambda: preflight(settings)),
        ("ecr-login", lambda: registry_login(settings)),
        ("build", lambda: build(settings, allow_dirty=allow_dirty, no_cache=no_cache)),
        ("push", lambda: push(settings)),
        ("verify", lambda: verify(settings)),
        ("manifest", lambda: write_manifest(settings)),
    ]
    if skip_preflight:
        steps = steps[1:]
    results = []
    for name, run_phase in steps:
        announce(f"==> {name}")
        started = time.monotonic()
        try:
            result = run_phase()
        except ShipyardError as error:
            seconds = time.monotonic() - started
            announce(f"    {name} FAILED after {seconds:.1f} s")
            error.args = (f"{name}: {error}",)
            raise
        result.seconds = time.monotonic() - started
        announce(f"    {name} done in {result.seconds:.1f} s: {result.detail}")
        results.append(result)
    return results
