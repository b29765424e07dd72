"""State files that carry each phase's results to the next.

Every phase may run alone in a fresh process (one CI step each), so it
reads what earlier phases left in `<output_dir>/state/<phase>.json`.
"""

import json

from shipyard import manifest
from shipyard.errors import StateError

PRODUCED_BY = {
    "release": "build",
    "build": "build",
    "push": "push",
    "verify": "verify",
}


def path(settings, name):
    return settings.output_dir / "state" / f"{name}.json"


def save(settings, name, data):
    """Write state `name` atomically."""
    manifest.write_atomic(path(settings, name), data)


def load(settings, name, needed_by):
    """Return state `name`; raise `StateError` telling which task to run first."""
    file = path(settings, name)
    try:
        return json.loads(file.read_text())
    except FileNotFoundError:
        raise StateError(
            f"{file} not found: `inv {needed_by}` needs the output of "
            f"`inv {PRODUCED_BY.get(name, name)}`; run that first"
        ) from None
    except (OSError, json.JSONDecodeError) as error:
        raise StateError(
            f"{file} is unreadable ({error}); run `inv {PRODUCED_BY.get(name, name)}` "
            "again"
        ) from None


def clear(settings, *names):
    """Remove the named state files, so stale results cannot be reused."""
    for name in names:
        path(settings, name).unlink(missing_ok=True)
