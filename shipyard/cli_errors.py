"""One-line errors for bad input that Invoke rejects before a task runs.

Invoke loads `invoke.yaml`, merges it into the collection defaults, casts
`INVOKE_*` variables and parses option values before shipyard's own code
runs, and lets those failures out as tracebacks. `install()` puts a
`sys.excepthook` in place that turns exactly those failures into one
`error:` line and exit code 2. Every other exception keeps its traceback,
and `SHIPYARD_DEBUG=1` keeps it for these too.
"""

import os
import sys

EXIT_CODE = 2
KIND_NAMES = {int: "an integer", float: "a number", str: "a string", list: "a list"}


def install():
    """Wrap `sys.excepthook`; calling it twice installs it once."""
    if getattr(sys.excepthook, "shipyard_hook", False):
        return
    previous = sys.excepthook

    def hook(kind, value, traceback):
        message = None
        if os.environ.get("SHIPYARD_DEBUG") != "1":
            message = describe(value, traceback)
        if message is None:
            previous(kind, value, traceback)
            return
        sys.stdout.flush()
        print(f"error: {message}", file=sys.stderr, flush=True)
        os._exit(EXIT_CODE)

    hook.shipyard_hook = True
    sys.excepthook = hook


def describe(error, traceback):
    """Return the one-line message for an Invoke input error, or None for anything else."""
    kind = type(error)
    frames = list(_frames(traceback))
    if kind.__module__.startswith(("invoke.vendor.yaml", "yaml")) and kind.__name__.endswith("Error"):
        return f"invalid YAML in the Invoke config: {_one_line(error)}; fix the file"
    if kind.__name__ == "AmbiguousMergeError":
        return _merge_message(frames)
    if kind.__name__ in ("UncastableEnvVar", "AmbiguousEnvVar") or _in(frames, "_path_set"):
        return _env_message(error, frames)
    if isinstance(error, ValueError) and _in(frames, "set_value"):
        return _option_message(error, frames)
    return None


def _frames(traceback):
    while traceback is not None:
        yield traceback.tb_frame
        traceback = traceback.tb_next


def _in(frames, function):
    return any(frame.f_code.co_name == function for frame in frames)


def _one_line(error):
    return " ".join(str(error).split())


def _merge_message(frames):
    keys = [str(f.f_locals.get("key")) for f in frames if f.f_code.co_name == "merge_dicts"]
    keys = [key for key in keys if key != "None"]
    where = ".".join(keys) or "a config section"
    return (
        f"{where}: expected a mapping like the default, got another type; fix "
        "invoke.yaml or the matching INVOKE_* variable"
    )


def _env_message(error, frames):
    for frame in frames:
        if frame.f_code.co_name == "_path_set":
            path = "_".join(str(part).upper() for part in frame.f_locals.get("key_path", []))
            value = frame.f_locals.get("value", "")
            return (
                f"INVOKE_{path}={value!r}: invalid value ({_one_line(error)}); set it "
                "to the type of the setting or unset it"
            )
    return f"invalid INVOKE_* environment variable: {_one_line(error)}"


def _option_message(error, frames):
    for frame in frames:
        if frame.f_code.co_name == "set_value":
            argument = frame.f_locals.get("self")
            value = frame.f_locals.get("value", "")
            name = getattr(argument, "name", "option").replace("_", "-")
            kind = KIND_NAMES.get(getattr(argument, "kind", None), "another value")
            return f"invalid value {value!r} for --{name}: expected {kind}"
    return f"invalid option value: {_one_line(error)}"
