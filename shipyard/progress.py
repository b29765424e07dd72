"""Per-service progress for the build: a live table on a terminal, plain lines in CI."""

import os
import sys
import threading


def for_terminal(stream=None):
    """Return the progress reporter that suits where output goes."""
    stream = stream or sys.stderr
    interactive = stream.isatty() and os.environ.get("CI", "") in ("", "false")
    return RichProgress(stream) if interactive else PlainProgress(stream)


class PlainProgress:
    """One line when a service starts and one when it ends."""

    def __init__(self, stream):
        self.stream = stream
        self._lock = threading.Lock()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _print(self, text):
        with self._lock:
            print(text, file=self.stream, flush=True)

    def start(self, service):
        self._print(f"  {service}: build started")

    def step(self, service, step):
        pass

    def finish(self, result):
        if result.ok:
            self._print(
                f"  {result.service}: built in {result.seconds:.1f} s "
                f"({result.steps} steps, {result.cached} cached)"
            )
        else:
            self._print(f"  {result.service}: FAILED after {result.seconds:.1f} s")


class RichProgress(PlainProgress):
    """A live line per service with its current step and elapsed time."""

    def __init__(self, stream):
        super().__init__(stream)
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[service]:<12}"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(file=stream),
        )
        self._tasks = {}

    def __enter__(self):
        self._progress.start()
        return self

    def __exit__(self, *exc):
        self._progress.stop()
        return False

    def start(self, service):
        self._tasks[service] = self._progress.add_task("starting", service=service, total=None)

    def step(self, service, step):
        self._progress.update(self._tasks[service], description=step[:70])

    def finish(self, result):
        if result.ok:
            text = f"[green]built[/] ({result.steps} steps, {result.cached} cached)"
        else:
            text = "[red]FAILED[/]"
        self._progress.update(self._tasks[result.service], description=text, total=1, completed=1)
