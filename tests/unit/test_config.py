from pathlib import Path

import pytest

from shipyard import config
from shipyard.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def example(**overrides):
    data = {
        "app_dir": "examples/finansecure",
        "services": [
            {"name": "auth", "context": "FinanSecure.Auth"},
            {"name": "website", "context": "website", "repository": "fin/site"},
        ],
    }
    data.update(overrides)
    return data


def load(data, environ=None):
    return config.load(data, root=REPO, environ=environ or {})


def error_of(data, environ=None):
    with pytest.raises(ConfigError) as caught:
        load(data, environ)
    return str(caught.value)


def test_example_settings_load():
    settings = load(example())

    assert [s.name for s in settings.services] == ["auth", "website"]
    assert settings.services[0].repository == "finansecure/auth"
    assert settings.services[1].repository == "fin/site"
    assert settings.registry.kind == "local"
    assert settings.registry.address == "127.0.0.1:5000"
    assert settings.registry.is_embedded


def test_ecr_from_environment():
    settings = load(example(), {"AWS_ACCOUNT_ID": "123456789012", "AWS_REGION": "eu-west-1"})

    assert settings.registry.is_ecr
    assert settings.registry.address == "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    assert not settings.registry.is_embedded


def test_ecr_address_override_strips_scheme():
    data = example(registry={"address": "https://127.0.0.1:5005/"})

    settings = load(data, {"AWS_ACCOUNT_ID": "123456789012", "AWS_REGION": "eu-west-1"})

    assert settings.registry.address == "127.0.0.1:5005"


@pytest.mark.parametrize(
    "data, environ, expected",
    [
        (example(extra=1), {}, "shipyard.extra: unknown key"),
        (example(registry={"adress": "x"}), {}, "shipyard.registry.adress: unknown key"),
        (example(registry={"port": "5000"}), {}, "shipyard.registry.port: expected an integer"),
        (example(registry={"port": 70000}), {}, "shipyard.registry.port: 70000 is out of range"),
        (example(services=[]), {}, "shipyard.services: no services configured"),
        (example(services={"auth": {}}), {}, "shipyard.services: expected a list"),
        (example(services=[{"name": "auth"}]), {}, "shipyard.services[0].context: missing"),
        (
            example(services=[{"name": "auth", "context": "nope"}]),
            {},
            "shipyard.services[0].context: build context 'nope' not found",
        ),
        (
            example(services=[{"name": "auth", "context": "website"},
                              {"name": "auth", "context": "website"}]),
            {},
            "shipyard.services[1].name: duplicate service name 'auth'",
        ),
        (
            example(services=[{"name": "a", "context": "website", "repository": "Fin/A"}]),
            {},
            "shipyard.services[0].repository: invalid repository name 'Fin/A'",
        ),
        (
            example(services=[{"name": "a", "context": "website", "dockerfile": "Nope"}]),
            {},
            "shipyard.services[0].dockerfile:",
        ),
        (
            example(services=[{"name": "a", "context": "website", "max_size_mb": -1}]),
            {},
            "shipyard.services[0].max_size_mb: must be above zero",
        ),
        (
            example(services=[{"name": "Auth!", "context": "website"}]),
            {},
            "shipyard.services[0].name: invalid service name",
        ),
        (
            example(services=[{"name": "a", "context": "website", "contxt": "x"}]),
            {},
            "shipyard.services[0].contxt: unknown key",
        ),
        (example(app_dir="missing"), {}, "shipyard.app_dir: folder 'missing' not found"),
        (example(), {"AWS_ACCOUNT_ID": "123"}, "AWS_ACCOUNT_ID: '123' is not a 12-digit"),
        (example(), {"AWS_ACCOUNT_ID": "123456789012"}, "AWS_REGION: missing"),
        (
            example(),
            {"AWS_ACCOUNT_ID": "123456789012", "AWS_REGION": "moon"},
            "AWS_REGION: 'moon' is not an AWS region",
        ),
        (example(registry={"address": "bad host/x"}), {}, "invalid registry address"),
        (example(hosts={"primary": {"address": "127.0.0.1"}}), {}, "shipyard.hosts.primary.compose_dir: missing"),
        (
            example(hosts={"primary": {"address": "h", "compose_dir": "/srv", "port": 0}}),
            {},
            "shipyard.hosts.primary.port: 0 is out of range",
        ),
        (example(build={"parallel": True}), {}, "shipyard.build.parallel: expected an integer"),
        (example(tags="x"), {}, "shipyard.tags: expected a mapping"),
        (example(deploy={"order": [1, 2]}), {}, "shipyard.deploy.order[0]: 1 is not a host name"),
        (
            example(hosts={"primary": {"address": "h", "compose_dir": "/srv"}},
                    deploy={"order": ["primray"]}),
            {},
            "shipyard.deploy.order[0]: unknown host 'primray'",
        ),
        (example(deploy={"order": ["a", "a"]}), {}, "shipyard.deploy.order[1]: host 'a' is listed twice"),
        (example(hosts={"all": {"address": "h", "compose_dir": "/srv"}}), {}, "shipyard.hosts.all: `all` is reserved"),
        (
            example(hosts={"p": {"address": "h", "compose_dir": "/s", "connect_timeout": -5}}),
            {},
            "shipyard.hosts.p.connect_timeout: must be a number above zero",
        ),
        (
            example(hosts={"p": {"address": "h", "compose_dir": "/s",
                                 "http_checks": [{"url": "http://x/", "status": 99999}]}}),
            {},
            "shipyard.hosts.p.http_checks[0].status: 99999 is not an HTTP status",
        ),
        (
            example(services=[{"name": "a", "context": "website", "max_size_mb": float("nan")}]),
            {},
            "shipyard.services[0].max_size_mb: must be above zero",
        ),
        (example(preflight={"skip": "detect-secrets"}), {}, "shipyard.preflight.skip: expected a list"),
        (example(preflight={"detect_secrets": "no"}), {}, "shipyard.preflight.detect_secrets: expected true or false"),
        (example(preflight={"env_allowlist": 5}), {}, "shipyard.preflight.env_allowlist: expected a list"),
    ],
)
def test_invalid_config_names_key(data, environ, expected):
    assert expected in error_of(data, environ)


def test_known_environment_variables_pass():
    config.check_environment({
        "INVOKE_SHIPYARD_REGISTRY_PORT": "5001",
        "INVOKE_SHIPYARD_OUTPUT_DIR": "out",
        "INVOKE_SHIPYARD_DEPLOY_HEALTH_TIMEOUT": "30",
        "INVOKE_RUN_ECHO": "1",
    })


def test_unknown_environment_variable_named():
    with pytest.raises(ConfigError) as caught:
        config.check_environment({"INVOKE_SHIPYARD_REGISTRY_PROT": "5001"})

    assert str(caught.value).startswith("INVOKE_SHIPYARD_REGISTRY_PROT: no shipyard setting")
