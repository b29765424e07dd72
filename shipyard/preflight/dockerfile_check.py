"""Run the Dockerfile checks: base image pinning and literal secrets."""

from shipyard.preflight import base_images
from shipyard.preflight.dockerfiles import (
    DockerfileError,
    arg_pairs,
    env_pairs,
    line_of,
    parse,
)
from shipyard.preflight.findings import finding, mask
from shipyard.preflight.secrets import judge, scan_text_line

ALLOWLIST_PRAGMA = "pragma: allowlist secret"
# The instructions BuildKit's Dockerfile frontend accepts. Its parser reads
# any word as a keyword and only the build rejects an unknown one.
KNOWN_INSTRUCTIONS = frozenset({
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM",
    "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL",
    "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
})
PAIR_INSTRUCTIONS = ("ENV", "LABEL")


def check(path, text, *, build_args, platform, require_digest, rules):
    """Return findings for Dockerfile `text`, shown as `path`.

    `rules` is the set of rule ids that are selected.
    """
    try:
        instructions = parse(text)
    except DockerfileError as error:
        return [
            finding(
                "dockerfile-invalid", path, 1, f"Dockerfile does not parse: {error}"
            )
        ]
    unknown = [item for item in instructions if item.keyword not in KNOWN_INSTRUCTIONS]
    if unknown:
        first = unknown[0]
        return [
            finding(
                "dockerfile-invalid", path, first.start_line,
                f"unknown instruction {first.keyword}; BuildKit rejects it at "
                "build time",
            )
        ]  # fmt: skip
    if not any(item.keyword == "FROM" for item in instructions):
        return [finding("dockerfile-invalid", path, 1, "no FROM instruction")]
    findings = []
    if rules & base_images.RULE_IDS:
        findings += base_images.check(
            path, instructions, build_args=build_args, platform=platform,
            require_digest=require_digest,
        )  # fmt: skip
        findings = [item for item in findings if item.rule in rules]
    if "secret-in-dockerfile" in rules:
        findings += secrets(path, text, instructions)
    return findings


def secrets(path, text, instructions):
    """Return `secret-in-dockerfile` findings for literal secrets in `instructions`."""
    lines = text.splitlines()
    found = []
    for instruction in instructions:
        for line, reason, secret in _instruction_secrets(instruction, lines):
            if ALLOWLIST_PRAGMA not in lines[line - 1]:
                message = f"{reason} ({instruction.keyword}): {mask(secret)}"
                found.append(
                    finding("secret-in-dockerfile", path, line, message, secret=secret)
                )
    return found


def _instruction_secrets(instruction, lines):
    """Yield (line, reason, secret) for one instruction."""
    start, end = instruction.start_line, instruction.end_line
    if instruction.keyword in PAIR_INSTRUCTIONS:
        pairs = env_pairs(instruction)
    elif instruction.keyword == "ARG":
        pairs = ((name, value) for name, value in arg_pairs(instruction) if value)
    else:
        yield from _shell_secrets(instruction, lines)
        return
    for name, value in pairs:
        verdict = judge(name, value)
        if verdict:
            yield line_of(lines, start, end, name), verdict[0], verdict[1]


def _shell_secrets(instruction, lines):
    """Scan the instruction's own lines and each heredoc body line by line."""
    body_lines = set()
    for first, body in instruction.heredocs:
        for offset, text in enumerate(body.splitlines()):
            body_lines.add(first + offset)
            for reason, secret in scan_text_line(text):
                yield first + offset, f"{reason} in a heredoc", secret
    for number in range(instruction.start_line, instruction.end_line + 1):
        if number in body_lines or number > len(lines):
            continue
        for reason, secret in scan_text_line(lines[number - 1]):
            yield number, reason, secret
