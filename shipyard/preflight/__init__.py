"""Preflight: the release's security gate.

`run(settings)` checks the git repository that contains `settings.root`
and returns a `Report`; `render()` prints it. The checks are listed in
`RULES` (see docs/preflight.md). Heavy libraries (detect-secrets, boto3,
dockerfile, rich) are imported only by the checks that use them.
"""

from shipyard.preflight.findings import RULES, Finding, Report
from shipyard.preflight.render import render
from shipyard.preflight.runner import run, select_rules, write_baseline

__all__ = [
    "RULES",
    "Finding",
    "Report",
    "render",
    "run",
    "select_rules",
    "write_baseline",
]
