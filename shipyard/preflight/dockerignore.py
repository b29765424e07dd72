"""Warn when a build context's .dockerignore lets `.env` files or `.git` in."""

import re

from shipyard.preflight.findings import WARNING, finding

# Names probed at the root of each build context. An env file usually
# appears there on a developer machine or build host after checkout.
PROBES = (".env", ".env.local", ".env.production", ".git")


def check(service, relative_context):
    """Return a `dockerignore-missing` warning for `service` when a probe is let in."""
    ignore_file = _ignore_file(service)
    patterns = _patterns(ignore_file) if ignore_file else []
    let_in = [name for name in PROBES if not is_excluded(name, patterns)]
    if not let_in:
        return []
    shown = ignore_file.name if ignore_file else ".dockerignore"
    state = "does not exclude" if ignore_file else "is missing, so nothing excludes"
    message = f"{shown} in build context of {service.name} {state} {', '.join(let_in)}"
    path = f"{relative_context}/{shown}" if relative_context != "." else shown
    return [finding("dockerignore-missing", path, 0, message, severity=WARNING)]


def _ignore_file(service):
    """Return the ignore file BuildKit uses: `<Dockerfile>.dockerignore` first."""
    beside = service.dockerfile.with_name(service.dockerfile.name + ".dockerignore")
    for candidate in (beside, service.context / ".dockerignore"):
        if candidate.is_file():
            return candidate
    return None


def _patterns(path):
    patterns = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        body = line[1:].strip() if negated else line
        body = body.lstrip("/").rstrip("/")
        if body:
            patterns.append((negated, _pattern_regex(body)))
    return patterns


def _pattern_regex(pattern):
    """Translate a .dockerignore pattern (Go filepath.Match plus `**`) to a regex."""
    parts = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        parts.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    # A pattern that matches a folder excludes everything below it.
    return re.compile("^" + "".join(parts) + "(?:/.*)?$")


def is_excluded(path, patterns):
    """Return True when the last pattern matching `path` excludes it."""
    excluded = False
    for negated, regex in patterns:
        if regex.match(path):
            excluded = not negated
    return excluded
