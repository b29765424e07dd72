"""A real OCI registry (the distribution `docker-registry` binary) for tests."""

import shutil
import subprocess
from pathlib import Path

from shipyard.local_registry import CONFIG_TEMPLATE
from tests.support.net import free_port, wait_for_port

AUTH = """\
auth:
  htpasswd:
    realm: shipyard-test
    path: {htpasswd}
"""


class Registry:
    """A registry on a free loopback port, with optional htpasswd basic auth."""

    def __init__(self, folder, username=None, password=None, port=None):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.username = username
        self.password = password
        self._child = None

    def start(self):
        binary = shutil.which("docker-registry")
        if not binary:
            raise RuntimeError("docker-registry not installed; run scripts/stack.sh")
        self.folder.mkdir(parents=True, exist_ok=True)
        text = CONFIG_TEMPLATE.format(data=self.folder / "data", port=self.port)
        if self.username:
            htpasswd = self.folder / "htpasswd"
            made = subprocess.run(
                ["htpasswd", "-niB", self.username],
                input=self.password,
                capture_output=True,
                text=True,
                check=True,
            )
            htpasswd.write_text(made.stdout)
            text += AUTH.format(htpasswd=htpasswd)
        config = self.folder / "config.yml"
        config.write_text(text)
        self._log = open(self.folder / "registry.log", "ab")
        self._child = subprocess.Popen(
            [binary, "serve", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        wait_for_port(self.port)
        return self

    def stop(self):
        if self._child and self._child.poll() is None:
            self._child.terminate()
            try:
                self._child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait(timeout=10)
        if self._child:
            self._log.close()
        self._child = None

    @property
    def running(self):
        return self._child is not None and self._child.poll() is None
