"""Check compose files: literal secrets, and `docker compose config` validation."""

import io
import os
import tempfile
from pathlib import Path

from shipyard import process
from shipyard.errors import CommandError
from shipyard.preflight.findings import finding, mask
from shipyard.preflight.secrets import judge

ALLOWLIST_PRAGMA = "pragma: allowlist secret"
CONFIG_TIMEOUT = 60  # seconds for one `docker compose config`


ENV_TEMPLATES = (".env.example", ".env.sample", ".env.template", ".env.dist")


def load_yaml(text):
    """Return the round-trip YAML document of `text`, which keeps line numbers."""
    from ruamel.yaml import YAML

    return YAML(typ="rt").load(io.StringIO(text))


def secrets(path, text):
    """Return `secret-in-compose` findings for `environment` and `build.args` values."""
    from ruamel.yaml import YAMLError

    try:
        document = load_yaml(text)
    except YAMLError:
        return []  # compose-invalid reports the parse error
    lines = text.splitlines()
    findings = []
    for name, value, line in _variables(document):
        verdict = judge(name, value)
        if verdict and ALLOWLIST_PRAGMA not in lines[line - 1]:
            message = f"{verdict[0]}: {mask(verdict[1])}"
            findings.append(
                finding("secret-in-compose", path, line, message, secret=verdict[1])
            )
    return findings


def _variables(document):
    """Yield (name, value, line) for every environment entry and build argument."""
    services = document.get("services") if hasattr(document, "get") else None
    if not hasattr(services, "items"):
        return
    for service in services.values():
        if not hasattr(service, "get"):
            continue
        yield from _entries(service.get("environment"))
        build = service.get("build")
        if hasattr(build, "get"):
            yield from _entries(build.get("args"))


def _entries(node):
    """Yield (name, value, line) from a compose list (`- K=V`) or mapping (`K: V`)."""
    if hasattr(node, "items"):
        for key, value in node.items():
            if value is not None and not hasattr(value, "items"):
                yield str(key), str(value), node.lc.key(key)[0] + 1
    elif isinstance(node, list):
        for index, item in enumerate(node):
            name, equals, value = str(item).partition("=")
            if equals:
                yield name, value, node.lc.item(index)[0] + 1


def validate(path, display):
    """Return a `compose-invalid` finding when `docker compose config` rejects `path`.

    Env files the compose file names are made optional for the check, so a
    file that needs the untracked `.env` of each host still validates. When
    that `.env` is absent, a template beside it (`.env.example`, ...) fills
    in variables that interpolation requires (`${VAR:?message}`).
    """
    with tempfile.TemporaryDirectory(prefix="shipyard-compose-") as temp:
        checked = _with_optional_env_files(path, Path(temp))
        argv = [
            "docker", "compose", "-f", checked,
            "--project-directory", path.parent, *_template_env_file(path, Path(temp)),
            "config", "-q",
        ]  # fmt: skip
        try:
            process.run(argv, cwd=path.parent, timeout=CONFIG_TIMEOUT,
                        what=f"docker compose config for {display}")  # fmt: skip
        except CommandError as error:
            return [finding("compose-invalid", display, 0, _reason(error))]
    return []


def _template_env_file(path, temp):
    """Return `--env-file FILE` made from a template when the folder has no `.env`.

    Empty template values get a placeholder, because `${VAR:?message}`
    rejects an empty value and the real one only exists on each host.
    """
    if (path.parent / ".env").exists():
        return []
    for name in ENV_TEMPLATES:
        template = path.parent / name
        if template.is_file():
            filled = temp / "template.env"
            lines = template.read_text(encoding="utf-8", errors="replace").splitlines()
            filled.write_text("".join(_fill(line) + "\n" for line in lines))
            return ["--env-file", filled]
    return []


def _fill(line):
    name, equals, value = line.partition("=")
    if equals and not value.strip() and not name.lstrip().startswith("#"):
        return f"{name}=placeholder"
    return line


def _reason(error):
    lines = [
        line for line in error.stderr_tail.splitlines() if "level=warning" not in line
    ]
    return lines[-1] if lines else str(error)


def _with_optional_env_files(path, temp):
    """Return `path`, or a copy whose `env_file` entries carry `required: false`."""
    from ruamel.yaml import YAML, YAMLError

    yaml = YAML(typ="rt")
    try:
        document = yaml.load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError):
        return path  # docker compose reports the parse error itself
    if not _make_env_files_optional(document):
        return path
    copy = temp / path.name
    with open(copy, "w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    os.chmod(copy, 0o600)
    return copy


def _make_env_files_optional(document):
    changed = False
    services = document.get("services") if hasattr(document, "get") else None
    for service in (services or {}).values():
        if not hasattr(service, "get") or service.get("env_file") is None:
            continue
        entries = service["env_file"]
        entries = entries if isinstance(entries, list) else [entries]
        service["env_file"] = [_optional(entry) for entry in entries]
        changed = True
    return changed


def _optional(entry):
    if hasattr(entry, "items"):
        return {**entry, "required": False}
    return {"path": str(entry), "required": False}
