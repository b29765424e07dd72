"""Findings, the report that collects them, and the catalogue of rule ids."""

import hashlib
from dataclasses import dataclass, field

ERROR = "error"
WARNING = "warning"

# Rule id -> (what the rule checks, how to fix a finding). The task's --help
# and docs/preflight.md list the same rules.
RULES = {
    "env-file-tracked": (
        "an env file (.env, .env.*, *.env, .envrc) is tracked by git",
        (
            "git rm --cached the file, rotate what it held, and commit a "
            "*.example template instead"
        ),
    ),
    "base-image-unpinned": (
        "a base image has no tag and no digest",
        "add a version tag, or a digest (image:tag@sha256:...)",
    ),
    "base-image-latest": (
        "a base image uses the 'latest' tag",
        "replace 'latest' with a version tag, or add a digest",
    ),
    "base-image-unresolved": (
        "a base image reference uses a build argument with no value",
        (
            "give the ARG a default, or set it in shipyard.preflight.build_args, "
            "the service's build_args or --build-arg"
        ),
    ),
    "base-image-no-digest": (
        "a base image has no digest while require_digest is on",
        "pin the image as image:tag@sha256:...",
    ),
    "dockerfile-invalid": (
        "a Dockerfile does not parse",
        "fix the syntax error that the message names",
    ),
    "secret-in-dockerfile": (
        "a Dockerfile contains a literal secret (ENV, ARG, LABEL, RUN, heredoc)",
        (
            "pass it at build time with RUN --mount=type=secret, or at run time "
            "through the environment; then rotate it"
        ),
    ),
    "secret-in-compose": (
        "a compose file contains a literal secret",
        "use ${VAR} from an untracked .env file or compose secrets; then rotate it",
    ),
    "secret-in-env-file": (
        "a tracked env file or template contains a literal secret",
        "replace the value with a placeholder such as change-me; then rotate it",
    ),
    "detect-secrets": (
        "detect-secrets found a potential secret in a tracked file",
        (
            "remove and rotate the secret, or audit a false positive into the "
            "baseline with inv preflight --update-baseline"
        ),
    ),
    "aws-credentials": (
        (
            "AWS credentials for the ECR registry are missing, expired or for "
            "another account"
        ),
        (
            "log in again (aws sso login, or export fresh AWS_* variables) for "
            "the account in AWS_ACCOUNT_ID"
        ),
    ),
    "compose-invalid": (
        "a compose file does not parse or validate (docker compose config)",
        "fix the error that docker compose reports",
    ),
    "image-secret": (
        "a built image contains a secret file or a secret in a text file",
        (
            "add the file to .dockerignore, or remove it in the same layer that "
            "adds it; use build secrets for credentials"
        ),
    ),
    "dockerignore-missing": (
        "a build context has no .dockerignore excluding .env and .git",
        "add a .dockerignore with .env, .env.* and .git",
    ),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    file: str  # path relative to the repository root, or an image reference
    line: int  # 1-based; 0 when the finding is about the whole file
    message: str
    hint: str = ""
    severity: str = ERROR
    secret_hash: str = ""  # SHA-1 of the secret, as detect-secrets baselines store

    def as_dict(self):
        return {
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint or RULES.get(self.rule, ("", ""))[1],
        }


@dataclass
class Report:
    findings: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    checks: list = field(default_factory=list)  # rule ids that ran
    notes: list = field(default_factory=list)  # limits hit, skipped inputs

    @property
    def failed(self):
        return bool(self.findings)

    def add(self, items):
        """Sort `items` into findings and warnings."""
        for item in items:
            target = self.warnings if item.severity == WARNING else self.findings
            target.append(item)

    def sorted(self):
        """Return findings then warnings, each ordered by file and line."""
        key = _order_key
        return sorted(self.findings, key=key) + sorted(self.warnings, key=key)


def _order_key(finding):
    return (finding.file, finding.line, finding.rule)


def finding(rule, file, line, message, *, severity=ERROR, secret=""):
    """Build a `Finding` with the rule's default fix hint."""
    return Finding(
        rule=rule,
        file=str(file),
        line=line,
        message=message,
        hint=RULES[rule][1],
        severity=severity,
        secret_hash=hash_secret(secret) if secret else "",
    )


def mask(secret):
    """Return the first four characters of `secret` followed by `****`.

    Values of eight characters or fewer show only two, so a short password
    is never mostly revealed.
    """
    shown = 4 if len(secret) > 8 else 2
    return secret[:shown] + "****"


def hash_secret(secret):
    """Return the SHA-1 hex digest detect-secrets stores for a secret."""
    return hashlib.sha1(secret.encode("utf-8")).hexdigest()
