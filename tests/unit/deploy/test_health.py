"""Health gate verdicts from `docker inspect` data."""

from types import SimpleNamespace

import pytest

from shipyard.deploy import health
from shipyard.deploy import session as session_module


def inspect_entry(
    service,
    status="running",
    health_status=None,
    exit_code=0,
    restart="unless-stopped",
    image="sha256:" + "a" * 64,
    restarts=0,
):
    state = {
        "Status": status,
        "ExitCode": exit_code,
        "StartedAt": "2026-12-04T10:00:00Z",
    }
    if health_status:
        state["Health"] = {"Status": health_status}
    return {
        "Id": f"{service}0123456789abcdef",
        "Image": image,
        "RestartCount": restarts,
        "State": state,
        "Config": {"Labels": {"com.docker.compose.service": service}},
        "HostConfig": {"RestartPolicy": {"Name": restart}},
    }


def judge(entry, stable_for=10.0, expected_image=""):
    container = health.parse_inspect([entry])[0]
    return health.judge_container(container, expected_image, 5, stable_for)


def test_only_exact_healthy_passes():
    assert judge(inspect_entry("web", health_status="healthy")).state == health.PASSED
    assert judge(inspect_entry("web", health_status="unhealthy")).state == health.FAILED
    assert judge(inspect_entry("web", health_status="starting")).state == health.WAITING


def test_restarting_and_exited_fail():
    restarting = judge(inspect_entry("web", status="restarting", restarts=3))
    assert restarting.state == health.FAILED
    assert "restart count 3" in restarting.reason
    crashed = judge(inspect_entry("web", status="exited", exit_code=1))
    assert crashed.state == health.FAILED
    assert crashed.reason == "exited with code 1"


def test_one_shot_job_exit_zero_passes():
    migrate = inspect_entry("migrate", status="exited", exit_code=0, restart="no")
    assert judge(migrate).state == health.PASSED


def test_exit_zero_with_restart_policy_fails():
    web = inspect_entry("web", status="exited", exit_code=0, restart="always")
    assert judge(web).state == health.FAILED


def test_running_without_healthcheck_needs_stable_time():
    assert judge(inspect_entry("worker"), stable_for=1.0).state == health.WAITING
    assert judge(inspect_entry("worker"), stable_for=5.0).state == health.PASSED


def test_old_image_after_deploy_fails():
    entry = inspect_entry("web", health_status="healthy", image="sha256:" + "b" * 64)
    verdict = judge(entry, expected_image="sha256:" + "a" * 64)
    assert verdict.state == health.FAILED
    assert "expected aaaaaaaaaaaa" in verdict.reason


def test_stability_clock_restarts_on_restart():
    clock = health.StabilityClock()
    first = health.parse_inspect([inspect_entry("worker")])[0]
    assert clock.stable_for(first, 100.0) == 0.0
    assert clock.stable_for(first, 104.0) == 4.0
    restarted = health.parse_inspect([inspect_entry("worker", restarts=1)])[0]
    assert clock.stable_for(restarted, 105.0) == 0.0


def test_project_waits_for_missing_service_and_sorts_failures_first():
    containers = health.parse_inspect(
        [
            inspect_entry("web", health_status="healthy"),
            inspect_entry("api", health_status="unhealthy"),
        ]
    )
    verdicts = health.judge_project(
        containers, ["web", "api", "worker"], {}, 0, health.StabilityClock(), 0.0
    )
    assert [(v.service, v.state) for v in verdicts] == [
        ("api", health.FAILED),
        ("worker", health.WAITING),
        ("web", health.PASSED),
    ]
    assert health.describe(verdicts) == "api (unhealthy), worker (no container yet)"


def flap(statuses):
    """Return one `Container` list per poll, the web service reporting `statuses`."""
    return [
        health.parse_inspect([inspect_entry("web", health_status=status)])
        for status in statuses
    ]


def test_flapping_health_check_fails_while_unhealthy():
    clock = health.StabilityClock()
    polls = flap(["healthy", "unhealthy"])
    verdicts = health.judge_project(polls[1], ["web"], {}, 5, clock, 1.0)
    assert verdicts[0].state == health.FAILED
    assert verdicts[0].reason == "unhealthy"


def test_flapping_health_check_not_passed_until_stable():
    clock = health.StabilityClock()
    states = [
        health.judge_project(containers, ["web"], {}, 5, clock, float(second))[0].state
        for second, containers in enumerate(flap(["healthy", "unhealthy", "healthy"]))
    ]
    assert states[0] != health.PASSED
    assert states[2] != health.PASSED


def test_gate_rejects_health_check_that_keeps_flapping(monkeypatch):
    monkeypatch.setattr(session_module, "POLL_SECONDS", 0.05)
    settings = SimpleNamespace(deploy={"health_timeout": 2, "stable_seconds": 1})
    host = SimpleNamespace(name="h", http_checks=(), project_name="p", compose_dir="/x")
    gate = session_module.HostSession(settings, host, lambda *_: None, None)
    cycle = flap(["healthy", "unhealthy", "healthy"])
    polls = []

    def containers():
        polls.append(cycle[len(polls) % len(cycle)])
        return polls[-1]

    monkeypatch.setattr(gate, "containers", containers)
    monkeypatch.setattr(gate, "_failure_logs", lambda report: "")
    report = gate.wait_healthy("services:\n  web:\n    image: web\n", {})
    assert not report.passed, f"passed after {len(polls)} inspection(s)"


def test_healthy_passes_once_stable():
    clock = health.StabilityClock()
    steady = flap(["healthy", "healthy", "healthy"])

    states = [
        health.judge_project(containers, ["web"], {}, 2, clock, float(second))[0].state
        for second, containers in enumerate(steady)
    ]

    assert states == [health.WAITING, health.WAITING, health.PASSED]
