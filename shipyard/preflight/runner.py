"""Run the selected preflight checks and collect a `Report`."""

import time

from shipyard.errors import ConfigError, UsageError
from shipyard.preflight import project as project_files
from shipyard.preflight.findings import RULES, Report, finding

SECRET_RULES = ("secret-in-dockerfile", "secret-in-compose", "secret-in-env-file")
DOCKERFILE_RULES = frozenset(
    {
        "base-image-unpinned",
        "base-image-latest",
        "base-image-unresolved",
        "base-image-no-digest",
        "dockerfile-invalid",
        "secret-in-dockerfile",
    }
)
# Rules that run inside `shipyard.preflight.image_scan.scan_image`, after a build.
BUILD_ONLY_RULES = frozenset({"image-secret"})


def split_rule_ids(values):
    """Return rule ids from repeatable, comma-separated option values."""
    ids = []
    for value in values or ():
        ids += [part.strip() for part in str(value).split(",") if part.strip()]
    return ids


def select_rules(only=(), skip=(), configured_skip=(), detect_secrets=True):
    """Return the set of rule ids to run; raise `UsageError` naming an unknown id."""
    only, skip = split_rule_ids(only), split_rule_ids(skip)
    for rule in only + skip + list(configured_skip):
        if rule not in RULES:
            known = ", ".join(sorted(RULES))
            raise UsageError(f"unknown rule id {rule!r}; valid rule ids are {known}")
    selected = set(only) if only else set(RULES)
    selected -= set(skip) | set(configured_skip)
    if not detect_secrets:
        selected.discard("detect-secrets")
    return selected


def run(settings, *, only=(), skip=(), build_args=None, require_digest=None):
    """Run the preflight checks over the repository containing `settings.root`.

    `only` and `skip` take rule ids. `build_args` (name -> value) adds to
    `preflight.build_args` and each service's `build_args` when base image
    references are resolved. `require_digest` overrides
    `preflight.require_digest`. Raises `UsageError` or `ConfigError`
    before any check runs.
    """
    options = settings.preflight
    rules = select_rules(only, skip, options["skip"], options["detect_secrets"])
    if require_digest is None:
        require_digest = options["require_digest"]
    project = project_files.load(settings.root)
    report = Report(checks=sorted(rules - BUILD_ONLY_RULES))
    started = time.monotonic()
    context = _Context(settings, project, rules, build_args or {}, require_digest)
    for check in (_env_files, _dockerfiles, _compose_secrets, _dockerignore,
                  _detect_secrets, _aws, _compose_valid):  # fmt: skip
        report.add(check(context, report))
    report.findings = _drop_suppressed(report.findings, context.baseline_hashes())
    report.notes.append(f"checks took {time.monotonic() - started:.2f} s")
    return report


class _Context:
    def __init__(self, settings, project, rules, build_args, require_digest):
        self.settings = settings
        self.project = project
        self.rules = rules
        self.build_args = {str(k): str(v) for k, v in build_args.items()}
        self.require_digest = require_digest
        self.baseline = settings.root / settings.preflight["baseline"]

    def wants(self, *rules):
        return any(rule in self.rules for rule in rules)

    def baseline_hashes(self):
        from shipyard.preflight.detect import _read_baseline, _suppressed

        return _suppressed(_read_baseline(self.baseline))


def _env_files(context, report):
    from shipyard.preflight import env_files

    findings = []
    allowlist = context.settings.preflight["env_allowlist"]
    if context.wants("env-file-tracked"):
        findings += env_files.tracked_env_files(context.project.tracked, allowlist)
    if context.wants("secret-in-env-file"):
        for path in project_files.env_files(context.project):
            text = context.project.text(path)
            findings += env_files.scan(path, text) if text is not None else []
    return findings


def _dockerfiles(context, report):
    from shipyard.preflight import dockerfile_check

    if not context.rules & DOCKERFILE_RULES:
        return []
    findings = []
    for path, build_args in _dockerfile_build_args(context).items():
        text = context.project.text(path)
        if text is None:
            report.notes.append(f"skipped {path}: not readable as UTF-8 text")
            continue
        findings += dockerfile_check.check(
            path, text, build_args=build_args,
            platform=project_files.host_platform(context.settings.build["platform"]),
            require_digest=context.require_digest, rules=context.rules,
        )  # fmt: skip
    return findings


def _dockerfile_build_args(context):
    """Return {Dockerfile path: build args} for tracked and service Dockerfiles."""
    shared = {**context.settings.preflight["build_args"], **context.build_args}
    shared = {str(k): str(v) for k, v in shared.items()}
    paths = {path: dict(shared) for path in project_files.dockerfiles(context.project)}
    for service in context.settings.services:
        path = context.project.relative(service.dockerfile)
        paths[path] = {**service.build_args, **shared}
    return paths


def _compose_secrets(context, report):
    from shipyard.preflight import compose_check

    if not context.wants("secret-in-compose"):
        return []
    findings = []
    for full_path, shown in project_files.compose_files(
        context.project, context.settings
    ):
        text = full_path.read_text(encoding="utf-8", errors="replace")
        findings += compose_check.secrets(shown, text)
    return findings


def _dockerignore(context, report):
    from shipyard.preflight import dockerignore

    if not context.wants("dockerignore-missing"):
        return []
    findings = []
    for service in context.settings.services:
        relative = context.project.relative(service.context)
        findings += dockerignore.check(service, relative)
    return findings


def _detect_secrets(context, report):
    from shipyard.preflight import detect

    if not context.wants("detect-secrets"):
        return []
    found = detect.scan(
        context.project.top, context.project.tracked, context.baseline, report.notes
    )
    # One finding per line: shipyard's own secret rules already name these.
    taken = {(item.file, item.line) for item in report.findings}
    return [item for item in found if (item.file, item.line) not in taken]


def _aws(context, report):
    from shipyard.preflight import aws

    if not context.wants("aws-credentials") or not context.settings.registry.is_ecr:
        return []
    return aws.check(context.settings.registry)


def _compose_valid(context, report):
    from shipyard.preflight import compose_check

    if not context.wants("compose-invalid"):
        return []
    findings = []
    configured = context.settings.deploy["compose_file"]
    if not (context.settings.root / configured).is_file():
        message = f"compose file {configured} (deploy.compose_file) not found"
        findings.append(
            finding("compose-invalid", configured, 0, message, severity="warning")
        )
    for full_path, shown in project_files.compose_files(
        context.project, context.settings
    ):
        findings += compose_check.validate(full_path, shown)
    return findings


def _drop_suppressed(findings, accepted):
    """Drop secret findings whose (file, secret hash) a baseline accepts."""
    return [
        item
        for item in findings
        if not (item.secret_hash and (item.file, item.secret_hash) in accepted)
    ]


def write_baseline(settings, *, build_args=None):
    """Write `preflight.baseline` from the current secrets; return the entry count."""
    from shipyard.preflight import detect

    report = run(settings, only=SECRET_RULES, build_args=build_args)
    project = project_files.load(settings.root)
    path = settings.root / settings.preflight["baseline"]
    if path.is_dir():
        raise ConfigError(f"shipyard.preflight.baseline: {path} is a folder")
    secrets = [item for item in report.findings if item.secret_hash]
    return detect.write_baseline(path, project.top, project.tracked, secrets)
