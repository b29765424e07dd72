from types import SimpleNamespace

from shipyard.builder import BuildResult, _count_step, _failure_message

FAILED_LOG = """\
#5 [2/3] RUN mkdir -p out
#5 DONE 0.2s
#6 [3/3] RUN exit 3
#6 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3
------
 > [3/3] RUN exit 3:
------
ERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3
""".splitlines()

SETTINGS = SimpleNamespace(build={"timeout": 60})


def test_failure_names_step():
    message = _failure_message("frontend", FAILED_LOG, 1, "build-frontend.log", SETTINGS)

    assert message.startswith("build of service frontend failed at step [3/3] RUN exit 3")
    assert "exit code: 3" in message
    assert "build-frontend.log" in message


def test_failure_without_step():
    lines = ["ERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: FORM"]

    message = _failure_message("auth", lines, 1, "log", SETTINGS)

    assert "unknown instruction: FORM" in message
    assert "at step" not in message


def test_timeout_message():
    message = _failure_message("auth", [], None, "log", SETTINGS)

    assert "timed out after 60 s" in message


def test_step_counting_skips_internal():
    result = BuildResult("auth")
    shown = SimpleNamespace(step=lambda service, text: None)
    for line in [
        "#1 [internal] load build definition from Dockerfile",
        "#4 [1/3] FROM docker.io/library/busybox:1.36.1",
        "#5 [assets 2/3] RUN echo",
        "#5 CACHED",
        "#5 [assets 2/3] RUN echo",
    ]:
        _count_step(result, line, shown)

    assert result.steps == 2
    assert result.cached == 1
