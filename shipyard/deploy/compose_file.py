"""Rewrite a Compose file so each released service runs its image by digest.

The file goes through a ruamel.yaml round trip, so comments, key order,
quotes, anchors, merge keys and `${VAR:-default}` strings in untouched keys
come out as written. ruamel.yaml reads YAML 1.2 by default, which keeps
`2122:22` a string instead of the YAML 1.1 base-60 integer.

Anchors: when every service that takes `image` from an anchored mapping
through `<<:` is in the release, the anchored value changes and the services
keep `<<: *anchor`. When only some are, those services get their own
`image:` key and the anchor stays as it was.
"""

import io

from shipyard import imageref
from shipyard.errors import DeployError


class ComposeFileError(DeployError):
    """A Compose file that cannot be read or rewritten."""


def new_reference(current, image):
    """Return the reference a released service should run.

    `current` is the service's `image:` value (or "" when it has none) and
    `image` the manifest entry. The tag is kept only when the manifest lists
    it for this repository, so a tag in the output is never stale.
    """
    tag = ""
    if current:
        try:
            parsed = imageref.parse(current)
        except imageref.InvalidReference:
            parsed = None
        if parsed and parsed.repository == image["repository"]:
            tag = parsed.tag if parsed.tag in image.get("tags", []) else ""
    name = f"{image['repository']}:{tag}" if tag else image["repository"]
    return f"{name}@{image['digest']}"


def released_services(manifest, services_map=None):
    """Return compose service name -> manifest image entry for `manifest`.

    `services_map` maps a compose service name to a manifest service name;
    services not named in it use the same name on both sides.
    """
    services_map = services_map or {}
    by_manifest_name = {value: key for key, value in services_map.items()}
    return {
        by_manifest_name.get(name, name): image
        for name, image in manifest["images"].items()
    }


def rewrite(text, images, source="compose file"):
    """Return `text` with each service in `images` set to its new reference.

    `images` maps a compose service name to a manifest image entry. A
    released service with `build:` loses it, so the host never builds an
    image under the registry name. Raises `ComposeFileError` when the file
    is invalid or lacks a released service.
    """
    yaml = _yaml(text)
    document = _load(yaml, text, source)
    services = _services(document, source)
    missing = sorted(set(images) - set(services))
    if missing:
        raise ComposeFileError(
            f"{source}: service {', '.join(missing)} from the manifest is not "
            "defined; add it under services: or map it with deploy.services_map"
        )

    _rewrite_anchored(services, images)
    for name, image in images.items():
        _rewrite_service(services[name], image)

    stream = io.StringIO()
    yaml.dump(document, stream)
    output = stream.getvalue()
    _check_result(output, images, source)
    return output


def service_settings(text, source="compose file"):
    """Return service name -> {"restart": str, "profiles": bool} for `text`."""
    document = _load(_yaml(text), text, source)
    settings = {}
    for name, service in _services(document, source).items():
        restart = service.get("restart", "no") if hasattr(service, "get") else "no"
        settings[name] = {
            "restart": str(restart if restart is not False else "no"),
            "profiles": bool(service.get("profiles")),
        }
    return settings


def image_values(text, source="compose file"):
    """Return service name -> resolved `image:` value ("" when none)."""
    document = _load(_yaml(text), text, source)
    return {
        name: str(service.get("image", "") or "")
        for name, service in _services(document, source).items()
    }


def _yaml(text):
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _guess_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _guess_indent(text):
    """Return (mapping, sequence, offset) indents as the file uses them."""
    mapping, offset = None, None
    previous = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        column = len(line) - len(line.lstrip(" "))
        if previous and previous[1].endswith(":"):
            step = column - previous[0]
            if stripped.startswith("- ") or stripped == "-":
                offset = step if offset is None else offset
            elif step > 0 and mapping is None:
                mapping = step
        previous = (column, stripped.split(" #")[0].rstrip())
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = 0 if offset is None else max(offset, 0)
    return mapping, offset + 2, offset


def _load(yaml, text, source):
    from ruamel.yaml import YAMLError

    try:
        document = yaml.load(text)
    except YAMLError as error:
        problem = str(error).splitlines()[0] if str(error) else "invalid YAML"
        raise ComposeFileError(f"{source}: invalid YAML: {problem}") from None
    if not hasattr(document, "get"):
        raise ComposeFileError(f"{source}: expected a mapping with services:")
    return document


def _services(document, source):
    services = document.get("services")
    if not hasattr(services, "items"):
        raise ComposeFileError(f"{source}: missing services: mapping")
    return services


def _own_keys(mapping):
    return {key for key, _ in mapping.non_merged_items()}


def _merge_sources(mapping):
    """Return the mappings that `mapping` merges in with `<<:`, in order."""
    merged = getattr(mapping, "merge", None) or []
    return [item[1] if isinstance(item, tuple) else item for item in merged]


def _image_owner(service):
    """Return the mapping whose own `image` key `service` resolves to, or None."""
    if "image" in _own_keys(service):
        return service
    for source in _merge_sources(service):
        owner = _image_owner(source)
        if owner is not None:
            return owner
    return None


def _rewrite_anchored(services, images):
    """Change anchored `image` values whose every user is in the release."""
    users = {}
    for name, service in services.items():
        owner = _image_owner(service) if hasattr(service, "items") else None
        if owner is not None and owner is not service:
            users.setdefault(id(owner), (owner, []))[1].append(name)

    for owner, names in users.values():
        targets = {images[name]["reference"] for name in names if name in images}
        if len(targets) == 1 and all(name in images for name in names):
            image = images[names[0]]
            _set_value(owner, "image", new_reference(str(owner["image"]), image))


def _rewrite_service(service, image):
    owner = _image_owner(service)
    current = str(owner["image"]) if owner is not None else ""
    reference = new_reference(current, image)
    if owner is None or owner is not service:
        # Either the image comes from an anchor shared with services outside
        # the release, or the service has none yet: give it its own key.
        if owner is None or str(owner["image"]) != reference:
            _insert_image(service, reference)
    else:
        _set_value(service, "image", reference)
    if "build" in _own_keys(service):
        del service["build"]


def _set_value(mapping, key, value):
    """Set `mapping[key]` to `value`, keeping the old value's quote style."""
    old = mapping[key]
    mapping[key] = type(old)(value) if _is_quoted(old) else value


def _is_quoted(value):
    from ruamel.yaml.scalarstring import (
        DoubleQuotedScalarString,
        SingleQuotedScalarString,
    )

    return isinstance(value, (DoubleQuotedScalarString, SingleQuotedScalarString))


def _insert_image(service, reference):
    own = list(_own_keys(service))
    keys = [key for key in service if key in own]
    position = keys.index("build") if "build" in keys else 0
    merge = getattr(service, "merge", None)
    merge_position = getattr(merge, "merge_pos", -1) if merge else -1
    if merge_position >= position:
        # Keep `<<: *anchor` first so the service reads as "anchor, then
        # its own overrides".
        position = merge_position + 1
    service.insert(position, "image", reference)


def _check_result(output, images, source):
    """Reload `output` and check each released service resolves as intended."""
    resolved = image_values(output, source)
    for name, image in images.items():
        parsed = imageref.parse(resolved[name])
        if parsed.repository != image["repository"] or parsed.digest != image["digest"]:
            raise ComposeFileError(
                f"{source}: rewriting service {name} produced {resolved[name]!r}; "
                "check anchors and merge keys around its image:"
            )
