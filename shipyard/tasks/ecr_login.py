"""Task `ecr-login`: prepare the registry and log the engine into it."""

from invoke import task

from shipyard.tasks._common import announce, settings, task_errors


@task
@task_errors
def ecr_login(c):
    """Prepare the registry and log the Docker engine into it.

    ECR (AWS_ACCOUNT_ID set): creates each service's repository if missing,
    with scan on push and AES256 encryption, then logs in with a fresh token
    passed to `docker login` on stdin. Plain registry: starts the embedded
    registry at 127.0.0.1:<shipyard.registry.port> when nothing responds
    there, and logs in when shipyard.registry.username is set (password from
    the variable named by shipyard.registry.password_env).
    """
    from shipyard import pipeline

    announce(pipeline.timed(pipeline.registry_login, settings(c)))
