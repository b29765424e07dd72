"""A small client for the OCI distribution HTTP API (`/v2/`).

It works against ECR and any OCI registry: Basic auth, and Bearer tokens
fetched from the realm a `401` challenge names. `requests` counts every
HTTP request, so the verify phase can report its round trips.
"""

import hashlib
import ipaddress
import json
import re
import time

from shipyard.errors import RegistryError

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
INDEX_TYPES = MANIFEST_TYPES[2:]
TIMEOUT = 15
ATTEMPTS = 3
RETRY_PAUSE = 0.5  # seconds, times the attempt number
MAX_CHILD_MANIFESTS = 16


def scheme_for(address):
    """Return `http` for loopback registries and `https` for every other one."""
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 else address
    host = host.strip("[]")
    if host == "localhost":
        return "http"
    try:
        return "http" if ipaddress.ip_address(host).is_loopback else "https"
    except ValueError:
        return "https"


class RegistryClient:
    def __init__(self, address, username="", password=""):
        self.address = address
        self.base = f"{scheme_for(address)}://{address}"
        self._basic = (username, password) if username else None
        self._token = None
        self.requests = 0
        self._session = None

    def reachable(self):
        """Return True when anything responds to HTTP on `/v2/`, with or without auth."""
        try:
            self._send_once("GET", "/v2/", {})
        except RegistryError:
            return False
        return True

    def ping(self):
        """Check that the registry responds and accepts the credentials."""
        response = self._request("GET", "/v2/")
        if response.status_code != 200:
            raise RegistryError(
                f"registry {self.address} rejected the request to /v2/ "
                f"(HTTP {response.status_code}); check the registry address and login"
            )

    def manifest(self, repository, reference):
        """Return `(digest, media_type, body)` for a tag or digest, or None if absent."""
        path = f"/v2/{repository}/manifests/{reference}"
        response = self._request("GET", path, headers={"Accept": ", ".join(MANIFEST_TYPES)})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise RegistryError(
                f"registry {self.address}: GET {path} returned HTTP "
                f"{response.status_code}"
            )
        body = response.content
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        header = response.headers.get("Docker-Content-Digest", digest)
        if header != digest:
            raise RegistryError(
                f"registry {self.address}: {repository}:{reference} manifest digest "
                f"header {header} does not match its content {digest}"
            )
        media_type = response.headers.get("Content-Type", "").split(";")[0]
        return digest, media_type, body

    def put_tag(self, repository, digest, tag):
        """Point `tag` at the manifest `digest` by putting the same bytes under it."""
        found = self.manifest(repository, digest)
        if found is None:
            raise RegistryError(
                f"registry {self.address}: {repository}@{digest} not found after "
                "the push; run `inv push` again"
            )
        _, media_type, body = found
        path = f"/v2/{repository}/manifests/{tag}"
        response = self._request(
            "PUT", path, headers={"Content-Type": media_type}, data=body
        )
        stored = response.headers.get("Docker-Content-Digest", digest)
        if response.status_code not in (200, 201) or stored != digest:
            raise RegistryError(
                f"registry {self.address}: tagging {repository}@{digest} as {tag} "
                f"failed (HTTP {response.status_code}); check push permissions"
            )

    def image_size(self, repository, body, media_type):
        """Return the compressed size in bytes: config plus layers of the manifest.

        For an index, the sizes of its platform manifests are added up.
        """
        document = json.loads(body)
        media_type = document.get("mediaType", media_type)
        if media_type in INDEX_TYPES or "manifests" in document:
            total = 0
            for child in document.get("manifests", [])[:MAX_CHILD_MANIFESTS]:
                found = self.manifest(repository, child["digest"])
                if found is None:
                    raise RegistryError(
                        f"registry {self.address}: {repository} index names "
                        f"{child['digest']}, which is missing"
                    )
                total += self.image_size(repository, found[2], found[1])
            return total
        layers = document.get("layers", [])
        return document.get("config", {}).get("size", 0) + sum(
            layer.get("size", 0) for layer in layers
        )

    def _request(self, method, path, headers=None, data=None):
        headers = dict(headers or {})
        response = self._send(method, path, headers, data)
        if response.status_code == 401:
            self._authorize(response.headers.get("WWW-Authenticate", ""))
            response = self._send(method, path, headers, data)
        if response.status_code == 401:
            raise RegistryError(
                f"registry {self.address} rejected the credentials (HTTP 401); "
                "run `inv ecr-login` or check shipyard.registry.username and the "
                "password variable"
            )
        return response

    def _send(self, method, path, headers, data=None):
        """Send one request, retrying connection errors and 5xx responses.

        Up to `ATTEMPTS` tries with a short growing pause, so a registry
        that blips once does not fail a release, and a dead one fails
        within seconds.
        """
        for attempt in range(1, ATTEMPTS + 1):
            last_try = attempt == ATTEMPTS
            try:
                response = self._send_once(method, path, headers, data)
            except RegistryError:
                if last_try:
                    raise
            else:
                if response.status_code < 500 or last_try:
                    return response
            time.sleep(RETRY_PAUSE * attempt)
        raise AssertionError("unreachable")

    def _send_once(self, method, path, headers, data=None):
        import requests

        if self._session is None:
            self._session = requests.Session()
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        auth = self._basic if not self._token else None
        self.requests += 1
        try:
            return self._session.request(
                method,
                self.base + path,
                headers=headers,
                data=data,
                auth=auth,
                timeout=TIMEOUT,
            )
        except requests.exceptions.ConnectionError:
            raise RegistryError(
                f"registry {self.address} is not reachable ({self.base}); start it "
                "or check shipyard.registry.address"
            ) from None
        except requests.exceptions.Timeout:
            raise RegistryError(
                f"registry {self.address} timed out after {TIMEOUT} s"
            ) from None

    def _authorize(self, challenge):
        """Fetch a Bearer token when the registry requests one."""
        import requests

        if not challenge.lower().startswith("bearer"):
            return
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = fields.pop("realm", "")
        if not realm:
            return
        self.requests += 1
        try:
            response = self._session.get(
                realm, params=fields, auth=self._basic, timeout=TIMEOUT
            )
        except requests.exceptions.RequestException:
            raise RegistryError(
                f"registry {self.address}: token service {realm} is not reachable"
            ) from None
        if response.ok:
            data = response.json()
            self._token = data.get("token") or data.get("access_token")
