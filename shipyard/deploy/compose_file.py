"""Rewrite a Compose file so each released service runs its image by digest.

The file goes through a ruamel.yaml round trip, so comments, key order,
quotes, anchors, merge keys and `${VAR:-default}` strings in untouched keys
come out as written. ruamel.yaml reads YAML 1.2 by default, which keeps
`2122:22` a string instead of the YAML 1.1 base-60 integer.

Anchors: when every service that takes `image` from an anchored mapping
through `<<:` is in the release, the anchored value changes and the services
keep `<<: *anchor`. When only some are, those services get their own
`image:` key and the anchor stays as it was. A scalar anchor
(`image: &img repo:old` reused as `image: *img`) follows the same rule: the
anchored scalar changes when every service using it is released.

A `build:` that a released service takes through `<<:` is removed from the
anchored mapping when every service using it is released. Otherwise the
released service gets the merged keys as its own, without `build:`, and no
longer merges the anchor.
"""

import copy
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

    `services_map` maps a compose service name to a manifest service name,
    and several compose services may run one manifest image. A manifest
    service named in the map is used only under its mapped names; the others
    use the same name on both sides.
    """
    images = manifest["images"]
    released, mapped = {}, set()
    for compose_name, manifest_name in (services_map or {}).items():
        if manifest_name in images:
            released[compose_name] = images[manifest_name]
            mapped.add(manifest_name)
    for name, image in images.items():
        if name not in mapped:
            released.setdefault(name, image)
    return released


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

    _check_unreleased_images(services, images, source)
    _detach_unreleased_mergers(document, services, images)
    _rewrite_anchored(services, images)
    _rewrite_anchored_scalars(document, services, images)
    _drop_merged_builds(document, services, images)
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


def _key_owner(service, key):
    """Return the mapping whose own `key` `service` resolves to, or None."""
    if key in _own_keys(service):
        return service
    for source in _merge_sources(service):
        owner = _key_owner(source, key)
        if owner is not None:
            return owner
    return None


def _image_owner(service):
    return _key_owner(service, "image")


def _check_unreleased_images(services, images, source):
    """Reject a service left on a moving tag of the release's own registry.

    A compose service whose image is in the release's registry, under a
    repository that no manifest image uses, would keep running whatever
    its tag points at. A reference pinned by digest, or a repository the
    release does use (a partial release of services sharing an image), is
    left as it is.
    """
    repositories = {image["repository"] for image in images.values()}
    registries = {imageref.parse(name).registry for name in repositories} - {""}
    for name, service in services.items():
        if name in images or not hasattr(service, "get"):
            continue
        value = str(service.get("image", "") or "")
        try:
            parsed = imageref.parse(value) if value else None
        except imageref.InvalidReference:
            continue
        if parsed is None or parsed.digest or parsed.registry not in registries:
            continue
        if parsed.repository not in repositories:
            raise ComposeFileError(
                f"{source}: service {name} runs {value} from the release's registry, "
                "but the manifest has no image for it; release it too, map it with "
                "deploy.services_map, or pin it by digest"
            )


def _detach_unreleased_mergers(document, services, images):
    """Give each unreleased service that merges a released one its own keys.

    A released service loses `build:` and gets a new `image:`. A service
    outside the release that merges it with `<<:` must keep what it had, so
    its merged keys are copied in and its `<<:` dropped.
    """
    released = [services[name] for name in images if hasattr(services[name], "items")]
    for name, service in list(services.items()):
        if name in images or not hasattr(service, "items"):
            continue
        if any(_merges_from(service, source) for source in released):
            services[name] = _without_merge(service, drop=None)
            _forget_referrer(document, service)


def _merges_from(mapping, source):
    """Return True when `mapping` merges `source`, directly or through another merge."""
    return any(
        merged is source or _merges_from(merged, source)
        for merged in _merge_sources(mapping)
    )


def _forget_referrer(node, old):
    """Drop `old` from every mapping's list of mappings that merge it.

    ruamel.yaml updates those referrers when a key is deleted, and a
    detached one would make that fail.
    """
    if hasattr(node, "non_merged_items"):
        node._ref[:] = [referrer for referrer in node._ref if referrer is not old]
        for _key, value in node.non_merged_items():
            _forget_referrer(value, old)
    elif isinstance(node, list):
        for value in node:
            _forget_referrer(value, old)


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


def _anchor_name(value):
    anchor = getattr(value, "anchor", None)
    return getattr(anchor, "value", None)


def _rewrite_anchored_scalars(document, services, images):
    """Change anchored `image` scalars whose every user is in the release.

    ruamel.yaml loads an alias as the same object as its anchor, so the
    users of one anchored scalar share its identity.
    """
    users = {}
    for name, service in services.items():
        if not hasattr(service, "items") or "image" not in _own_keys(service):
            continue
        value = service["image"]
        if _anchor_name(value):
            users.setdefault(id(value), (value, []))[1].append(name)

    for value, names in users.values():
        targets = {images[name]["reference"] for name in names if name in images}
        if len(targets) != 1 or not all(name in images for name in names):
            continue
        new = type(value)(new_reference(str(value), images[names[0]]))
        new.yaml_set_anchor(_anchor_name(value), always_dump=True)
        _replace_object(document, value, new)


def _replace_object(node, old, new):
    """Replace every occurrence of the object `old` inside `node` by `new`."""
    if hasattr(node, "non_merged_items"):
        for key, value in list(node.non_merged_items()):
            if value is old:
                node[key] = new
            else:
                _replace_object(value, old, new)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if value is old:
                node[index] = new
            else:
                _replace_object(value, old, new)


def _drop_merged_builds(document, services, images):
    """Keep a `build:` that arrives through `<<:` away from released services.

    Docker Compose 2.26 builds a service that has `build:` whenever its
    image is missing on the host, whatever its `pull_policy` (checked with
    never, missing and always), and `build: !reset null` does not remove a
    key merged in with `<<:`. So the key itself has to go.
    """
    users = {}
    for name, service in services.items():
        owner = _key_owner(service, "build") if hasattr(service, "items") else None
        if owner is not None and owner is not service:
            users.setdefault(id(owner), (owner, []))[1].append(name)

    for owner, names in users.values():
        if all(name in images for name in names):
            _delete_merged_key(document, owner, "build")
            continue
        for name in names:
            if name in images:
                services[name] = _without_merge(services[name], drop="build")


def _delete_merged_key(document, owner, key):
    """Delete `owner[key]` and its merged copies in the mappings that merge `owner`.

    ruamel.yaml 0.19.1 raises KeyError from `del` on a mapping that another
    mapping merges, after removing the key from `owner` only. So the merged
    copies are removed here, by a walk over the whole document.
    """
    from ruamel.yaml.compat import ordereddict

    ordereddict.__delitem__(owner, key)
    owner._ok.discard(key)
    _remove_stale_merged(document, key, ordereddict)


def _remove_stale_merged(node, key, ordereddict):
    if hasattr(node, "non_merged_items"):
        if key in node and _key_owner(node, key) is None:
            ordereddict.__delitem__(node, key)
        for _name, value in node.non_merged_items():
            _remove_stale_merged(value, key, ordereddict)
    elif isinstance(node, list):
        for value in node:
            _remove_stale_merged(value, key, ordereddict)


def _without_merge(service, drop):
    """Return `service` with its merged keys copied in, minus `drop`, and no `<<:`.

    The merged keys take the place of `<<:`. Values are deep copies, so the
    output repeats them in place of emitting generated `&id001` anchors.
    """
    from ruamel.yaml.comments import CommentedMap

    own = [(key, value) for key, value in service.non_merged_items()]
    merged = [
        (key, copy.deepcopy(service[key]))
        for key in service
        if key not in _own_keys(service) and key != drop
    ]
    position = getattr(service.merge, "merge_pos", 0)
    inlined = CommentedMap(own[:position] + merged + own[position:])
    inlined.pop(drop, None)
    if service.fa.flow_style():
        inlined.fa.set_flow_style()
    inlined.ca.items.update(service.ca.items)
    return inlined


def _rewrite_service(service, image):
    owner = _image_owner(service)
    current = str(owner["image"]) if owner is not None else ""
    reference = new_reference(current, image)
    if owner is None or owner is not service:
        # Either the image comes from an anchor shared with services outside
        # the release, or the service has none yet: give it its own key.
        if owner is None or str(owner["image"]) != reference:
            _insert_image(service, reference)
    elif str(service["image"]) != reference:
        # An anchored scalar rewritten for all its users already matches.
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
