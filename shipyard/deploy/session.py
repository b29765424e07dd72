"""One host during one deploy or rollback: connection, lock, login, pull, run.

A `HostSession` keeps one SSH connection open for the whole operation. The
steps are methods so that a fleet deploy can pull on every host before it
starts anything on any of them.
"""

import json
import logging
import time

from shipyard.deploy import commands, compose_file, health, history, lock, login, remote
from shipyard.errors import DeployError

log = logging.getLogger("shipyard.deploy")

POLL_SECONDS = 1
LOG_LINES = 20


class PullFailed(DeployError):
    """An image of the release could not be pulled onto the host."""


class HealthReport:
    """The outcome of a health gate: passed, or which service failed and why."""

    def __init__(self, passed, reason="", verdicts=(), logs="", final=False):
        self.passed = passed
        self.final = final or passed  # no point in waiting any longer
        self.reason = reason
        self.verdicts = list(verdicts)
        self.logs = logs


class HostSession:
    """Deploy steps on one host over one SSH connection."""

    def __init__(self, settings, host, say, options):
        self.settings = settings
        self.host = host
        self.name = host.name
        self.say = say
        self.options = options
        self.remote = None
        self.flavour = ""
        self.docker_config = ""
        self.lock_token = ""
        self.links = history.Links("", "")
        self.image_ids = {}
        self.release_written = ""
        self.unchanged = False  # the host already runs this release, healthy

    @property
    def project(self):
        return (
            self.host.project_name
            or self.settings.deploy["project_name"]
            or (self.settings.project)
        )

    @property
    def compose_dir(self):
        return self.host.compose_dir

    # --- connection and lock ----------------------------------------------

    def connect(self):
        started = time.monotonic()
        accept = (
            self.options.accept_new_host_key
            or self.settings.deploy["accept_new_host_keys"]
        )
        self.remote = remote.connect(self.host, accept_new_host_key=accept)
        target = f"{self.remote.connection.user}@{self.host.address}:{self.host.port}"
        self.say(self.name, f"connected to {target}", started)

    def reconnect(self):
        """Replace a dropped connection with a new one; return False when that fails."""
        self.remote.close()
        try:
            self.remote = remote.connect(self.host, accept_new_host_key=False)
        except DeployError as error:
            log.warning("%s: reconnecting failed: %s", self.name, error)
            return False
        self.say(self.name, "reconnected")
        return True

    def take_lock(self, action, release_id, commit_sha):
        started = time.monotonic()
        record = lock.owner_record(action, release_id, commit_sha)
        lock.acquire(
            self.remote,
            record,
            stale_after=self.settings.deploy["lock_stale_after"],
            wait_seconds=self.options.wait_lock,
            break_stale=self.options.break_stale_lock,
            say=lambda message: self.say(self.name, message),
        )
        self.lock_token = record["token"]
        self.say(self.name, "took the deploy lock", started)

    def read_state(self):
        self.links = history.read_links(self.remote)
        result = self.remote.run(commands.probe_compose(), what="probe docker compose")
        self.flavour = result.stdout.strip()
        if self.flavour not in ("v1", "v2"):
            raise DeployError(
                f"{self.name}: neither `docker compose` nor `docker-compose` works "
                "on the host; install the compose plugin"
            )

    def already_running(self, manifest, compose_text):
        """Return True when the host runs `manifest`'s release as it would be deployed.

        That is: `current` is this release, its compose file equals
        `compose_text`, every released image is present, and every service
        passes the health gate and HTTP checks right now. Such a deploy has
        nothing to change, so it skips login, pull, rewrite and restart.
        """
        started = time.monotonic()
        release_id = manifest["release_id"]
        if self.links.current != release_id:
            return False
        try:
            if self.release_compose(release_id) != compose_text:
                return False
        except DeployError:
            return False
        image_ids = self._present_image_ids(manifest)
        if image_ids is None:
            return False
        expected = [
            name
            for name, service in compose_file.service_settings(compose_text).items()
            if not service["profiles"]
        ]
        # The containers have run since the earlier deploy passed its gate,
        # so no stable time is required here.
        verdicts = health.judge_project(
            self.containers(), expected, image_ids, 0, health.StabilityClock(), 0.0
        )
        if any(verdict.state != health.PASSED for verdict in verdicts):
            return False
        if self._http_problem():
            return False
        self.image_ids = image_ids
        self.say(
            self.name,
            f"release {release_id} already runs and passes the health check; "
            "nothing to change",
            started,
        )
        return True

    def _present_image_ids(self, manifest):
        """Return service -> local image id for the release, or None if any is missing."""
        images = sorted(self.released_images(manifest).items())
        references = [image["reference"] for _service, image in images]
        found = self.remote.run(
            commands.image_ids(references), what="inspect images", check=False
        )
        ids = found.stdout.split()
        if not found.ok or len(ids) != len(images):
            return None
        return {service: image_id for (service, _image), image_id in zip(images, ids)}

    # --- registry ---------------------------------------------------------

    def login(self, manifest, environ):
        """Log in afresh to each registry of `manifest` with a private DOCKER_CONFIG."""
        started = time.monotonic()
        if not self.docker_config:
            result = self.remote.run(
                commands.make_docker_config(self.compose_dir),
                what="create a private docker config",
            )
            self.docker_config = result.stdout.strip()
        logged_in = []
        for registry in login.registries(manifest):
            credentials = login.credentials_for(registry, self.settings, environ)
            if credentials is None:
                continue
            self.remote.run(
                commands.login(registry, credentials.username, self.docker_config),
                what=f"docker login to {registry}",
                input=credentials.password + "\n",
            )
            logged_in.append(registry)
        if logged_in:
            self.say(self.name, f"logged in to {', '.join(logged_in)}", started)

    def pull(self, manifest):
        """Pull every image by digest; return compose service -> image id.

        The exit code of `docker pull` is not trusted alone: each image must
        then be present locally under `repository@digest`.
        """
        started = time.monotonic()
        images = self.released_images(manifest)
        image_ids = {}
        for service, image in sorted(images.items()):
            reference = image["reference"]
            result = self.remote.run(
                commands.pull(reference, self.docker_config),
                what=f"pull {reference}",
                check=False,
                timeout=1800,
            )
            found = self.remote.run(
                commands.image_id(reference), what=f"inspect {reference}", check=False
            )
            if not result.ok or not found.ok or not found.stdout.strip():
                detail = (result.stderr or result.stdout).strip().splitlines()
                raise PullFailed(
                    f"{self.name}: pull of {service} image {reference} failed: "
                    f"{detail[-1] if detail else 'image not present after pull'}; "
                    "nothing was changed on the host"
                )
            image_ids[service] = found.stdout.strip()
        self.say(self.name, f"pulled {len(image_ids)} images", started)
        return image_ids

    def released_images(self, manifest):
        return compose_file.released_services(
            manifest, self.settings.deploy["services_map"]
        )

    # --- releases ---------------------------------------------------------

    def write_release(self, manifest, compose_text):
        started = time.monotonic()
        folder = commands.release_dir(self.compose_dir, manifest["release_id"])
        self.remote.run(
            commands.write_file(commands.path(folder, commands.COMPOSE_NAME)),
            what="write the compose file",
            input=compose_text,
        )
        self.remote.run(
            commands.write_file(commands.path(folder, commands.MANIFEST_NAME)),
            what="write the manifest",
            input=json.dumps(manifest, indent=2) + "\n",
        )
        self.release_written = manifest["release_id"]
        self.say(self.name, f"wrote release {manifest['release_id']}", started)

    def release_compose(self, release_id):
        target = commands.path(
            commands.release_dir(self.compose_dir, release_id), commands.COMPOSE_NAME
        )
        text = self.remote.run(commands.read_file(target), what="read a compose file")
        if not text.stdout.strip():
            raise DeployError(f"{self.name}: release {release_id} has no compose file")
        return text.stdout

    def switch(self, release_id):
        """Point `previous` at the old `current` and `current` at `release_id`."""
        if self.links.current and self.links.current != release_id:
            self.remote.run(
                commands.switch_link(self.compose_dir, "previous", self.links.current),
                what="switch the previous link",
            )
        self.remote.run(
            commands.switch_link(self.compose_dir, "current", release_id),
            what="switch the current link",
        )
        previous = (
            self.links.current
            if self.links.current != release_id
            else (self.links.previous)
        )
        self.links = history.Links(release_id, previous)
        self.say(self.name, f"current release is now {release_id}")

    # --- run and health ---------------------------------------------------

    def compose_path(self, release_id):
        folder = commands.release_dir(self.compose_dir, release_id)
        return commands.path(folder, commands.COMPOSE_NAME)

    def start(self, release_id):
        """Run `compose up -d` for `release_id`; return "" or the failure reason."""
        started = time.monotonic()
        result = self.remote.run(
            commands.compose_up(
                self.flavour,
                self.project,
                self.compose_path(release_id),
                self.compose_dir,
            ),
            what=f"start release {release_id}",
            check=False,
            timeout=self.settings.deploy["health_timeout"] + 300,
        )
        if not result.ok:
            output = (result.stderr or result.stdout).strip().splitlines()
            return f"compose up failed: {output[-1] if output else 'no output'}"
        self.say(self.name, f"started release {release_id}", started)
        return ""

    def stop(self, release_id):
        self.remote.run(
            commands.compose_down(
                self.flavour,
                self.project,
                self.compose_path(release_id),
                self.compose_dir,
            ),
            what=f"stop release {release_id}",
            check=False,
        )

    def wait_healthy(self, compose_text, image_ids):
        """Wait until every service passes the health gate, within health_timeout."""
        started = time.monotonic()
        deadline = started + self.settings.deploy["health_timeout"]
        expected = [
            name
            for name, service in compose_file.service_settings(compose_text).items()
            if not service["profiles"]
        ]
        clock = health.StabilityClock()
        report = HealthReport(False, "no health check ran")
        while time.monotonic() < deadline:
            report = self._check_once(expected, image_ids, clock)
            if report.final:
                break
            time.sleep(POLL_SECONDS)
        else:
            timeout = self.settings.deploy["health_timeout"]
            report.reason = f"timed out after {timeout} s {report.reason}"
        if report.passed:
            self.say(self.name, f"healthy: {', '.join(sorted(expected))}", started)
        else:
            report.logs = self._failure_logs(report)
        return report

    def _check_once(self, expected, image_ids, clock):
        containers = self.containers()
        verdicts = health.judge_project(
            containers,
            expected,
            image_ids,
            self.settings.deploy["stable_seconds"],
            clock,
            time.monotonic(),
        )
        if verdicts and verdicts[0].state == health.FAILED:
            return HealthReport(False, health.describe(verdicts), verdicts, final=True)
        if any(verdict.state == health.WAITING for verdict in verdicts):
            return HealthReport(
                False, f"waiting for {health.describe(verdicts)}", verdicts
            )
        problem = self._http_problem()
        if problem:
            return HealthReport(False, problem)
        return HealthReport(True, "", verdicts)

    def containers(self):
        result = self.remote.run(
            commands.inspect_project(self.project), what="inspect containers"
        )
        return health.parse_inspect(json.loads(result.stdout or "[]"))

    def _http_problem(self):
        for check in self.host.http_checks:
            url = check["url"]
            expected = int(check.get("status", 200))
            result = self.remote.run(
                commands.http_status(url, check.get("timeout", 5)),
                what=f"HTTP check {url}",
                check=False,
            )
            status = result.stdout.strip()[-3:] or "000"
            if status != str(expected):
                return f"HTTP check {url} returned {status}, expected {expected}"
        return ""

    def _failure_logs(self, report):
        failed = [
            v for v in report.verdicts if v.state != health.PASSED and v.container_id
        ]
        if not failed:
            return ""
        verdict = failed[0]
        result = self.remote.run(
            commands.container_logs(verdict.container_id, LOG_LINES),
            what=f"read logs of {verdict.service}",
            check=False,
        )
        return f"last log lines of {verdict.service}:\n{result.stdout.rstrip()}"

    def running_summary(self):
        """Return one line per container: service, status and image."""
        lines = []
        for container in sorted(self.containers(), key=lambda c: c.service):
            state = container.status + (
                f"/{container.health}" if container.health else ""
            )
            lines.append(
                f"{container.service}: {state}, image {container.image_id[7:19]}"
            )
        return lines

    # --- records and cleanup ----------------------------------------------

    def record(self, manifest, outcome, started_at, duration):
        entry = history.deploy_record(manifest, outcome, started_at, duration)
        entry["host"] = self.name
        history.append_audit(self.remote, entry)
        # A deploy that stopped before writing its release folder must not
        # create one just for the record.
        if self.release_written == manifest["release_id"] or outcome.startswith(
            "rollback"
        ):
            history.write_record(self.remote, manifest["release_id"], entry)

    def prune(self):
        pruned = history.prune(
            self.remote,
            self.settings.deploy["keep_releases"],
            self.settings.deploy["prune_images"],
            protected=(self.links.current, self.links.previous),
        )
        if pruned:
            self.say(self.name, f"pruned releases {', '.join(pruned)}")

    def close(self):
        """Remove the private docker config, release the lock and disconnect.

        When the connection dropped, one new connection is tried so the lock
        does not outlive this process.
        """
        if self.remote is None:
            return
        try:
            self._clean_up(self.remote)
        except remote.ConnectionLost:
            self._clean_up_reconnected()
        except DeployError as error:
            log.warning("%s: cleanup failed: %s", self.name, error)
        finally:
            self.remote.close()

    def _clean_up(self, target):
        if self.docker_config:
            target.run(
                commands.remove_dir(self.docker_config), what="remove docker config"
            )
        if self.lock_token:
            lock.release(target, self.lock_token)
            self.lock_token = ""

    def _clean_up_reconnected(self):
        try:
            fresh = remote.connect(self.host, accept_new_host_key=False)
        except DeployError as error:
            log.warning(
                "%s: could not reconnect to release the deploy lock (%s); break it "
                "with `inv lock --host %s --release --force` once you know no deploy "
                "runs",
                self.name,
                error,
                self.name,
            )
            return
        try:
            self._clean_up(fresh)
            self.say(self.name, "reconnected and released the deploy lock")
        except DeployError as error:
            log.warning("%s: releasing the lock failed: %s", self.name, error)
        finally:
            fresh.close()
