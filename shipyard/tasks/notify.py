"""Task `notify`: a commit comment on GitHub with the release summary."""

import os

from invoke import task

from shipyard.tasks._common import read_manifest, settings, task_errors


@task(
    help={
        "manifest": "manifest to summarise (default: shipyard.manifest)",
        "sha": "commit to comment on (default: GITHUB_SHA, else the manifest's "
        "commit)",
    }
)
@task_errors
def notify(c, manifest=None, sha=None):
    """Post the release summary as a comment on the released commit.

    Uses the GitHub REST API at GITHUB_API_URL for the repository
    GITHUB_REPOSITORY, with the token from GITHUB_TOKEN (sent only in the
    Authorization header, never printed). The token needs the
    `contents: write` permission.
    """
    from shipyard import github

    current = settings(c)
    api_url, repository, token = github.api_settings()
    path = manifest or current.manifest_path
    data = read_manifest(path)
    commit = sha or os.environ.get("GITHUB_SHA") or data["commit_sha"]
    url = github.post_commit_comment(
        api_url, repository, token, commit, github.release_comment(data)
    )
    print(f"notify: commented on {commit[:12]}: {url}")
