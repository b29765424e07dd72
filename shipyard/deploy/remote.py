"""One SSH connection per host, and the gateway every remote command goes through.

`connect()` opens a Fabric connection that verifies the host key against a
known_hosts file: an unknown key is rejected unless the caller accepts new
keys explicitly, and a changed key is always rejected. `RemoteHost.run()`
sends a shell line with a fixed PATH, stdin fed from a string and closed,
and no pty, so a command that would prompt reads end-of-file and fails
instead of hanging.
"""

import logging
import os
import socket
import time
from dataclasses import dataclass

from shipyard import process
from shipyard.deploy import commands
from shipyard.errors import DeployError

log = logging.getLogger("shipyard.deploy")

DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts"


class ConnectError(DeployError):
    """The host cannot be reached, or it failed host key or user checks."""


class ConnectionLost(DeployError):
    """The SSH connection dropped while a command ran."""


class RemoteCommandError(DeployError):
    """A remote command exited non-zero."""

    def __init__(self, message, exit_code=None, output=""):
        super().__init__(message)
        self.exit_code = exit_code
        self.output = output


@dataclass(frozen=True)
class Result:
    stdout: str
    stderr: str
    exit_code: int

    @property
    def ok(self):
        return self.exit_code == 0


class RemoteHost:
    """A host reached over one open SSH connection."""

    def __init__(self, host, connection):
        self.host = host
        self.name = host.name
        self.connection = connection

    def run(self, line, *, what, input=None, timeout=300, check=True):
        """Run the shell `line` on the host and return its `Result`.

        `input` goes to the command's stdin, which is closed afterwards; it
        is the only way a secret reaches a remote command. Raises
        `RemoteCommandError` on a non-zero exit (when `check` is true) or a
        timeout, and `ConnectionLost` when the connection drops.
        """
        log.debug("%s: run: %s", self.name, process.mask(line))
        try:
            result = self._exec(commands.prepared(line), input or "", timeout)
        except (OSError, EOFError, _ssh_errors()) as error:
            raise ConnectionLost(
                f"{self.name}: SSH connection lost during {what}: "
                f"{process.mask(str(error)) or type(error).__name__}"
            ) from None
        if result is None:
            raise RemoteCommandError(f"{self.name}: {what} timed out after {timeout} s")
        if result.exit_code < 0:
            raise ConnectionLost(f"{self.name}: SSH connection lost during {what}")
        if check and not result.ok:
            raise _command_error(self.name, what, result)
        return result

    def _exec(self, command, input, timeout):
        """Run `command` on a new channel; return a `Result`, or None on timeout.

        Fabric's `run` feeds stdin one byte per poll, which makes a few
        kilobytes take seconds, so the channel is driven directly: stdin is
        sent at once and then closed, and both output streams are read
        until the command exits.
        """
        transport = self.connection.transport
        if transport is None or not transport.is_active():
            raise EOFError("connection closed")
        channel = transport.open_session(timeout=self.host.connect_timeout)
        try:
            channel.exec_command(command)
            if input:
                channel.sendall(input.encode())
            channel.shutdown_write()
            return _collect(channel, transport, time.monotonic() + timeout)
        finally:
            channel.close()

    def close(self):
        try:
            self.connection.close()
        except Exception:
            log.debug("%s: closing the connection failed", self.name, exc_info=True)


def _collect(channel, transport, deadline):
    stdout, stderr = [], []
    while True:
        if channel.recv_ready():
            stdout.append(channel.recv(65536))
        elif channel.recv_stderr_ready():
            stderr.append(channel.recv_stderr(65536))
        elif channel.exit_status_ready() and channel.eof_received:
            code = channel.recv_exit_status()
            return Result(_text(stdout), _text(stderr), code)
        elif channel.closed or not transport.is_active():
            return Result(_text(stdout), _text(stderr), -1)
        elif time.monotonic() > deadline:
            return None
        else:
            time.sleep(0.01)


def _text(chunks):
    return b"".join(chunks).decode("utf-8", errors="replace")


def _command_error(name, what, result):
    output = process.tail(result.stderr or result.stdout, 5)
    detail = output.splitlines()[-1] if output.strip() else "no output"
    return RemoteCommandError(
        f"{name}: {what} failed (exit {result.exit_code}): {detail}",
        exit_code=result.exit_code,
        output=output,
    )


def _ssh_errors():
    import paramiko

    return paramiko.SSHException


def connect(host, accept_new_host_key=False):
    """Open an SSH connection to `host` and return a `RemoteHost`.

    Settings from `~/.ssh/config` apply as Fabric reads them; the config's
    address, user, port and key override them. Raises `ConnectError` with
    one line naming the host and the fix.
    """
    from fabric import Connection

    known_hosts = os.path.expanduser(host.known_hosts or DEFAULT_KNOWN_HOSTS)
    connection = Connection(
        host.address,
        user=host.user or None,
        port=host.port if host.port != 22 else None,
        connect_timeout=max(1, int(host.connect_timeout)),
        connect_kwargs=_connect_kwargs(host),
    )
    _check_host_keys(connection, host, known_hosts, accept_new_host_key)
    try:
        connection.open()
    except Exception as error:  # noqa: BLE001 - translated into one clear line
        raise _connect_error(host, connection, known_hosts, error) from None
    return RemoteHost(host, connection)


def _connect_kwargs(host):
    timeout = max(1, host.connect_timeout)
    kwargs = {"banner_timeout": timeout, "auth_timeout": timeout}
    if host.key:
        _check_key_file(host)
        kwargs.update(key_filename=[host.key], look_for_keys=False, allow_agent=False)
    return kwargs


def _check_key_file(host):
    import paramiko

    where = f"shipyard.hosts.{host.name}.key"
    if not os.path.isfile(host.key):
        raise ConnectError(f"{host.name}: key file {host.key} not found; fix {where}")
    try:
        paramiko.PKey.from_path(host.key)
    except (paramiko.SSHException, ValueError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConnectError(
            f"{host.name}: key file {host.key} is not a valid private key ({reason}); "
            f"fix {where}"
        ) from None


def _check_host_keys(connection, host, known_hosts, accept_new):
    import paramiko

    client = connection.client
    if os.path.isfile(known_hosts):
        try:
            client.load_host_keys(known_hosts)
        except (OSError, paramiko.SSHException) as error:
            raise ConnectError(
                f"{host.name}: cannot read known_hosts file {known_hosts}: {error}"
            ) from None
    if accept_new:
        client.set_missing_host_key_policy(AcceptNewPolicy(host.name, known_hosts))
    else:
        client.set_missing_host_key_policy(paramiko.RejectPolicy())


def _acceptance_hint():
    return "--accept-new-host-key (or set shipyard.deploy.accept_new_host_keys)"


def _known_hosts_name(host):
    return host.address if host.port == 22 else f"[{host.address}]:{host.port}"


def _connect_error(host, connection, known_hosts, error):
    import paramiko

    target = f"{host.address}:{host.port}"
    if isinstance(error, paramiko.BadHostKeyException):
        name = _known_hosts_name(host)
        return ConnectError(
            f"{host.name}: host key for {target} does not match the one in "
            f"{known_hosts}; the host was replaced or someone is intercepting the "
            f"connection. If the change is expected, remove the old key with "
            f"`ssh-keygen -R '{name}' -f {known_hosts}` and rerun with "
            f"{_acceptance_hint()}"
        )
    if isinstance(error, paramiko.AuthenticationException):
        user = connection.user
        key = host.key or "the keys from ~/.ssh and the agent"
        return ConnectError(
            f"{host.name}: authentication failed for user {user} at {target} with "
            f"{key}; check shipyard.hosts.{host.name}.user and .key"
        )
    if isinstance(error, paramiko.SSHException) and "not found in known_hosts" in str(
        error
    ):
        return ConnectError(
            f"{host.name}: host key for {target} not found in {known_hosts}; "
            f"verify the host's fingerprint, then rerun with {_acceptance_hint()}"
        )
    if isinstance(error, (socket.timeout, TimeoutError)):
        return ConnectError(
            f"{host.name}: cannot connect to {target}: timed out after "
            f"{host.connect_timeout:g} s; check the address and that sshd is running"
        )
    if isinstance(error, (OSError, paramiko.SSHException)):
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return ConnectError(f"{host.name}: cannot connect to {target}: {reason}")
    return error


class AcceptNewPolicy:
    """Accept and save the key of a host not yet in known_hosts.

    A host whose key is already there but different never reaches this
    policy: paramiko raises `BadHostKeyException` first.
    """

    def __init__(self, host_name, known_hosts):
        self.host_name = host_name
        self.known_hosts = known_hosts

    def missing_host_key(self, client, hostname, key):
        from paramiko.hostkeys import HostKeyEntry

        folder = os.path.dirname(self.known_hosts)
        if folder:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        entry = HostKeyEntry([hostname], key)
        with open(self.known_hosts, "a") as stream:
            stream.write(entry.to_line())
        client.get_host_keys().add(hostname, key.get_name(), key)
        fingerprint = key.fingerprint
        log.warning(
            "%s: accepted new host key %s %s for %s, saved to %s",
            self.host_name,
            key.get_name(),
            fingerprint,
            hostname,
            self.known_hosts,
        )
