"""Image references: parse `[registry[:port]/]path[:tag][@digest]` apart.

The rules follow the distribution reference grammar that Docker uses: the
first path component is a registry host only when it contains a `.` or a
`:`, or is `localhost`; a tag follows the last `:` after the last `/`; a
digest follows `@`.
"""

import re
from dataclasses import dataclass

from shipyard.errors import ShipyardError

DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
SHA256_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")


class InvalidReference(ShipyardError):
    """An image reference that does not follow the reference grammar."""


@dataclass(frozen=True)
class ImageRef:
    registry: str  # "" when the reference names none (Docker Hub)
    path: str  # repository path without the registry
    tag: str = ""
    digest: str = ""

    @property
    def repository(self):
        """Return `registry/path`, or `path` alone when there is no registry."""
        return f"{self.registry}/{self.path}" if self.registry else self.path

    def with_digest(self, digest, keep_tag=True):
        """Return a copy pinned to `digest`, keeping the tag when asked."""
        return ImageRef(self.registry, self.path, self.tag if keep_tag else "", digest)

    def __str__(self):
        text = self.repository
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def parse(reference):
    """Parse `reference` into an `ImageRef`; raise `InvalidReference` if malformed."""
    text = reference.strip()
    if not text or text != reference or any(ch.isspace() for ch in text):
        raise InvalidReference(f"invalid image reference {reference!r}")

    name, digest = text, ""
    if "@" in text:
        name, digest = text.split("@", 1)
        if not DIGEST.match(digest):
            raise InvalidReference(
                f"invalid digest {digest!r} in image reference {reference!r}"
            )

    tag = ""
    last_slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > last_slash:
        name, tag = name[:colon], name[colon + 1 :]
        if not TAG.match(tag):
            raise InvalidReference(f"invalid tag {tag!r} in image reference {reference!r}")

    registry, path = "", name
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    if not path or not all(PATH_COMPONENT.match(part) for part in path.split("/")):
        raise InvalidReference(
            f"invalid repository {path!r} in image reference {reference!r}; use "
            "lowercase letters, digits and separators"
        )
    return ImageRef(registry=registry, path=path, tag=tag, digest=digest)
