"""Task `preflight`: the release's security gate."""

from invoke import task

from shipyard.errors import PreflightFailed, UsageError
from shipyard.tasks._common import settings, task_errors

FORMATS = ("text", "json")


@task(
    iterable=["only", "skip", "build_arg"],
    help={
        "only": "run only this rule id (repeatable or comma-separated)",
        "skip": "skip this rule id (repeatable or comma-separated)",
        "format": "output format: text (grouped by file) or json",
        "require-digest": "fail every base image without a digest "
        "(default: shipyard.preflight.require_digest)",
        "build-arg": "NAME=VALUE used to resolve ARGs in FROM lines (repeatable)",
        "update-baseline": "write the secrets found now to the baseline file "
        "(shipyard.preflight.baseline) instead of checking",
    },
)
@task_errors
def preflight(
    c, only=None, skip=None, format="text", require_digest=False, build_arg=None,
    update_baseline=False,
):  # fmt: skip
    """Check the repository before a release; exit 1 on findings, 2 on usage errors.

    Rules (ids for --only / --skip):

      env-file-tracked       .env, .env.*, *.env, .envrc in git's index
                             (*.example, *.sample, *.template, *.dist pass)
      base-image-unpinned    FROM image without tag or digest
      base-image-latest      FROM image:latest (a digest pins it anyway)
      base-image-unresolved  FROM uses an ARG with no value
      base-image-no-digest   FROM without digest, with --require-digest
      dockerfile-invalid     a Dockerfile that BuildKit cannot parse
      secret-in-dockerfile   literal secret in ENV, ARG, LABEL, RUN, heredoc
      secret-in-compose      literal secret in environment or build args
      secret-in-env-file     literal secret in a tracked env file or template
      detect-secrets         detect-secrets plugins over every tracked file
      aws-credentials        STS GetCallerIdentity for the ECR account
      compose-invalid        docker compose config -q rejects a compose file
      dockerignore-missing   warning: .env or .git can enter a build context
      image-secret           runs after build (secret files in image layers)

    Reads shipyard.preflight (env_allowlist, require_digest, detect_secrets,
    baseline, skip, build_args), shipyard.services and shipyard.deploy.
    compose_file. Reviewed false positives go into the detect-secrets
    baseline with --update-baseline. See docs/preflight.md.
    """
    from shipyard import preflight as checks

    if format not in FORMATS:
        raise UsageError(
            f"invalid --format {format!r}; use one of {', '.join(FORMATS)}"
        )
    build_args = _build_args(build_arg)
    current = settings(c)
    if update_baseline:
        count = checks.write_baseline(current, build_args=build_args)
        print(f"wrote {count} baseline entries to {current.preflight['baseline']}")
        return
    report = checks.run(
        current, only=only or (), skip=skip or (), build_args=build_args,
        require_digest=True if require_digest else None,
    )  # fmt: skip
    checks.render(report, format)
    if report.failed:
        raise PreflightFailed(
            f"preflight failed with {len(report.findings)} finding(s)"
        )


def _build_args(values):
    args = {}
    for value in values or ():
        name, equals, text = value.partition("=")
        if not equals or not name:
            raise UsageError(f"invalid --build-arg {value!r}; use NAME=VALUE")
        args[name] = text
    return args
