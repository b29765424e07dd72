"""Bad configuration: every case stops `inv build` with one line naming the key.

Each case runs `inv build` as a subprocess in one shared copy of the example
app. Configuration is checked before the Docker engine is touched, so these
cases need no runtime.
"""

import copy
import re

import pytest
import yaml

from tests.support.outcome import assert_clean_failure, assert_no_partial_output
from tests.support.project import make_project

HOST = {"address": "127.0.0.1", "compose_dir": "/srv/app"}

# Invoke loads invoke.yaml, merges it into the collection defaults and casts
# INVOKE_SHIPYARD_* values before any task runs; shipyard.cli_errors turns
# those failures into one line.


def setting(path, value):
    """Return a change that sets the dotted `path` (with `[i]` indexes) to `value`."""

    def change(config):
        parent, last = _walk(config, path)
        parent[last] = value

    return change


def removing(path):
    def change(config):
        parent, last = _walk(config, path)
        del parent[last]

    return change


def _walk(config, path):
    parts = [int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", path)]
    node = config
    for part in parts[:-1]:
        if isinstance(part, str) and part not in node:
            node[part] = {}
        node = node[part]
    return node, parts[-1]


def duplicate_service(config):
    config["services"].append(dict(config["services"][0]))


def same_repository(config):
    config["services"][1]["repository"] = config["services"][0]["repository"]


def with_host(**entry):
    return setting("hosts", {"primary": {**HOST, **entry}})


# (case id, change to the config, text the error line must contain)
CASES = [
    ("unknown-top-key", setting("colour", "blue"), ["shipyard.colour", "unknown key"]),
    ("unknown-registry-key", setting("registry.adress", "x"),
     ["shipyard.registry.adress"]),
    ("unknown-service-key", setting("services[0].contex", "x"),
     ["shipyard.services[0].contex"]),
    ("services-not-list", setting("services", "auth"), ["shipyard.services", "'auth'"]),
    ("services-empty", setting("services", []), ["shipyard.services", "no services"]),
    ("service-not-mapping", setting("services[0]", "auth"),
     ["shipyard.services[0]", "'auth'"]),
    ("service-missing-name", removing("services[0].name"),
     ["shipyard.services[0].name", "missing"]),
    ("service-missing-context", removing("services[2].context"),
     ["shipyard.services[2].context", "missing"]),
    ("context-not-found", setting("services[1].context", "no-such-folder"),
     ["shipyard.services[1].context", "no-such-folder"]),
    ("context-is-file", setting("services[0].context", "README.md"),
     ["shipyard.services[0].context", "README.md"]),
    ("dockerfile-not-found", setting("services[1].dockerfile", "Dockerfile.dev"),
     ["shipyard.services[1].dockerfile", "Dockerfile.dev"]),
    ("duplicate-service-name", duplicate_service,
     ["shipyard.services[3].name", "duplicate", "'auth'"]),
    ("duplicate-repository", same_repository,
     ["shipyard.services[1].repository", "finansecure/auth"]),
    ("service-name-space", setting("services[0].name", "Auth Service"),
     ["shipyard.services[0].name", "'Auth Service'"]),
    ("service-name-number", setting("services[0].name", 7),
     ["shipyard.services[0].name", "7"]),
    ("repository-uppercase", setting("services[0].repository", "FinanSecure/Auth"),
     ["shipyard.services[0].repository", "FinanSecure/Auth"]),
    ("repository-trailing-slash", setting("services[0].repository", "finansecure/"),
     ["shipyard.services[0].repository", "finansecure/"]),
    ("repository-double-slash", setting("services[0].repository", "a//b"),
     ["shipyard.services[0].repository", "a//b"]),
    ("max-size-negative", setting("services[0].max_size_mb", -5),
     ["shipyard.services[0].max_size_mb", "-5"]),
    ("max-size-string", setting("services[0].max_size_mb", "50MB"),
     ["shipyard.services[0].max_size_mb", "'50MB'"]),
    ("build-args-list", setting("services[0].build_args", ["A=1"]),
     ["shipyard.services[0].build_args", "A=1"]),
    ("build-arg-value-list", setting("services[0].build_args", {"A": [1]}),
     ["shipyard.services[0].build_args.A"]),
    ("registry-port-string", setting("registry.port", "5000x"),
     ["shipyard.registry.port", "'5000x'"]),
    ("registry-port-range", setting("registry.port", 70000),
     ["shipyard.registry.port", "70000"]),
    ("registry-start-local-string", setting("registry.start_local", "yes"),
     ["shipyard.registry.start_local", "'yes'"]),
    ("registry-address-space", setting("registry.address", "bad host:5000"),
     ["shipyard.registry.address", "bad host:5000"]),
    ("registry-address-path", setting("registry.address", "127.0.0.1:5000/v2"),
     ["shipyard.registry.address", "127.0.0.1:5000/v2"]),
    ("sha-length-short", setting("tags.sha_length", 3),
     ["shipyard.tags.sha_length", "3"]),
    ("sha-length-bool", setting("tags.sha_length", True),
     ["shipyard.tags.sha_length", "True"]),
    ("parallel-negative", setting("build.parallel", -1),
     ["shipyard.build.parallel", "-1"]),
    ("timeout-zero", setting("build.timeout", 0), ["shipyard.build.timeout", "0"]),
    ("platform-list", setting("build.platform", ["linux/amd64"]),
     ["shipyard.build.platform", "linux/amd64"]),
    ("app-dir-missing", setting("app_dir", "no-app"), ["shipyard.app_dir", "no-app"]),
    ("output-dir-empty", setting("output_dir", " "), ["shipyard.output_dir"]),
    ("project-number", setting("project", 12), ["shipyard.project", "12"]),
    ("host-missing-address", setting("hosts", {"primary": {"compose_dir": "/srv"}}),
     ["shipyard.hosts.primary.address", "missing"]),
    ("host-not-mapping", setting("hosts", {"primary": "127.0.0.1"}),
     ["shipyard.hosts.primary", "'127.0.0.1'"]),
    ("host-port-zero", with_host(port=0), ["shipyard.hosts.primary.port", "0"]),
    ("host-port-string", with_host(port="22"), ["shipyard.hosts.primary.port", "'22'"]),
    ("host-compose-dir-relative", with_host(compose_dir="srv/app"),
     ["shipyard.hosts.primary.compose_dir", "srv/app"]),
    ("host-name-invalid", setting("hosts", {"bad host!": HOST}),
     ["shipyard.hosts.bad host!", "'bad host!'"]),
    ("host-unknown-key", with_host(adress="x"), ["shipyard.hosts.primary.adress"]),
    ("host-check-url-ftp", with_host(http_checks=[{"url": "ftp://x"}]),
     ["shipyard.hosts.primary.http_checks[0].url"]),
    ("host-check-unknown-key", with_host(http_checks=[{"url": "http://x", "code": 1}]),
     ["shipyard.hosts.primary.http_checks[0].code"]),
    ("host-checks-string", with_host(http_checks="http://x"),
     ["shipyard.hosts.primary.http_checks", "'http://x'"]),
    ("deploy-health-timeout-zero", setting("deploy.health_timeout", 0),
     ["shipyard.deploy.health_timeout", "0"]),
    ("deploy-keep-string", setting("deploy.keep_releases", "5"),
     ["shipyard.deploy.keep_releases", "'5'"]),
    ("deploy-order-string", setting("deploy.order", "primary"),
     ["shipyard.deploy.order", "'primary'"]),
    ("deploy-flag-string", setting("deploy.fleet_rollback", "no"),
     ["shipyard.deploy.fleet_rollback", "'no'"]),
    ("deploy-map-value-number", setting("deploy.services_map", {"web": 1}),
     ["shipyard.deploy.services_map.web", "1"]),
    ("context-outside-app", setting("services[0].context", "../../no-such"),
     ["shipyard.services[0].context", "../../no-such"]),
]

ENV_CASES = [
    ("aws-account-short", {"AWS_ACCOUNT_ID": "12345", "AWS_REGION": "eu-west-1"},
     ["AWS_ACCOUNT_ID", "'12345'"]),
    ("aws-region-missing", {"AWS_ACCOUNT_ID": "123456789012"}, ["AWS_REGION", "missing"]),
    ("aws-region-invalid", {"AWS_ACCOUNT_ID": "123456789012", "AWS_REGION": "mars"},
     ["AWS_REGION", "'mars'"]),
    ("env-port-zero", {"INVOKE_SHIPYARD_REGISTRY_PORT": "0"},
     ["shipyard.registry.port", "0"]),
]

MERGE_CASES = [
    ("section-scalar", "shipyard: 5\n", ["shipyard"]),
    ("hosts-list", None, ["shipyard.hosts"]),
    ("build-list", None, ["shipyard.build"]),
    ("env-port-letters", None, ["INVOKE_SHIPYARD_REGISTRY_PORT", "abc"]),
    ("yaml-syntax", "shipyard: [unclosed\n", ["invoke.yaml"]),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("bad-config"), "127.0.0.1:1")


@pytest.fixture
def write_config(project):
    original = copy.deepcopy(project.config)

    def write(change=None, text=None):
        if text is not None:
            (project.root / "invoke.yaml").write_text(text)
            return
        config = copy.deepcopy(original)
        if change:
            change(config)
        (project.root / "invoke.yaml").write_text(
            yaml.safe_dump({"shipyard": config}, sort_keys=False)
        )

    yield write
    write()


@pytest.mark.parametrize("change, needles", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_config_rejected(project, write_config, change, needles):
    write_config(change)

    result = project.inv("build")

    assert_clean_failure(result, *needles)
    assert result.returncode == 2
    assert_no_partial_output(project.root, project.manifest_path)
    assert not (project.root / ".shipyard" / "state" / "build.json").exists()


@pytest.mark.parametrize("env, needles", [c[1:] for c in ENV_CASES],
                         ids=[c[0] for c in ENV_CASES])
def test_bad_environment_rejected(project, write_config, env, needles):
    write_config()

    result = project.inv("build", env=env)

    assert_clean_failure(result, *needles)
    assert result.returncode == 2


@pytest.mark.parametrize("text, needles", [c[1:] for c in MERGE_CASES],
                         ids=[c[0] for c in MERGE_CASES])
def test_bad_config_shape_rejected(project, write_config, text, needles, request):
    case = request.node.callspec.id
    env = {}
    if case == "hosts-list":
        write_config(setting("hosts", ["a", "b"]))
    elif case == "build-list":
        write_config(setting("build", ["fast"]))
    elif case == "env-port-letters":
        write_config()
        env = {"INVOKE_SHIPYARD_REGISTRY_PORT": "abc"}
    else:
        write_config(text=text)

    result = project.inv("build", env=env)

    assert_clean_failure(result, *needles)
