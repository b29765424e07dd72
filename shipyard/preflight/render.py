"""Render a preflight `Report` as text, JSON or GitHub Actions annotations."""

import json
import os
import sys
from itertools import groupby

from shipyard.preflight.findings import WARNING


def render(report, output_format="text", stream=None):
    """Write `report` to `stream` (stdout by default) in `output_format`.

    `text` is grouped by file, coloured with rich only when the stream is
    a terminal. With `GITHUB_ACTIONS=true`, text output also carries
    `::error`/`::warning` annotations.
    """
    stream = stream or sys.stdout
    if output_format == "json":
        stream.write(as_json(report) + "\n")
        return
    if os.environ.get("GITHUB_ACTIONS") == "true":
        stream.write(as_annotations(report))
    if stream.isatty():
        _render_rich(report, stream)
    else:
        stream.write(as_text(report))


def as_json(report):
    return json.dumps(
        {
            "failed": report.failed,
            "checks": report.checks,
            "findings": [item.as_dict() for item in sorted(report.findings, key=_key)],
            "warnings": [item.as_dict() for item in sorted(report.warnings, key=_key)],
            "notes": report.notes,
        },
        indent=2,
    )


def as_annotations(report):
    lines = []
    for item in report.sorted():
        level = "warning" if item.severity == WARNING else "error"
        location = f"file={_escape_property(item.file)}"
        if item.line:
            location += f",line={item.line}"
        title = f"title={item.rule}"
        text = _escape_data(f"{item.message}. Fix: {item.as_dict()['hint']}")
        lines.append(f"::{level} {location},{title}::{text}\n")
    return "".join(lines)


def as_text(report):
    lines = []
    for file, items in groupby(report.sorted(), key=lambda item: item.file):
        lines.append(file)
        for item in items:
            where = f"  line {item.line}" if item.line else "  -"
            lines.append(f"{where}: {item.severity} [{item.rule}] {item.message}")
            lines.append(f"      fix: {item.as_dict()['hint']}")
    lines += [f"note: {note}" for note in report.notes]
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _render_rich(report, stream):
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=stream, highlight=False)
    for file, items in groupby(report.sorted(), key=lambda item: item.file):
        console.print(f"[bold]{escape(file)}[/bold]")
        for item in items:
            colour = "yellow" if item.severity == WARNING else "red"
            where = f"line {item.line}" if item.line else "-"
            console.print(
                f"  {where}: [{colour}]{item.severity}[/{colour}] "
                f"[cyan]{escape('[' + item.rule + ']')}[/cyan] {escape(item.message)}"
            )
            console.print(f"      fix: {escape(item.as_dict()['hint'])}", style="dim")
    for note in report.notes:
        console.print(f"note: {escape(note)}", style="dim")
    style = "bold red" if report.failed else "bold green"
    console.print(escape(_summary(report)), style=style)


def _summary(report):
    verdict = "failed" if report.failed else "passed"
    return (
        f"preflight {verdict}: {len(report.findings)} finding(s), "
        f"{len(report.warnings)} warning(s), {len(report.checks)} check(s) run"
    )


def _key(item):
    return (item.file, item.line, item.rule)


def _escape_data(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text):
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
