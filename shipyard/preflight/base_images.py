"""Check that every base image of a Dockerfile is pinned.

A digest pins an image whatever its tag says. Otherwise the image needs a
tag other than `latest`. `scratch` and earlier stages need nothing. A
reference whose build arguments have no value is reported as unresolved,
never guessed.
"""

import re

from shipyard import imageref
from shipyard.preflight.dockerfiles import expand, global_args
from shipyard.preflight.findings import finding

RULE_IDS = frozenset(
    {
        "base-image-unpinned",
        "base-image-latest",
        "base-image-unresolved",
        "base-image-no-digest",
    }
)
LITERAL_LATEST = re.compile(r":latest$", re.IGNORECASE)


def check(path, instructions, *, build_args, platform, require_digest):
    """Return findings for the FROM lines (and `COPY --from=` images) of one file."""
    variables = global_args(instructions, build_args, platform)
    stages = set()
    findings = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            image, stage = _from_parts(instruction.values)
            findings += _check_image(
                path, instruction.start_line, image, variables, stages, require_digest
            )
            if stage:
                stages.add(stage.lower())
        elif instruction.keyword == "COPY":
            source = _copy_source(instruction.flags)
            if source and not source.isdigit():
                findings += _check_image(
                    path, instruction.start_line, source, variables, stages,
                    require_digest,
                )  # fmt: skip
    return findings


def _from_parts(values):
    image = values[0] if values else ""
    stage = values[2] if len(values) >= 3 and values[1].upper() == "AS" else ""
    return image, stage


def _copy_source(flags):
    for flag in flags:
        if flag.startswith("--from="):
            return flag.removeprefix("--from=")
    return ""


def _check_image(path, line, text, variables, stages, require_digest):
    expansion = expand(text, variables)
    if expansion.unresolved:
        return _unresolved(path, line, text, expansion.unresolved)
    resolved = expansion.value
    if resolved.lower() == "scratch" or resolved.lower() in stages:
        return []
    return _check_reference(path, line, text, resolved, require_digest)


def _unresolved(path, line, text, names):
    """Report the missing arguments, and a literal `:latest` that fails anyway."""
    listed = ", ".join(dict.fromkeys(names))
    message = f"base image {text!r} uses build argument {listed} with no value"
    findings = [finding("base-image-unresolved", path, line, message)]
    if "@" not in text and LITERAL_LATEST.search(text):
        findings.append(_latest(path, line, text))
    return findings


def _check_reference(path, line, text, resolved, require_digest):
    shown = text if text == resolved else f"{text!r} ({resolved})"
    try:
        reference = imageref.parse(resolved)
    except imageref.InvalidReference as error:
        return [finding("base-image-unresolved", path, line, f"{shown}: {error}")]
    if reference.digest:
        return []
    if not reference.tag:
        message = f"base image {shown} has no tag or digest"
        return [finding("base-image-unpinned", path, line, message)]
    if reference.tag.lower() == "latest":
        return [_latest(path, line, shown)]
    if require_digest:
        message = f"base image {shown} has no digest (require_digest is on)"
        return [finding("base-image-no-digest", path, line, message)]
    return []


def _latest(path, line, shown):
    message = f"base image {shown} uses the 'latest' tag"
    return finding("base-image-latest", path, line, message)
