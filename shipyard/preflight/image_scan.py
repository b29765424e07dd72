"""Scan a built image's layers for secret files and secrets in text files.

Works on `docker save` output of a local image, so it reads every layer,
including files that a later layer deletes: they still ship in the image.
"""

import json
import posixpath
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import DockerUnavailable
from shipyard.preflight import detect
from shipyard.preflight.env_files import is_env_file, is_template
from shipyard.preflight.findings import WARNING, finding

PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
KEY_FILE_NAMES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
TOKEN_FILES = {
    ".npmrc": re.compile(rb"_auth(?:Token)?\s*=\s*\S"),
    ".pypirc": re.compile(rb"^\s*password\s*[=:]\s*\S", re.MULTILINE),
    "config.json": re.compile(rb'"auth"\s*:\s*"[^"]+"'),  # ~/.docker/config.json
}


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1024 * 1024  # text files above this are not scanned
    max_total_bytes: int = 64 * 1024 * 1024  # text bytes given to detect-secrets
    max_files: int = 20000  # text files given to detect-secrets
    timeout: float = 120.0  # seconds for `docker save` and the whole scan


def scan_image(image_ref, limits=None):
    """Return findings for `image_ref`, a local image; raise DockerUnavailable.

    A limit that cuts the scan short is reported as an `image-secret`
    warning naming the limit.
    """
    limits = limits or Limits()
    deadline = time.monotonic() + limits.timeout
    with tempfile.TemporaryDirectory(prefix="shipyard-image-scan-") as temp:
        archive = Path(temp) / "image.tar"
        _save(image_ref, archive, limits.timeout)
        extracted = Path(temp) / "files"
        state = _ScanState(image_ref, extracted, limits, deadline)
        for layer in _layers(archive):
            state.scan_layer(layer)
        return state.findings + _detect(image_ref, extracted, state)


def _save(image_ref, archive, timeout):
    argv = ["docker", "save", "-o", str(archive), image_ref]
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        raise DockerUnavailable("docker not found; install the Docker CLI") from None
    except subprocess.TimeoutExpired:
        raise DockerUnavailable(
            f"docker save {image_ref} timed out after {timeout} s"
        ) from None
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise DockerUnavailable(f"docker save {image_ref} failed: {detail[0]}")


def _layers(archive):
    """Yield an open tarfile per layer, in order, from a `docker save` archive."""
    with tarfile.open(archive) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for path in manifest[0]["Layers"]:
            with tarfile.open(fileobj=outer.extractfile(path)) as layer:
                yield layer


class _ScanState:
    def __init__(self, image_ref, extracted, limits, deadline):
        self.image_ref = image_ref
        self.extracted = extracted
        self.limits = limits
        self.deadline = deadline
        self.findings = []
        self.text_files = []
        self.text_bytes = 0
        self.limit_hit = ""
        self.reported = set()

    def scan_layer(self, layer):
        for member in layer:
            if time.monotonic() > self.deadline:
                self._stop(f"timeout of {self.limits.timeout} s")
                return
            path = member.name.removeprefix("./")
            self._check_path(layer, member, path)

    def _check_path(self, layer, member, path):
        name = posixpath.basename(path)
        if name.startswith(".wh."):
            return  # whiteout marker; the deleted file was checked in its own layer
        reason = _path_reason(path, name, member)
        if reason is None and member.isfile():
            reason = self._content_reason(layer, member, path, name)
        if reason and (path, reason) not in self.reported:
            self.reported.add((path, reason))
            message = f"{reason}: /{path}"
            self.findings.append(finding("image-secret", self.image_ref, 0, message))

    def _content_reason(self, layer, member, path, name):
        if member.size > self.limits.max_file_bytes:
            return None
        data = layer.extractfile(member).read()
        if b"\0" in data[:8192]:
            return None
        if PRIVATE_KEY.search(data):
            return "private key"
        token = TOKEN_FILES.get(name)
        if token and token.search(data):
            return f"{name} with a credential"
        self._keep_text(path, data)
        return None

    def _keep_text(self, path, data):
        if self.limit_hit:
            return
        if len(self.text_files) >= self.limits.max_files:
            self._stop(f"max_files of {self.limits.max_files}")
            return
        if self.text_bytes + len(data) > self.limits.max_total_bytes:
            self._stop(f"max_total_bytes of {self.limits.max_total_bytes}")
            return
        target = self.extracted / path
        if not target.resolve().is_relative_to(self.extracted.resolve()):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.is_dir():
            return
        target.write_bytes(data)
        self.text_bytes += len(data)
        if path not in self.text_files:
            self.text_files.append(path)

    def _stop(self, limit):
        if not self.limit_hit:
            self.limit_hit = limit
            message = f"image scan stopped early: reached the {limit}"
            self.findings.append(
                finding("image-secret", self.image_ref, 0, message, severity=WARNING)
            )


def _path_reason(path, name, member):
    """Return why the path alone is a secret file, or None."""
    parts = path.split("/")
    if ".git" in parts[:-1] or (name == ".git" and member.isdir()):
        return ".git folder"
    if member.isdir():
        return None
    if is_env_file(name) and not is_template(name):
        return "env file"
    if path.endswith(".aws/credentials"):
        return "AWS credentials file"
    if name in KEY_FILE_NAMES:
        return "SSH private key"
    return None


def _detect(image_ref, extracted, state):
    """Run detect-secrets over the text files the layers add."""
    if not state.text_files or time.monotonic() > state.deadline:
        return []
    notes = []
    found = detect.scan(extracted, state.text_files, None, notes)
    shutil.rmtree(extracted, ignore_errors=True)
    return [
        finding("image-secret", image_ref, item.line, f"{item.message} in /{item.file}")
        for item in found
    ]
