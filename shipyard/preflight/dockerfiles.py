"""Parse Dockerfiles with BuildKit's parser and resolve build arguments.

The `dockerfile` package wraps BuildKit's own Go parser, so instruction
case, line continuations, the `# escape=` directive, heredocs and JSON
forms follow Docker exactly. Its line numbers are 1-based and count the
directive lines. Heredoc bodies come back without line numbers, so
`heredoc_lines` derives them from the instruction's last line.
"""

import re
from dataclasses import dataclass, field

from shipyard.errors import ShipyardError

# Platform arguments BuildKit defines in the global scope.
PLATFORM_ARGS = (
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
)  # fmt: skip

VARIABLE = re.compile(
    r"\$(?:\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+?])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class DockerfileError(ShipyardError):
    """A Dockerfile that BuildKit's parser rejects."""


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV, ...
    values: tuple
    flags: tuple
    start_line: int
    end_line: int
    original: str
    heredocs: tuple = ()  # (start line of the body, body text) pairs


@dataclass
class Expansion:
    value: str
    unresolved: list = field(default_factory=list)  # names with no value


def parse(text):
    """Return the `Instruction`s of Dockerfile `text`; raise `DockerfileError`."""
    import dockerfile

    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as error:
        raise DockerfileError(str(error)) from None
    return [_instruction(command) for command in commands]


def _instruction(command):
    return Instruction(
        keyword=command.cmd.upper(),
        values=tuple(command.value),
        flags=tuple(command.flags),
        start_line=command.start_line,
        end_line=command.end_line,
        original=command.original,
        heredocs=heredoc_lines(command),
    )


def heredoc_lines(command):
    """Return (first body line, body) for each heredoc of `command`.

    Bodies follow each other, each closed by its terminator line, and the
    last terminator is the instruction's `end_line`, so the bodies are
    located by counting back from there.
    """
    located = []
    next_start = command.end_line + 1
    for heredoc in reversed(command.heredocs):
        body_lines = heredoc.content.count("\n")
        terminator = next_start - 1
        first = terminator - body_lines
        located.append((first, heredoc.content))
        next_start = first
    return tuple(reversed(located))


def expand(text, variables):
    """Expand `$X`, `${X}`, `${X:-word}`, `${X:+word}` (and the forms without `:`).

    `variables` maps names to values; a name mapped to None is declared
    but has no value. A reference with no value and no fallback ends up in
    `Expansion.unresolved` and expands to the empty string.
    """
    unresolved = []

    def replace(match):
        name = match.group("name") or match.group("bare")
        op, word = match.group("op"), match.group("word") or ""
        value = variables.get(name)
        is_set = value is not None
        is_filled = bool(value)
        if op in (":-", "-"):
            use_word = not is_filled if op == ":-" else not is_set
            return expand(word, variables).value if use_word else value
        if op in (":+", "+"):
            use_word = is_filled if op == ":+" else is_set
            return expand(word, variables).value if use_word else ""
        if value is None:
            unresolved.append(name)
            return ""
        return value

    return Expansion(VARIABLE.sub(replace, text), unresolved)


def platform_args(platform):
    """Return the BuildKit platform ARGs for `platform` ("linux/amd64")."""
    os_name, _, rest = platform.partition("/")
    arch, _, variant = rest.partition("/")
    values = {"OS": os_name, "ARCH": arch, "VARIANT": variant, "PLATFORM": platform}
    args = {}
    for prefix in ("BUILD", "TARGET"):
        for suffix, value in values.items():
            args[prefix + suffix] = value
    return args


def arg_pairs(instruction):
    """Yield (name, default or None) for each name an ARG instruction declares."""
    for item in instruction.values:
        name, equals, default = item.partition("=")
        yield name, (unquote(default) if equals else None)


def env_pairs(instruction):
    """Yield (name, value) for an ENV or LABEL instruction, values unquoted."""
    values = instruction.values
    for index in range(0, len(values) - 1, 2):
        yield values[index], unquote(values[index + 1])


def unquote(value):
    """Remove the quotes Docker removes from an ARG, ENV or LABEL value."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def global_args(instructions, build_args, platform):
    """Return the variables a FROM line can use: ARGs declared before the first FROM.

    Values come from `build_args` first, then the ARG default. The
    platform ARGs are always defined.
    """
    variables = platform_args(platform)
    for instruction in instructions:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword != "ARG":
            continue
        for name, default in arg_pairs(instruction):
            if name in build_args:
                variables[name] = build_args[name]
            elif default is not None:
                variables[name] = expand(default, variables).value
            else:
                variables.setdefault(name, None)
    return variables


def line_of(lines, start, end, needle):
    """Return the first line in `start..end` (1-based) containing `needle`."""
    for number in range(start, min(end, len(lines)) + 1):
        if needle in lines[number - 1]:
            return number
    return start
