"""Settings: shipyard's section of the Invoke config, validated.

Invoke merges its own levels (collection defaults, `invoke.yaml`,
`INVOKE_SHIPYARD_*` environment variables, runtime files). This module takes
the merged `shipyard` mapping and turns it into typed settings, or raises
`ConfigError` naming the first invalid key and how to fix it. `AWS_REGION`,
`AWS_DEFAULT_REGION` and `AWS_ACCOUNT_ID` from the environment fill the ECR
keys left empty.
"""

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.errors import ConfigError

# Defaults for every key. Invoke only maps INVOKE_SHIPYARD_* variables onto
# keys that exist here, and validation rejects keys that do not.
DEFAULTS = {
    "app_dir": ".",
    "output_dir": ".shipyard",
    "manifest": "image-manifest.json",
    "project": "",
    "source_url": "",
    "services": [],
    "registry": {
        "address": "",
        "port": 5000,
        "start_local": True,
        "data_dir": ".shipyard/registry",
        "username": "",
        "password_env": "SHIPYARD_REGISTRY_PASSWORD",
        "aws_account_id": "",
        "aws_region": "",
        "scan_on_push": True,
    },
    "tags": {
        "sha_length": 7,
    },
    "build": {
        "parallel": 0,
        "platform": "",
        "timeout": 1800,
    },
    "preflight": {
        "env_allowlist": [],
        "require_digest": False,
        "detect_secrets": True,
        "baseline": ".secrets.baseline",
        "skip": [],
        "build_args": {},
    },
    "verify": {
        "fail_on": "CRITICAL",
        "scan_timeout": 600,
        "scan_poll_interval": 10,
    },
    "ecr_policy": {
        "enabled": False,
        "keep_images": 30,
        "untagged_days": 7,
        "protect_prefix": "keep-",
        "immutable_tags": True,
        "mutable_tags": ["main"],
    },
    "hosts": {},
    "deploy": {
        "compose_file": "compose/docker-compose.yml",
        "project_name": "",
        "health_timeout": 120,
        "stable_seconds": 5,
        "keep_releases": 5,
        "prune_images": False,
        "lock_stale_after": 3600,
        "accept_new_host_keys": False,
        "fleet_rollback": True,
        "order": ["primary", "backup"],
        "services_map": {},
    },
}

SERVICE_KEYS = {
    "name": str,
    "context": str,
    "dockerfile": str,
    "repository": str,
    "max_size_mb": (int, float),
    "build_args": dict,
}

HOST_KEYS = {
    "address": str,
    "port": int,
    "user": str,
    "key": str,
    "compose_dir": str,
    "known_hosts": str,
    "connect_timeout": (int, float),
    "http_checks": list,
    "project_name": str,
}

HTTP_CHECK_KEYS = {"url": str, "status": int, "timeout": (int, float)}

SERVICE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Repository path components as the OCI distribution spec defines them.
REPOSITORY = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
REGISTRY_ADDRESS = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")


@dataclass(frozen=True)
class Service:
    name: str
    context: Path
    dockerfile: Path
    repository: str
    max_size_bytes: int
    build_args: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Registry:
    kind: str  # "ecr" or "local"
    address: str  # host[:port] that image references start with
    port: int
    start_local: bool
    data_dir: Path
    username: str
    password_env: str
    account_id: str
    region: str
    scan_on_push: bool

    @property
    def is_ecr(self):
        return self.kind == "ecr"

    @property
    def is_embedded(self):
        """True when shipyard may start the local registry itself."""
        return self.kind == "local" and self.start_local and self.address in (
            f"127.0.0.1:{self.port}",
            f"localhost:{self.port}",
        )

    def password(self):
        """Return the plain registry password from its environment variable."""
        return os.environ.get(self.password_env, "")


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    port: int
    user: str
    key: str
    compose_dir: str
    known_hosts: str
    connect_timeout: float
    http_checks: tuple
    project_name: str = ""


@dataclass(frozen=True)
class Settings:
    root: Path
    app_dir: Path
    output_dir: Path
    manifest_path: Path
    project: str
    source_url: str
    services: tuple
    registry: Registry
    sha_length: int
    build: dict
    preflight: dict
    hosts: dict
    deploy: dict
    verify: dict = field(default_factory=dict)
    ecr_policy: dict = field(default_factory=dict)

    def service(self, name):
        for service in self.services:
            if service.name == name:
                return service
        known = ", ".join(s.name for s in self.services)
        raise ConfigError(f"unknown service {name!r}; configured services: {known}")

    def image_name(self, service):
        """Return `registry/repository` for `service`, without tag or digest."""
        return f"{self.registry.address}/{service.repository}"


ENV_PREFIX = "INVOKE_SHIPYARD_"


def check_environment(environ):
    """Raise `ConfigError` for an `INVOKE_SHIPYARD_*` variable that names no setting.

    Invoke maps such a variable onto an existing key and silently ignores
    one that matches none, so a typo would go unnoticed.
    """
    known = {ENV_PREFIX + "_".join(path).upper() for path in _key_paths(DEFAULTS)}
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known:
            raise ConfigError(
                f"{name}: no shipyard setting has this name; check the spelling "
                "(INVOKE_SHIPYARD_<SECTION>_<KEY>, for example "
                "INVOKE_SHIPYARD_REGISTRY_PORT) or unset it"
            )


def _key_paths(mapping, prefix=()):
    for key, value in mapping.items():
        path = (*prefix, key)
        yield path
        if isinstance(value, dict):
            yield from _key_paths(value, path)


def load(mapping, root=None, environ=None):
    """Validate the merged `shipyard` config mapping and return `Settings`."""
    environ = os.environ if environ is None else environ
    root = Path(root or os.getcwd()).resolve()
    data = _plain(mapping or {})
    _check_keys(data, DEFAULTS, "shipyard")
    data = _merge(DEFAULTS, data)

    app_dir = _directory(root, data["app_dir"], "shipyard.app_dir")
    project = data["project"] or _project_name(app_dir)
    _check_type(data["project"], str, "shipyard.project")
    output_dir = root / _string(data["output_dir"], "shipyard.output_dir")
    manifest_path = root / _string(data["manifest"], "shipyard.manifest")
    services = _services(data["services"], app_dir, project)
    registry = _registry(data["registry"], root, environ)
    sha_length = _int(data["tags"]["sha_length"], "shipyard.tags.sha_length", 7, 40)
    _int(data["build"]["parallel"], "shipyard.build.parallel", 0, 64)
    _int(data["build"]["timeout"], "shipyard.build.timeout", 1, 86400)
    _check_type(data["build"]["platform"], str, "shipyard.build.platform")
    _check_preflight(data["preflight"])
    hosts = _hosts(data["hosts"])
    _check_deploy(data["deploy"], hosts)
    verify = _check_verify(data["verify"])
    _check_ecr_policy(data["ecr_policy"])
    return Settings(
        root=root,
        app_dir=app_dir,
        output_dir=output_dir,
        manifest_path=manifest_path,
        project=project,
        source_url=_string(data["source_url"], "shipyard.source_url", empty=True),
        services=services,
        registry=registry,
        sha_length=sha_length,
        build=data["build"],
        preflight=data["preflight"],
        hosts=hosts,
        deploy=data["deploy"],
        verify=verify,
        ecr_policy=data["ecr_policy"],
    )


def _plain(value):
    """Turn Invoke's DataProxy objects into plain dicts and lists."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _merge(defaults, data):
    merged = dict(defaults)
    for key, value in data.items():
        if isinstance(defaults.get(key), dict) and key not in ("hosts",):
            if not isinstance(value, dict):
                raise ConfigError(
                    f"shipyard.{key}: expected a mapping, got {type(value).__name__}"
                )
            merged[key] = {**defaults[key], **value}
        else:
            merged[key] = value
    return merged


def _check_keys(data, schema, path):
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping, got {type(data).__name__}")
    for key, value in data.items():
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{path}.{key}: unknown key; valid keys are {known}")
        if isinstance(schema[key], dict) and key != "hosts" and schema[key]:
            _check_keys(value, schema[key], f"{path}.{key}")


def _check_type(value, kinds, key):
    if isinstance(value, bool) and bool not in (
        kinds if isinstance(kinds, tuple) else (kinds,)
    ):
        raise ConfigError(f"{key}: expected {_type_name(kinds)}, got {value!r}")
    if not isinstance(value, kinds):
        raise ConfigError(f"{key}: expected {_type_name(kinds)}, got {value!r}")
    return value


def _type_name(kinds):
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             dict: "a mapping", list: "a list"}
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _string(value, key, empty=False):
    _check_type(value, str, key)
    if not empty and not value.strip():
        raise ConfigError(f"{key}: must not be empty")
    return value


def _int(value, key, low, high):
    _check_type(value, int, key)
    if not low <= value <= high:
        raise ConfigError(f"{key}: {value} is out of range {low}..{high}")
    return value


def _directory(root, value, key):
    path = (root / _string(value, key)).resolve()
    if not path.is_dir():
        raise ConfigError(f"{key}: folder {value!r} not found under {root}")
    return path


def _project_name(app_dir):
    name = re.sub(r"[^a-z0-9]+", "-", app_dir.name.lower()).strip("-")
    return name or "app"


def _services(entries, app_dir, project):
    key = "shipyard.services"
    _check_type(entries, list, key)
    if not entries:
        raise ConfigError(
            f"{key}: no services configured; add at least one with name and context"
        )
    services, names, repositories = [], set(), set()
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        service = _service(entry, where, app_dir, project)
        if service.name in names:
            raise ConfigError(f"{where}.name: duplicate service name {service.name!r}")
        if service.repository in repositories:
            raise ConfigError(
                f"{where}.repository: {service.repository!r} is already used by "
                "another service"
            )
        names.add(service.name)
        repositories.add(service.repository)
        services.append(service)
    return tuple(services)


def _service(entry, where, app_dir, project):
    _check_type(entry, dict, where)
    for name in entry:
        if name not in SERVICE_KEYS:
            known = ", ".join(sorted(SERVICE_KEYS))
            raise ConfigError(f"{where}.{name}: unknown key; valid keys are {known}")
    for name, kinds in SERVICE_KEYS.items():
        if name in entry:
            _check_type(entry[name], kinds, f"{where}.{name}")
    for required in ("name", "context"):
        if required not in entry:
            raise ConfigError(f"{where}.{required}: missing; every service needs one")

    name = entry["name"]
    if not SERVICE_NAME.match(name):
        raise ConfigError(
            f"{where}.name: invalid service name {name!r}; use lowercase letters, "
            "digits, '-' and '_'"
        )
    context = (app_dir / entry["context"]).resolve()
    if not context.is_dir():
        raise ConfigError(
            f"{where}.context: build context {entry['context']!r} not found "
            f"under {app_dir}"
        )
    dockerfile = (context / entry.get("dockerfile", "Dockerfile")).resolve()
    if not dockerfile.is_file():
        raise ConfigError(
            f"{where}.dockerfile: {dockerfile} not found; set dockerfile relative "
            "to the context"
        )
    repository = entry.get("repository") or f"{project}/{name}"
    if not REPOSITORY.match(repository) or len(repository) > 255:
        raise ConfigError(
            f"{where}.repository: invalid repository name {repository!r}; use "
            "lowercase letters, digits and separators (. _ - /)"
        )
    max_size_mb = entry.get("max_size_mb", 500)
    if not math.isfinite(max_size_mb) or max_size_mb <= 0:
        raise ConfigError(f"{where}.max_size_mb: must be above zero, got {max_size_mb}")
    build_args = entry.get("build_args", {})
    for arg, value in build_args.items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{where}.build_args.{arg}: expected a string")
    return Service(
        name=name,
        context=context,
        dockerfile=dockerfile,
        repository=repository,
        max_size_bytes=int(max_size_mb * 1024 * 1024),
        build_args={k: str(v) for k, v in build_args.items()},
    )


def _registry(data, root, environ):
    key = "shipyard.registry"
    port = _int(data["port"], f"{key}.port", 1, 65535)
    _check_type(data["start_local"], bool, f"{key}.start_local")
    _check_type(data["scan_on_push"], bool, f"{key}.scan_on_push")
    address = _string(data["address"], f"{key}.address", empty=True)
    username = _string(data["username"], f"{key}.username", empty=True)
    password_env = _string(data["password_env"], f"{key}.password_env")
    account_id = str(
        _string(data["aws_account_id"], f"{key}.aws_account_id", empty=True)
        or environ.get("AWS_ACCOUNT_ID", "")
    ).strip()
    region = (
        _string(data["aws_region"], f"{key}.aws_region", empty=True)
        or environ.get("AWS_REGION", "")
        or environ.get("AWS_DEFAULT_REGION", "")
    ).strip()

    kind = "ecr" if account_id else "local"
    if kind == "ecr":
        if not ACCOUNT_ID.match(account_id):
            raise ConfigError(
                f"AWS_ACCOUNT_ID: {account_id!r} is not a 12-digit AWS account id"
            )
        if not region:
            raise ConfigError(
                "AWS_REGION: missing; set AWS_REGION or shipyard.registry.aws_region "
                "for the ECR registry"
            )
        if not REGION.match(region):
            raise ConfigError(f"AWS_REGION: {region!r} is not an AWS region name")
        address = address or f"{account_id}.dkr.ecr.{region}.amazonaws.com"
    else:
        address = address or f"127.0.0.1:{port}"

    address = address.removeprefix("https://").removeprefix("http://").rstrip("/")
    if not REGISTRY_ADDRESS.match(address):
        raise ConfigError(
            f"{key}.address: invalid registry address {address!r}; use host or "
            "host:port"
        )
    return Registry(
        kind=kind,
        address=address,
        port=port,
        start_local=data["start_local"],
        data_dir=root / _string(data["data_dir"], f"{key}.data_dir"),
        username=username,
        password_env=password_env,
        account_id=account_id,
        region=region,
        scan_on_push=data["scan_on_push"],
    )


def _hosts(data):
    key = "shipyard.hosts"
    _check_type(data, dict, key)
    hosts = {}
    for name, entry in data.items():
        where = f"{key}.{name}"
        if not HOST_NAME.match(name):
            raise ConfigError(f"{where}: invalid host name {name!r}")
        if name == "all":
            raise ConfigError(
                f"{where}: `all` is reserved for `--host all`; rename the host"
            )
        _check_entry(entry, HOST_KEYS, where)
        for required in ("address", "compose_dir"):
            if not entry.get(required):
                raise ConfigError(f"{where}.{required}: missing; every host needs one")
        port = entry.get("port", 22)
        if not 1 <= port <= 65535:
            raise ConfigError(f"{where}.port: {port} is out of range 1..65535")
        if not entry["compose_dir"].startswith("/"):
            raise ConfigError(
                f"{where}.compose_dir: {entry['compose_dir']!r} must be an absolute "
                "path on the host"
            )
        _check_http_checks(entry.get("http_checks", []), f"{where}.http_checks")
        _positive(entry.get("connect_timeout", 10), f"{where}.connect_timeout")
        hosts[name] = Host(
            name=name,
            address=entry["address"],
            port=port,
            user=entry.get("user", ""),
            key=os.path.expanduser(entry.get("key", "")),
            compose_dir=entry["compose_dir"],
            known_hosts=os.path.expanduser(entry.get("known_hosts", "")),
            connect_timeout=float(entry.get("connect_timeout", 10)),
            http_checks=tuple(entry.get("http_checks", [])),
            project_name=entry.get("project_name", ""),
        )
    return hosts


def _check_preflight(data):
    key = "shipyard.preflight"
    for name in ("env_allowlist", "skip"):
        _check_type(data[name], list, f"{key}.{name}")
        for index, item in enumerate(data[name]):
            _check_type(item, str, f"{key}.{name}[{index}]")
    for flag in ("require_digest", "detect_secrets"):
        _check_type(data[flag], bool, f"{key}.{flag}")
    _string(data["baseline"], f"{key}.baseline")
    _check_type(data["build_args"], dict, f"{key}.build_args")
    for arg, value in data["build_args"].items():
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(f"{key}.build_args.{arg}: expected a string")


def _check_deploy(data, hosts):
    key = "shipyard.deploy"
    _check_type(data["compose_file"], str, f"{key}.compose_file")
    _check_type(data["project_name"], str, f"{key}.project_name")
    _int(data["health_timeout"], f"{key}.health_timeout", 1, 3600)
    _int(data["stable_seconds"], f"{key}.stable_seconds", 0, 600)
    _int(data["keep_releases"], f"{key}.keep_releases", 1, 100)
    _int(data["lock_stale_after"], f"{key}.lock_stale_after", 1, 7 * 86400)
    for flag in ("prune_images", "accept_new_host_keys", "fleet_rollback"):
        _check_type(data[flag], bool, f"{key}.{flag}")
    _check_type(data["order"], list, f"{key}.order")
    order = data["order"]
    for index, name in enumerate(order):
        if not isinstance(name, str) or not HOST_NAME.match(name):
            raise ConfigError(
                f"{key}.order[{index}]: {name!r} is not a host name; list names "
                "from shipyard.hosts"
            )
        if name in order[:index]:
            raise ConfigError(f"{key}.order[{index}]: host {name!r} is listed twice")
        # The default order names primary and backup, which a one-host setup lacks.
        if hosts and order != DEFAULTS["deploy"]["order"] and name not in hosts:
            known = ", ".join(sorted(hosts))
            raise ConfigError(
                f"{key}.order[{index}]: unknown host {name!r}; configured hosts: {known}"
            )
    _check_type(data["services_map"], dict, f"{key}.services_map")
    for compose_name, manifest_name in data["services_map"].items():
        _check_type(manifest_name, str, f"{key}.services_map.{compose_name}")


def _check_http_checks(checks, where):
    for index, check in enumerate(checks):
        item = f"{where}[{index}]"
        _check_entry(check, HTTP_CHECK_KEYS, item)
        if not str(check.get("url", "")).startswith(("http://", "https://")):
            raise ConfigError(f"{item}.url: missing or not an http:// or https:// URL")
        if "status" in check and not 100 <= check["status"] <= 599:
            raise ConfigError(
                f"{item}.status: {check['status']} is not an HTTP status (100..599)"
            )
        if "timeout" in check:
            _positive(check["timeout"], f"{item}.timeout")


def _positive(value, key):
    """Raise unless `value` is a finite number above zero."""
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{key}: must be a number above zero, got {value!r}")


def _check_entry(entry, schema, where):
    """Check that `entry` is a mapping whose keys are in `schema`, typed as listed."""
    _check_type(entry, dict, where)
    for name in entry:
        if name not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{where}.{name}: unknown key; valid keys are {known}")
    for name, kinds in schema.items():
        if name in entry:
            _check_type(entry[name], kinds, f"{where}.{name}")


# ECR's scan severities from least to most severe. NONE as a threshold turns
# the scan gate off.
SCAN_SEVERITIES = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")


def check_fail_on(value, key="shipyard.verify.fail_on"):
    """Return the scan threshold `value` in upper case, or raise `ConfigError`."""
    _check_type(value, str, key)
    severity = value.strip().upper()
    if severity not in (*SCAN_SEVERITIES, "NONE"):
        choices = ", ".join((*SCAN_SEVERITIES, "NONE"))
        raise ConfigError(f"{key}: {value!r} is not a severity; use one of {choices}")
    return severity


def _check_verify(data):
    key = "shipyard.verify"
    _int(data["scan_timeout"], f"{key}.scan_timeout", 0, 3600)
    _int(data["scan_poll_interval"], f"{key}.scan_poll_interval", 1, 300)
    return {**data, "fail_on": check_fail_on(data["fail_on"])}


def _check_ecr_policy(data):
    key = "shipyard.ecr_policy"
    _check_type(data["enabled"], bool, f"{key}.enabled")
    _check_type(data["immutable_tags"], bool, f"{key}.immutable_tags")
    _int(data["keep_images"], f"{key}.keep_images", 1, 10000)
    _int(data["untagged_days"], f"{key}.untagged_days", 1, 3650)
    prefix = _string(data["protect_prefix"], f"{key}.protect_prefix")
    if not re.match(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$", prefix):
        raise ConfigError(
            f"{key}.protect_prefix: {prefix!r} cannot start an image tag; use "
            "letters, digits, '.', '_' and '-'"
        )
    _check_type(data["mutable_tags"], list, f"{key}.mutable_tags")
    for index, tag in enumerate(data["mutable_tags"]):
        _string(tag, f"{key}.mutable_tags[{index}]")
