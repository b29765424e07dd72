"""Loopback helpers for tests: free ports and bounded waits."""

import socket
import time


def free_port(host="127.0.0.1"):
    """Return a TCP port on `host` that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_for_port(port, host="127.0.0.1", timeout=20.0):
    """Wait until `host:port` accepts connections; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout} s")
