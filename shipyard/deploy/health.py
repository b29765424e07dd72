"""The health gate: judge a compose project's containers from `docker inspect`.

A service passes when each of its containers is

- `running` with a health check whose status is exactly `healthy`
  (`unhealthy` contains the word, so a substring test would pass it) and
  has stayed `healthy` for `stable_seconds`, so a check that flaps does not
  pass on one good probe,
- `running` without a health check and unchanged (same start time, no
  restart) for `stable_seconds`,
- or `exited` with code 0 and restart policy `no`: a one-shot job such as a
  migration that succeeded.

`restarting`, `dead`, `unhealthy`, or an exit with another code fails at
once. A container of a released service must run the image id that the
release's digest resolved to on the host, so an old container left in
place by compose fails the gate too.
"""

from dataclasses import dataclass, field

SERVICE_LABEL = "com.docker.compose.service"
PROJECT_LABEL = "com.docker.compose.project"

PASSED, WAITING, FAILED = "passed", "waiting", "failed"


@dataclass(frozen=True)
class Container:
    id: str
    service: str
    status: str
    health: str  # "" when the container has no health check
    exit_code: int
    restart_policy: str
    restart_count: int
    started_at: str
    image_id: str


@dataclass
class Verdict:
    state: str
    service: str = ""
    reason: str = ""
    container_id: str = ""


@dataclass
class StabilityClock:
    """When each running container was first seen in its current state.

    A restart or a change of health status starts the count again.
    """

    first_seen: dict = field(default_factory=dict)

    def stable_for(self, container, now):
        key = (
            container.id,
            container.started_at,
            container.restart_count,
            container.health,
        )
        since = self.first_seen.setdefault(container.id, (key, now))
        if since[0] != key:
            self.first_seen[container.id] = (key, now)
            return 0.0
        return now - since[1]


def parse_inspect(entries):
    """Return `Container`s from the JSON array `docker inspect` prints."""
    containers = []
    for entry in entries:
        state = entry.get("State") or {}
        labels = (entry.get("Config") or {}).get("Labels") or {}
        policy = ((entry.get("HostConfig") or {}).get("RestartPolicy") or {}).get(
            "Name", ""
        )
        containers.append(
            Container(
                id=entry["Id"][:12],
                service=labels.get(SERVICE_LABEL, ""),
                status=state.get("Status", ""),
                health=(state.get("Health") or {}).get("Status", ""),
                exit_code=int(state.get("ExitCode") or 0),
                restart_policy=policy or "no",
                restart_count=int(entry.get("RestartCount") or 0),
                started_at=state.get("StartedAt", ""),
                image_id=entry.get("Image", ""),
            )
        )
    return containers


def judge_container(container, expected_image_id, stable_seconds, stable_for):
    """Return the `Verdict` for one container."""
    verdict = _judge_state(container, stable_seconds, stable_for)
    if verdict.state == FAILED:
        return verdict
    if expected_image_id and container.image_id != expected_image_id:
        return _failed(
            container,
            f"runs image {_short(container.image_id)}, expected "
            f"{_short(expected_image_id)} from the release",
        )
    return verdict


def _judge_state(container, stable_seconds, stable_for):
    status = container.status
    if status == "running":
        return _judge_running(container, stable_seconds, stable_for)
    if status == "exited":
        if container.exit_code == 0 and container.restart_policy == "no":
            return Verdict(PASSED, container.service, "completed", container.id)
        return _failed(container, f"exited with code {container.exit_code}")
    if status == "created":
        return Verdict(WAITING, container.service, "created", container.id)
    if status == "restarting":
        return _failed(
            container, f"restarting (restart count {container.restart_count})"
        )
    return _failed(container, status or "in an unknown state")


def _judge_running(container, stable_seconds, stable_for):
    if container.health == "unhealthy":
        return _failed(container, "unhealthy")
    if container.health and container.health != "healthy":
        return Verdict(WAITING, container.service, container.health, container.id)
    state = container.health or "running"
    if stable_for >= stable_seconds:
        return Verdict(PASSED, container.service, state, container.id)
    return Verdict(
        WAITING,
        container.service,
        f"{state} for {stable_for:.0f} of {stable_seconds} s",
        container.id,
    )


def _failed(container, reason):
    return Verdict(FAILED, container.service, reason, container.id)


def _short(image_id):
    return image_id.removeprefix("sha256:")[:12] or "none"


def judge_project(containers, expected_services, image_ids, stable_seconds, clock, now):
    """Return one `Verdict` per expected service, failures first.

    `expected_services` lists the services that must have a container;
    `image_ids` maps a released service to the image id it must run.
    """
    verdicts = []
    for service in sorted(expected_services):
        own = [c for c in containers if c.service == service]
        if not own:
            verdicts.append(Verdict(WAITING, service, "no container yet"))
            continue
        for container in own:
            stable_for = clock.stable_for(container, now)
            verdicts.append(
                judge_container(
                    container, image_ids.get(service, ""), stable_seconds, stable_for
                )
            )
    order = {FAILED: 0, WAITING: 1, PASSED: 2}
    return sorted(verdicts, key=lambda verdict: order[verdict.state])


def describe(verdicts):
    """Return `service (reason), ...` for the verdicts that did not pass."""
    return ", ".join(
        f"{verdict.service} ({verdict.reason})"
        for verdict in verdicts
        if verdict.state != PASSED
    )
