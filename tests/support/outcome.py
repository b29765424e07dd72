"""Checks on how an `inv` run failed: one error line, no traceback, no leftovers."""

from pathlib import Path


def error_lines(result):
    """Return the lines of stderr that start with `error:`."""
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def assert_clean_failure(result, *needles):
    """Assert a non-zero exit with exactly one `error:` line containing `needles`.

    Returns that line.
    """
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def leftovers(root):
    """Return paths under `root` that a failed run must not leave: temporary files."""
    root = Path(root)
    return sorted(str(path) for path in root.rglob("*.tmp"))


def assert_no_partial_output(root, manifest_path=None):
    """Assert no `*.tmp` file under `root` and, if given, no manifest."""
    assert leftovers(root) == []
    if manifest_path is not None:
        assert not Path(manifest_path).exists(), manifest_path
