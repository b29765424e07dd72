"""GitHub Actions integration: step summary, annotations, commit comments.

Everything here reads the variables the Actions runner sets
(`GITHUB_ACTIONS`, `GITHUB_STEP_SUMMARY`, `GITHUB_API_URL`,
`GITHUB_REPOSITORY`), plus `GITHUB_TOKEN` that a workflow passes. No URL
is built in: the REST API base always comes from `GITHUB_API_URL`.
"""

import os
import re

from shipyard import process
from shipyard.errors import ConfigError, ShipyardError

EMPTY_CELL = "—"
REPOSITORY_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{7,40}$")
REQUEST_TIMEOUT = 15


def in_actions(environ=None):
    """Return True when running as a GitHub Actions step."""
    environ = os.environ if environ is None else environ
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_command_data(text):
    """Escape `text` for the message part of a workflow command (`::error::`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def error_annotation(message):
    """Return the `::error::` workflow command for `message`, secrets masked."""
    return f"::error::{escape_command_data(process.mask(message))}"


def write_step_summary(result, environ=None):
    """Append a markdown section for a phase's result to `GITHUB_STEP_SUMMARY`.

    Does nothing when the variable is unset, so tasks call it
    unconditionally. `result` is a `shipyard.pipeline.PhaseResult`.
    """
    environ = os.environ if environ is None else environ
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    text = phase_markdown(result)
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text)
    except OSError as error:
        raise ShipyardError(
            f"cannot append to GITHUB_STEP_SUMMARY file {path}: {error.strerror}"
        ) from None


def phase_markdown(result):
    """Return the markdown section for one phase: a heading and an image table."""
    heading = (
        f"### shipyard {result.phase}: {_cell(result.detail)} "
        f"({result.seconds:.1f} s)\n\n"
    )
    rows = _rows(result)
    if not rows:
        return heading
    lines = [
        "| service | tags | digest | size | scan | time |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return heading + "\n".join(lines) + "\n\n"


def _rows(result):
    """Return `(service, tags, digest, size, scan, time)` rows for a phase."""
    phase_time = f"{result.seconds:.1f} s"
    if result.phase == "manifest":
        images = result.data.get("manifest", {}).get("images", {})
    else:
        images = result.data.get("images", {})
    release = result.data.get("release")
    rows = []
    for name, image in sorted(images.items()):
        tags = image.get("tags") or (release.tags if release is not None else [])
        seconds = image.get("seconds")
        rows.append(
            (
                name,
                ", ".join(f"`{tag}`" for tag in tags) or EMPTY_CELL,
                f"`{image['digest']}`" if image.get("digest") else EMPTY_CELL,
                _size(image.get("size_bytes")),
                scan_text(image.get("scan")),
                f"{seconds:.1f} s" if seconds is not None else phase_time,
            )
        )
    return rows


def _size(size_bytes):
    if not size_bytes:
        return EMPTY_CELL
    return f"{size_bytes / 1024 / 1024:.1f} MiB"


def scan_text(scan):
    """Return a short description of an image's scan result for a table cell."""
    if not scan:
        return EMPTY_CELL
    if scan.get("skipped"):
        return f"not checked ({scan['skipped']})"
    counts = scan.get("counts") or {}
    found = ", ".join(f"{severity} {count}" for severity, count in counts.items())
    verdict = "failed" if scan.get("failed") else "passed"
    return f"{verdict}: {found or 'no findings'}"


def _cell(value):
    """Make `value` safe inside a markdown table cell."""
    text = process.mask(str(value))
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def release_comment(data):
    """Return the markdown body of a release commit comment from manifest `data`."""
    lines = [
        (
            f"**shipyard release `{data['release_id']}`** from branch "
            f"`{data['branch']}` (commit `{data['short_sha']}`)"
        ),
        "",
        "| service | digest | size | tags |",
        "| --- | --- | --- | --- |",
    ]
    for name, image in sorted(data["images"].items()):
        tags = ", ".join(f"`{tag}`" for tag in image["tags"])
        lines.append(
            f"| {_cell(name)} | `{image['reference']}` | "
            f"{_size(image.get('size_bytes'))} | {tags} |"
        )
    registry = data.get("registry", {})
    lines += ["", f"Registry: `{registry.get('address', EMPTY_CELL)}`"]
    return "\n".join(lines) + "\n"


def api_settings(environ=None):
    """Return `(api_url, repository, token)` from the Actions variables.

    Raises one `ConfigError` naming every missing variable, or the first
    invalid one. The token is registered as a secret before this returns.
    """
    environ = os.environ if environ is None else environ
    names = ("GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY")
    missing = [name for name in names if not environ.get(name, "").strip()]
    if missing:
        raise ConfigError(
            f"{', '.join(missing)} not set; `inv notify` needs GITHUB_TOKEN, "
            "GITHUB_API_URL and GITHUB_REPOSITORY (the Actions runner sets the "
            "last two, and the workflow passes the token)"
        )
    token = environ["GITHUB_TOKEN"].strip()
    process.register_secret(token)
    api_url = environ["GITHUB_API_URL"].strip().rstrip("/")
    if not api_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"GITHUB_API_URL: {api_url!r} is not an http:// or https:// URL"
        )
    repository = environ["GITHUB_REPOSITORY"].strip()
    if not REPOSITORY_NAME.match(repository):
        raise ConfigError(
            f"GITHUB_REPOSITORY: {repository!r} is not of the form owner/name"
        )
    return api_url, repository, token


def post_commit_comment(api_url, repository, token, sha, body):
    """Create a commit comment through the REST API; return the comment's URL.

    The token goes only into the Authorization header. Redirects are not
    followed, so the header cannot reach another host.
    """
    import requests

    if not COMMIT_SHA.match(sha):
        raise ConfigError(f"commit {sha!r} is not a hexadecimal commit SHA")
    url = f"{api_url}/repos/{repository}/commits/{sha}/comments"
    headers = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {token}",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    try:
        response = requests.post(
            url,
            json={"body": body},
            headers=headers,
            timeout=REQUEST_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise ShipyardError(
            f"POST {url} failed: {process.mask(str(error))}; check GITHUB_API_URL"
        ) from None
    if response.status_code != 201:
        raise ShipyardError(
            f"POST {url} returned HTTP {response.status_code}: "
            f"{_api_message(response)}; check that GITHUB_TOKEN may write "
            "contents of the repository"
        )
    try:
        return response.json().get("html_url", url)
    except ValueError:
        return url


def _api_message(response):
    try:
        message = response.json().get("message", "")
    except (ValueError, AttributeError):
        message = response.text[:200]
    return process.mask(str(message)) or "no message"
