"""A sampler of every process's argv, to prove a secret never reaches one."""

import os
import threading
import time
from pathlib import Path


class ArgvWatcher:
    """Sample every process's argv until stopped and remember any that contain `needle`."""

    def __init__(self, needle):
        self.needle = needle.encode()
        self.hits = []
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self):
        deadline = time.monotonic() + 600
        while not self._stop.is_set() and time.monotonic() < deadline:
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    argv = Path(entry.path, "cmdline").read_bytes()
                except OSError:
                    continue
                if self.needle in argv:
                    self.hits.append(argv.replace(b"\0", b" ").decode(errors="replace"))
            self.samples += 1
            time.sleep(0.02)
