"""Deploy, roll back and inspect releases on one host or the whole fleet.

A fleet deploy first connects, locks, logs in and pulls on every host, so
a failed pull anywhere stops the deploy before any container changes. Then
it starts the release host by host in `deploy.order`, and goes on only
while each host passes the health gate. A host that fails returns to its
previous release; with `fleet_rollback`, hosts already switched return
too, so every host ends on the same release.
"""

import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from shipyard import manifest as manifest_module
from shipyard.deploy import compose_file, history, lock, remote
from shipyard.deploy.session import HealthReport, HostSession
from shipyard.errors import ConfigError, DeployError, UsageError

DEPLOYED = "deployed"
ROLLED_BACK = "failed, rolled back"
ROLLBACK_DONE = "rolled back"
FAILED = "failed"
ABORTED = "aborted"
REVERTED = "reverted by fleet rollback"
NOT_STARTED = "not started"
STOPPED = "stopped because"
INTERRUPTED = "interrupted"


@dataclass
class Options:
    accept_new_host_key: bool = False
    wait_lock: int = 0
    break_stale_lock: bool = False
    fleet_rollback: bool = True


@dataclass
class Outcome:
    host: str
    state: str
    detail: str = ""


@dataclass
class Result:
    outcomes: list = field(default_factory=list)

    @property
    def ok(self):
        return all(o.state in (DEPLOYED, ROLLBACK_DONE) for o in self.outcomes)


class Announcer:
    """Print one line per step: `host: message (elapsed s)`."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def __call__(self, host_name, message, started=None):
        suffix = f" ({time.monotonic() - started:.1f} s)" if started is not None else ""
        print(f"{host_name}: {message}{suffix}", file=self.stream, flush=True)


class DeployFailed(DeployError):
    """At least one host did not end on the requested release."""


class DeployInterrupted(DeployFailed):
    """A deploy that Ctrl-C stopped, after returning hosts to their previous release."""

    exit_code = 130


def select_hosts(settings, name):
    """Return the configured hosts for `name`; `all` follows `deploy.order`."""
    if name != "all":
        if name not in settings.hosts:
            known = ", ".join(sorted(settings.hosts)) or "none"
            raise ConfigError(
                f"unknown host {name!r}; configured hosts: {known} (or all); add it "
                "under shipyard.hosts"
            )
        return [settings.hosts[name]]
    if not settings.hosts:
        raise ConfigError("no hosts configured; add them under shipyard.hosts")
    order = [h for h in settings.deploy["order"] if h in settings.hosts]
    order += sorted(h for h in settings.hosts if h not in order)
    return [settings.hosts[h] for h in order]


def compose_source(settings):
    path = settings.root / settings.deploy["compose_file"]
    try:
        return path, path.read_text()
    except FileNotFoundError:
        raise ConfigError(
            f"shipyard.deploy.compose_file: {path} not found; point it at the "
            "compose file the hosts run"
        ) from None


def rendered_compose(settings, manifest):
    path, text = compose_source(settings)
    images = compose_file.released_services(manifest, settings.deploy["services_map"])
    return compose_file.rewrite(text, images, source=str(path))


def load_manifest(settings, manifest_path=None):
    return manifest_module.read(
        Path(manifest_path) if manifest_path else settings.manifest_path
    )


# --- deploy -----------------------------------------------------------------


def deploy(settings, host_name, manifest, options, say=None, environ=None):
    """Deploy `manifest` to `host_name` (or `all`); return a `Result`.

    Raises `DeployFailed` after printing the outcome of every host when any
    host did not end on the new release.
    """
    say = say or Announcer()
    environ = os.environ if environ is None else environ
    hosts = select_hosts(settings, host_name)
    compose_text = rendered_compose(settings, manifest)
    release_id = manifest["release_id"]
    started_at = history.utc_now()
    started = time.monotonic()
    sessions = [HostSession(settings, host, say, options) for host in hosts]
    result = Result([Outcome(host.name, NOT_STARTED) for host in hosts])

    interrupted = False
    try:
        if _prepare_all(sessions, manifest, compose_text, environ, result):
            _activate_in_order(sessions, manifest, compose_text, options, result, say)
    except KeyboardInterrupt:
        # A Ctrl-C before any host started the release changes nothing, and
        # one during activation was handled there; unlock and report.
        interrupted = True
    finally:
        _finish_all(sessions, manifest, result, started_at, started)
    _print_outcomes(result, say)
    if interrupted or any(o.detail.startswith(INTERRUPTED) for o in result.outcomes):
        raise DeployInterrupted(_failure_line(result, release_id, "was interrupted"))
    if not result.ok:
        raise DeployFailed(_failure_line(result, release_id))
    return result


def _prepare_all(sessions, manifest, compose_text, environ, result):
    """Connect, lock, log in, pull and write the release on every host."""
    for index, session in enumerate(sessions):
        try:
            session.connect()
            session.take_lock("deploy", manifest["release_id"], manifest["commit_sha"])
            session.read_state()
            if session.already_running(manifest, compose_text):
                session.unchanged = True
                continue
            session.login(manifest, environ)
            session.image_ids = session.pull(manifest)
            session.write_release(manifest, compose_text)
        except DeployError as error:
            result.outcomes[index] = Outcome(session.name, ABORTED, str(error))
            for other, outcome in enumerate(result.outcomes):
                if other != index and outcome.state == NOT_STARTED:
                    result.outcomes[other] = Outcome(
                        outcome.host, ABORTED, f"{STOPPED} {session.name} failed"
                    )
            return False
    return True


def _activate_in_order(sessions, manifest, compose_text, options, result, say):
    release_id = manifest["release_id"]
    switched = []
    for index, session in enumerate(sessions):
        if session.unchanged:
            result.outcomes[index] = Outcome(
                session.name, DEPLOYED, f"{release_id} (unchanged)"
            )
            switched.append(index)
            continue
        report = _activate_guarded(session, release_id, compose_text)
        if report is None:
            result.outcomes[index] = Outcome(
                session.name, FAILED, _lost_detail(session.name)
            )
            return
        if report.passed:
            session.switch(release_id)
            result.outcomes[index] = Outcome(session.name, DEPLOYED, release_id)
            switched.append(index)
            continue
        result.outcomes[index] = _recover(session, release_id, report)
        if options.fleet_rollback:
            for earlier in switched:
                result.outcomes[earlier] = _revert(sessions[earlier], release_id)
        elif switched:
            say(session.name, "fleet rollback skipped (--no-fleet-rollback)")
        return


def _activate_guarded(session, release_id, compose_text):
    """Start `release_id` and wait for the gate, surviving Ctrl-C and a dropped connection.

    Both turn into a failed `HealthReport`, so the caller returns the host
    to its previous release. A dropped connection is opened once more for
    that; returns None when the host cannot be reached again.
    """
    try:
        return _activate(session, release_id, compose_text, session.image_ids)
    except KeyboardInterrupt:
        # NOTE: a Ctrl-C during `compose up` leaves that command running on
        # the host, so it may still be changing containers while the previous
        # release starts.
        session.say(session.name, "interrupted; returning to the previous release")
        return HealthReport(False, f"{INTERRUPTED} by Ctrl-C", final=True)
    except remote.ConnectionLost as error:
        session.say(session.name, f"{error}; reconnecting")
        if not session.reconnect():
            return None
        return HealthReport(False, "SSH connection lost during the start", final=True)


def _lost_detail(name):
    return (
        "SSH connection lost during the start and the host cannot be reached; "
        f"check what runs there, then deploy again (`inv lock --host {name}` "
        "shows whether the lock is still held)"
    )


def _activate(session, release_id, compose_text, image_ids):
    problem = session.start(release_id)
    if problem:
        return HealthReport(False, problem, final=True)
    return session.wait_healthy(compose_text, image_ids)


def _recover(session, release_id, report):
    """Return the host to the release it ran before `release_id` was started."""
    name = session.name
    session.say(name, f"release {release_id} failed the health check: {report.reason}")
    if report.logs:
        for line in report.logs.splitlines():
            session.say(name, f"  {line}")
    target = _previous_of(session, release_id)
    if not target:
        session.say(name, "no previous release on this host; stopping the failed one")
        session.stop(release_id)
        return Outcome(name, FAILED, f"{report.reason}; nothing running now")
    back = _run_release(session, target)
    _say_running(session)
    if not back.passed:
        return Outcome(
            name, FAILED, f"{report.reason}; rollback to {target} failed: {back.reason}"
        )
    return Outcome(name, ROLLED_BACK, f"{report.reason}; running {target} again")


def _previous_of(session, release_id):
    if session.links.current and session.links.current != release_id:
        return session.links.current
    return session.links.previous if session.links.previous != release_id else ""


def _run_release(session, target):
    """Start the kept release `target` again and wait for it to pass the health gate."""
    old_manifest = history.read_manifest(session.remote, target)
    text = session.release_compose(target)
    image_ids = session.pull(old_manifest) if old_manifest else {}
    report = _activate(session, target, text, image_ids)
    if report.passed:
        session.say(session.name, f"rolled back to {target}")
    return report


def _revert(session, release_id):
    """Return a host that passed with `release_id` to its previous release."""
    target = _previous_of(session, release_id)
    session.say(session.name, f"fleet rollback to {target or 'nothing'}")
    if not target:
        session.stop(release_id)
        return Outcome(session.name, FAILED, "fleet rollback: no previous release")
    report = _run_release(session, target)
    if not report.passed:
        return Outcome(session.name, FAILED, f"fleet rollback failed: {report.reason}")
    session.switch(target)
    return Outcome(session.name, REVERTED, f"running {target} again")


def _say_running(session):
    for line in session.running_summary():
        session.say(session.name, f"  now running {line}")


def _finish_all(sessions, manifest, result, started_at, started):
    for session, outcome in zip(sessions, result.outcomes):
        if session.remote is None:
            continue
        try:
            if outcome.state != NOT_STARTED and session.lock_token:
                session.record(
                    manifest, outcome.state, started_at, time.monotonic() - started
                )
                if outcome.state == DEPLOYED and not session.unchanged:
                    session.prune()
        except DeployError as error:
            session.say(session.name, f"could not write the audit log: {error}")
        finally:
            session.close()


def _print_outcomes(result, say):
    for outcome in result.outcomes:
        # Errors raised on a host already start with its name.
        text = outcome.detail.removeprefix(f"{outcome.host}: ")
        detail = f": {text}" if text else ""
        say(outcome.host, f"{outcome.state}{detail}")


def _failure_line(result, release_id, what="did not complete"):
    failed = [o for o in result.outcomes if o.state not in (DEPLOYED,)]
    names = ", ".join(f"{o.host} {o.state}" for o in failed)
    causes = [o for o in failed if o.detail and not o.detail.startswith(STOPPED)]
    first = next(iter(causes or [o for o in failed if o.detail]), None)
    reason = f" ({first.detail})" if first else ""
    return f"deploy of {release_id} {what}: {names}{reason}"


# --- dry run ----------------------------------------------------------------


def plan(settings, host_name, manifest, options, say=None):
    """Print per host and service the digest change a deploy would make."""
    say = say or Announcer()
    rendered_compose(settings, manifest)
    for host in select_hosts(settings, host_name):
        session = HostSession(settings, host, say, options)
        try:
            session.connect()
            session.links = history.read_links(session.remote)
            current = (
                history.read_manifest(session.remote, session.links.current)
                if session.links.current
                else None
            )
            for line in plan_lines(manifest, current):
                say(host.name, line)
        finally:
            session.close()


def plan_lines(manifest, current):
    """Return the plan for one host: one line per service, then a summary."""
    before = (current or {}).get("images", {})
    lines, unchanged = [], []
    for service, image in sorted(manifest["images"].items()):
        old = before.get(service, {}).get("digest", "")
        if old == image["digest"]:
            unchanged.append(service)
        else:
            lines.append(
                f"{service}: {_short(old) or 'not deployed'} -> {_short(image['digest'])}"
            )
    release = (current or {}).get("release_id", "none")
    header = f"would deploy {manifest['release_id']} (current: {release})"
    footer = f"unchanged: {', '.join(unchanged) if unchanged else 'none'}"
    return [header, *lines, footer]


def _short(digest):
    return digest[:19] if digest else ""


# --- rollback ---------------------------------------------------------------


def rollback(settings, host_name, to, options, say=None, environ=None):
    """Return each selected host to its previous release, or to `to`."""
    say = say or Announcer()
    environ = os.environ if environ is None else environ
    _check_rollback_target(to)
    result = Result()
    for host in select_hosts(settings, host_name):
        outcome = _rollback_host(settings, host, to, options, say, environ)
        result.outcomes.append(outcome)
    _print_outcomes(result, say)
    if not result.ok:
        failed = [o for o in result.outcomes if o.state != ROLLBACK_DONE]
        details = "; ".join(f"{o.host}: {o.detail or o.state}" for o in failed)
        raise DeployFailed(f"rollback did not complete: {details}")
    return result


def _check_rollback_target(to):
    """Reject a `--to` value that can name no release, before connecting."""
    if to is None:
        return
    if manifest_module.RELEASE_ID.match(to) or re.fullmatch(r"[0-9a-f]{7,40}", to):
        return
    raise UsageError(
        f"invalid --to {to!r}: expected a release id such as "
        "20261204-153000-abc1234, or 7 to 40 hex characters of a commit"
    )


def _rollback_host(settings, host, to, options, say, environ):
    session = HostSession(settings, host, say, options)
    started_at, started = history.utc_now(), time.monotonic()
    target_manifest = None
    outcome = Outcome(host.name, FAILED, "")
    try:
        session.connect()
        session.take_lock("rollback", to or "previous", "")
        session.read_state()
        target = _rollback_target(session, to)
        target_manifest = history.read_manifest(session.remote, target)
        if not target_manifest:
            raise DeployError(
                f"{host.name}: release {target} has no manifest on the host"
            )
        session.login(target_manifest, environ)
        report = _run_release(session, target)
        if report.passed:
            session.switch(target)
            outcome = Outcome(host.name, ROLLBACK_DONE, f"running {target}")
        else:
            outcome = _recover(session, target, report)
            outcome.state = FAILED
    except DeployError as error:
        outcome = Outcome(host.name, FAILED, str(error))
    finally:
        if target_manifest and session.lock_token:
            try:
                state = (
                    "rollback done"
                    if outcome.state == ROLLBACK_DONE
                    else ("rollback failed")
                )
                session.record(
                    target_manifest, state, started_at, time.monotonic() - started
                )
            except DeployError as error:
                say(host.name, f"could not write the audit log: {error}")
        session.close()
    return outcome


def _rollback_target(session, to):
    releases = history.list_releases(session.remote)
    if to:
        return history.find_release(releases, to).release_id
    if not session.links.previous:
        raise DeployError(
            f"{session.name}: no previous release recorded; pass --to RELEASE "
            f"(see `inv releases --host {session.name}`)"
        )
    return session.links.previous


# --- listing and lock -------------------------------------------------------


def release_lines(settings, host_name, options, say=None):
    """Return per host the kept releases, newest first, marking the current one."""
    output = []
    for host, (links, releases) in _on_each_host(
        settings, host_name, options, say, _read_releases
    ):
        output.append(f"{host.name}:")
        if not releases:
            output.append("  no releases")
        for release in reversed(releases):
            output.append("  " + release_line(release, links))
    return output


def _read_releases(session):
    return history.read_links(session.remote), history.list_releases(session.remote)


def release_line(release, links):
    record = release.record
    marker = (
        "*"
        if release.release_id == links.current
        else ("<" if release.release_id == links.previous else " ")
    )
    return (
        f"{marker} {release.release_id}  {record.get('commit_sha', '')[:12]:<12}  "
        f"{record.get('user', '?')}  {record.get('time', '?')}  "
        f"{record.get('outcome', 'unknown')}"
    )


def lock_status(settings, host_name, options, release=False, force=False, say=None):
    """Return a status line per host; `release` breaks stale locks, `force` any lock."""
    results = _on_each_host(
        settings,
        host_name,
        options,
        say,
        lambda session: _lock_line(session, settings, release, force),
    )
    return [line for _host, line in results]


def _on_each_host(settings, host_name, options, say, body):
    """Connect to each selected host in turn; return `(host, body(session))` pairs."""
    say = say or Announcer()
    results = []
    for host in select_hosts(settings, host_name):
        session = HostSession(settings, host, say, options)
        try:
            session.connect()
            results.append((host, body(session)))
        finally:
            session.close()
    return results


def _lock_line(session, settings, release, force):
    from shipyard.deploy import commands

    status = lock.read(session.remote)
    if status is None:
        return f"{session.name}: not locked"
    reason = lock.stale_reason(status, settings.deploy["lock_stale_after"])
    state = f"stale ({reason})" if reason else "active"
    if not release:
        return f"{session.name}: locked by {status.holder()}; {state}"
    if not reason and not force:
        raise DeployError(
            f"{session.name}: the lock held by {status.holder()} is not stale; "
            "add --force only if you know that deploy is dead"
        )
    session.remote.run(commands.break_lock(session.compose_dir), what="break the lock")
    return f"{session.name}: broke the lock held by {status.holder()}"
