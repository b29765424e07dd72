"""Run detect-secrets over tracked files, honouring a detect-secrets baseline.

detect-secrets applies every plugin to every line, twice for files where
the first pass finds nothing. Most files of a repository cannot match any
plugin, so the active plugins' own patterns pick the files worth scanning
first. A file that none of them matches cannot produce a finding, so
skipping it loses none.
"""

import json
import math
import os
import re
from pathlib import Path

from shipyard.errors import ConfigError
from shipyard.preflight.findings import finding

MAX_FILE_BYTES = 2 * 1024 * 1024  # larger files are skipped and listed in the notes
PARALLEL_FROM = (
    200  # candidate files; below this a process pool costs more than it saves
)
INI_SECTION = re.compile(rb"^\s*\[[^\]\n]+\]\s*$", re.MULTILINE)
YAML_SUFFIXES = (".yaml", ".yml", ".eyaml")


def scan(root, tracked, baseline_path, notes):
    """Return `detect-secrets` findings for the `tracked` files under `root`.

    `baseline_path` names a detect-secrets baseline; its entries are
    suppressed unless audited as real secrets (`is_secret: true`).
    """
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings, transient_settings

    baseline = _read_baseline(baseline_path)
    relative_baseline = _relative(baseline_path, root)
    settings = transient_settings(baseline) if baseline else default_settings()
    with settings:
        _exclude_baseline_file(relative_baseline)
        candidates = select_candidates(root, tracked, notes)
        collection = SecretsCollection(root=str(root))
        _scan(collection, candidates)
    suppressed = _suppressed(baseline)
    return [
        _finding(filename, secret)
        for filename, secret in _secrets(collection)
        if (filename, secret.secret_hash) not in suppressed
    ]


def collect(root, tracked):
    """Return a `SecretsCollection` of the current secrets, for a new baseline."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    with default_settings():
        collection = SecretsCollection(root=str(root))
        _scan(collection, select_candidates(root, tracked, []))
        return collection


def _scan(collection, candidates):
    if len(candidates) >= PARALLEL_FROM:
        collection.scan_files(*candidates)
        return
    for path in candidates:
        collection.scan_file(path)


def select_candidates(root, tracked, notes):
    """Return the tracked text files in which some active plugin could match."""
    pattern = candidate_pattern()
    candidates = []
    for path in tracked:
        data = _read(root / path, path, notes)
        if data is None:
            continue
        if pattern is None or _could_match(pattern, path, data):
            candidates.append(path)
    return candidates


def _read(full_path, path, notes):
    try:
        if full_path.is_symlink() or not full_path.is_file():
            return None
        if full_path.stat().st_size > MAX_FILE_BYTES:
            notes.append(
                f"detect-secrets skipped {path}: larger than {MAX_FILE_BYTES} bytes"
            )
            return None
        return full_path.read_bytes()
    except OSError:
        return None


def _could_match(pattern, path, data):
    patterns, unquoted = pattern
    if b"\0" in data[:8192]:
        return False  # binary: detect-secrets cannot decode it either
    if any(regex.search(data) for regex in patterns):
        return True
    # YAML and INI transformers add quotes around bare values, so the
    # high-entropy plugins may match a value without quotes there.
    if path.endswith(YAML_SUFFIXES) or INI_SECTION.search(data):
        return bool(unquoted.search(data))
    return False


def candidate_pattern():
    """Return (patterns, unquoted) byte patterns, or None if a plugin is unknown.

    `patterns` lists every regex plugin's patterns, the keyword plugin's
    keywords and quoted high-entropy runs long enough to pass the
    plugin's entropy limit (Shannon entropy of n characters is at most
    log2(n)). `unquoted` is the same run without quotes.
    """
    from detect_secrets.settings import get_plugins

    parts, runs = [], []
    for plugin in get_plugins():
        name = type(plugin).__name__
        if name == "KeywordDetector":
            parts.append(_keyword_pattern())
        elif hasattr(plugin, "entropy_limit"):
            runs.append(_entropy_run(plugin))
        elif hasattr(plugin, "denylist"):
            parts += [_scoped(regex) for regex in plugin.denylist]
        else:
            return None
    parts += [rf"(['\"]){run}\1" for run in runs]
    # Separate searches: one alternation of every pattern is about ten times
    # slower in Python's re, because it tries each branch at each position.
    patterns = [re.compile(part.encode(), re.MULTILINE) for part in parts]
    unquoted = re.compile(("|".join(runs) or "(?!)").encode())
    return patterns, unquoted


def _keyword_pattern():
    from detect_secrets.plugins.keyword import DENYLIST

    return "(?i:" + "|".join(DENYLIST) + ")"


def _entropy_run(plugin):
    length = max(1, math.ceil(2**plugin.entropy_limit))
    return f"[{re.escape(plugin.charset)}]{{{length},}}"


def _scoped(regex):
    flags = "i" if regex.flags & re.IGNORECASE else ""
    flags += "s" if regex.flags & re.DOTALL else ""
    return f"(?{flags}:{regex.pattern})" if flags else f"(?:{regex.pattern})"


def _read_baseline(path):
    if not path or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"baseline {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict) or "results" not in data:
        raise ConfigError(
            f"baseline {path}: not a detect-secrets baseline (no results)"
        )
    return data


def _exclude_baseline_file(relative):
    from detect_secrets.settings import get_filters, get_settings

    if relative:
        get_settings().filters["detect_secrets.filters.common.is_baseline_file"] = {
            "filename": relative,
        }
        get_filters.cache_clear()


def _suppressed(baseline):
    """Return (file, hashed secret) pairs the baseline accepts."""
    accepted = set()
    for filename, entries in (baseline or {}).get("results", {}).items():
        for entry in entries:
            if entry.get("is_secret") is not True:
                accepted.add((filename, entry.get("hashed_secret")))
    return accepted


def _secrets(collection):
    for filename in sorted(collection.files):
        for secret in sorted(collection.data[filename], key=lambda s: s.line_number):
            yield filename, secret


def _finding(filename, secret):
    message = f"{secret.type} (detect-secrets)"
    item = finding("detect-secrets", filename, secret.line_number, message)
    return item.__class__(**{**item.__dict__, "secret_hash": secret.secret_hash})


def _relative(path, root):
    if not path:
        return ""
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return ""


def write_baseline(path, root, tracked, extra):
    """Write a detect-secrets baseline of the current secrets to `path`.

    `extra` lists shipyard's own secret findings; they are stored as
    "Secret Keyword" entries so the same baseline suppresses them.
    Audit flags (`is_secret`) from an existing baseline are kept.
    """
    from detect_secrets.core import baseline as ds_baseline
    from detect_secrets.settings import default_settings

    collection = collect(root, tracked)
    old = _read_baseline(path)
    with default_settings():
        output = ds_baseline.format_for_output(collection)
    results = output["results"]
    for item in extra:
        entries = results.setdefault(item.file, [])
        if not any(e["hashed_secret"] == item.secret_hash for e in entries):
            entries.append(_entry(item))
    _keep_audit_flags(results, old)
    Path(path).write_text(json.dumps(output, indent=2, sort_keys=True) + "\n")
    return sum(len(entries) for entries in results.values())


def _entry(item):
    return {
        "type": "Secret Keyword",
        "filename": item.file,
        "hashed_secret": item.secret_hash,
        "is_verified": False,
        "line_number": item.line,
    }


def _keep_audit_flags(results, old):
    flags = {}
    for filename, entries in (old or {}).get("results", {}).items():
        for entry in entries:
            if "is_secret" in entry:
                flags[(filename, entry["hashed_secret"])] = entry["is_secret"]
    for filename, entries in results.items():
        for entry in entries:
            flag = flags.get((filename, entry["hashed_secret"]))
            if flag is not None:
                entry["is_secret"] = flag
