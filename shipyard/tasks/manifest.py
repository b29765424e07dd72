"""Task `manifest`: write image-manifest.json."""

from invoke import task

from shipyard.tasks._common import announce, settings, task_errors


@task(help={"output": "write the manifest here instead of shipyard.manifest"})
@task_errors
def manifest(c, output=None):
    """Write image-manifest.json (commit, branch, images with digests) atomically."""
    from shipyard import pipeline

    announce(pipeline.timed(pipeline.write_manifest, settings(c), path=output))
