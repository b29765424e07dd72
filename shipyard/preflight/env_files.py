"""Find env files in git's index and scan env files for literal secrets.

The index (`git ls-files`) is the truth: a file ignored by `.gitignore` but
committed earlier is still published with every clone.
"""

import fnmatch
import posixpath
import re

from shipyard.preflight.findings import finding, mask
from shipyard.preflight.secrets import judge, scan_text_line, unquote

TEMPLATE_SUFFIXES = frozenset({"example", "sample", "template", "dist", "tmpl", "tpl"})
LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*(.*?)\s*$")
ALLOWLIST_PRAGMA = "pragma: allowlist secret"


def is_env_file(path):
    """Return True for `.env`, `.env.*`, `name.env`, `.envrc` and their backups."""
    parts = posixpath.basename(path).split(".")
    return "env" in parts[1:] or "envrc" in parts[1:]


def is_template(path):
    """Return True when any suffix of the file name marks a template (`.example`)."""
    parts = posixpath.basename(path).split(".")
    return any(part.lower() in TEMPLATE_SUFFIXES for part in parts[1:])


def is_allowlisted(path, allowlist):
    """Return True when `path` matches an entry (a path or glob) of `allowlist`."""
    return any(path == entry or fnmatch.fnmatchcase(path, entry) for entry in allowlist)


def tracked_env_files(tracked, allowlist):
    """Return `env-file-tracked` findings for env files in git's index."""
    findings = []
    for path in tracked:
        if (
            not is_env_file(path)
            or is_template(path)
            or is_allowlisted(path, allowlist)
        ):
            continue
        message = f"env file {posixpath.basename(path)} is tracked by git"
        findings.append(finding("env-file-tracked", path, 0, message))
    return findings


def scan(path, text):
    """Return `secret-in-env-file` findings for each literal secret in env `text`."""
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOWLIST_PRAGMA in line or line.lstrip().startswith("#"):
            continue
        for reason, secret in _line_secrets(line):
            message = f"{reason}: {mask(secret)}"
            findings.append(
                finding("secret-in-env-file", path, number, message, secret=secret)
            )
    return findings


def _line_secrets(line):
    match = LINE.match(line)
    if not match:
        yield from scan_text_line(line)
        return
    value = _strip_comment(match.group(2))
    verdict = judge(match.group(1), unquote(value))
    if verdict:
        yield verdict


def _strip_comment(value):
    """Drop a ` # comment` after an unquoted value, as dotenv parsers do."""
    if value[:1] in "'\"":
        return value
    return value.split(" #", 1)[0].rstrip()
