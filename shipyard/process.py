"""The one gateway for every local subprocess shipyard runs.

Every command is logged at DEBUG with registered secrets masked, and a
failure raises `CommandError` carrying the masked command and the tail of
its stderr. Secrets reach commands through stdin or the environment, never
through argv.
"""

import logging
import os
import subprocess

from shipyard.errors import CommandError, ShipyardError

log = logging.getLogger("shipyard.process")

MASK = "***"
_secrets: set[str] = set()


def register_secret(value):
    """Mask `value` in every log line and error message from now on.

    In GitHub Actions the runner gets it as well (`::add-mask::`), so it
    hides the value in anything a later step prints.
    """
    if not value or len(value) < 4 or value in _secrets:
        return
    _secrets.add(value)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        print(f"::add-mask::{value}", flush=True)


def mask(text):
    """Return `text` with every registered secret replaced by `***`."""
    if not text:
        return text
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def tail(text, lines=20):
    """Return the last `lines` lines of `text`, masked."""
    return mask("\n".join(text.rstrip().splitlines()[-lines:]))


def run(argv, *, input=None, env=None, cwd=None, timeout=None, check=True,
        stdout=None, what=None):
    """Run `argv` and return the `CompletedProcess` with text output.

    `input` goes to stdin (the only way a secret may reach a command).
    `env` entries are added to the current environment. `stdout` may be an
    open file to stream into instead of capturing. `what` names the action
    in the error message ("build auth"). Raises `CommandError` on a
    non-zero exit when `check` is true.
    """
    argv = [str(part) for part in argv]
    shown = mask(" ".join(argv))
    log.debug("run: %s", shown)
    full_env = None
    if env:
        full_env = {**os.environ, **{k: str(v) for k, v in env.items()}}
    try:
        result = subprocess.run(
            argv,
            input=input,
            env=full_env,
            cwd=cwd,
            timeout=timeout,
            text=True,
            stdout=stdout if stdout is not None else subprocess.PIPE,
            stderr=subprocess.STDOUT if stdout is not None else subprocess.PIPE,
        )
    except FileNotFoundError:
        raise ShipyardError(
            f"command not found: {argv[0]}; install it or put it on PATH"
        ) from None
    except subprocess.TimeoutExpired:
        raise CommandError(
            f"{what or shown} timed out after {timeout} s", command=shown
        ) from None
    if check and result.returncode != 0:
        stderr = tail(result.stderr or result.stdout or "", 5)
        detail = f": {stderr.splitlines()[-1]}" if stderr.strip() else ""
        raise CommandError(
            f"{what or shown} failed (exit {result.returncode}){detail}",
            command=shown,
            returncode=result.returncode,
            stderr_tail=stderr,
        )
    return result


def stream(argv, *, log_path, on_line=None, env=None, cwd=None, timeout=None):
    """Run `argv`, writing its combined output to `log_path` line by line.

    `on_line` is called with each masked line as it arrives. Returns the
    exit code; a run longer than `timeout` seconds is killed and returns
    None. Does not raise on a non-zero exit: the caller reads the log.
    """
    import threading

    argv = [str(part) for part in argv]
    log.debug("run: %s > %s", mask(" ".join(argv)), log_path)
    full_env = {**os.environ, **{k: str(v) for k, v in (env or {}).items()}}
    try:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=full_env,
            cwd=cwd,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise ShipyardError(
            f"command not found: {argv[0]}; install it or put it on PATH"
        ) from None
    timer = None
    expired = threading.Event()
    if timeout:
        def kill():
            expired.set()
            child.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
    try:
        # Line buffering lets `tail -f` on a build log follow the build.
        with open(log_path, "w", buffering=1) as output:
            for line in child.stdout:
                line = mask(line)
                output.write(line)
                if on_line:
                    on_line(line.rstrip("\n"))
        code = child.wait()
    finally:
        if timer:
            timer.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
    return None if expired.is_set() else code
