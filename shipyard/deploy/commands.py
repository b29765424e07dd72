"""Remote shell lines for the deploy steps, built as pure functions.

Nothing here runs anything: `shipyard.deploy.remote.RemoteHost.run` sends
these lines over SSH. Every value is quoted with `shlex.quote`. Lines never
contain a secret: passwords and tokens travel on stdin.
"""

import shlex

# A fixed PATH, so remote commands do not depend on the login shell's profile.
SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

LOCK_DIR = "deploy.lock"
LOCK_FILE = "owner.json"
RELEASES_DIR = "releases"
COMPOSE_NAME = "docker-compose.yml"
MANIFEST_NAME = "image-manifest.json"
DEPLOY_RECORD = "deploy.json"
AUDIT_LOG = "audit.log"


def quote(value):
    return shlex.quote(str(value))


def join(argv):
    return " ".join(quote(part) for part in argv)


def prepared(line):
    """Return `line` with a fixed PATH and locale set before it runs."""
    return f"export PATH={SAFE_PATH} LC_ALL=C; {line}"


def path(compose_dir, *parts):
    return "/".join([compose_dir.rstrip("/"), *parts])


def release_dir(compose_dir, release_id):
    return path(compose_dir, RELEASES_DIR, release_id)


def docker(argv, docker_config=None):
    """Return a `docker` command line, with a private DOCKER_CONFIG if given."""
    prefix = f"DOCKER_CONFIG={quote(docker_config)} " if docker_config else ""
    return prefix + join(["docker", *argv])


# --- compose --------------------------------------------------------------


def probe_compose():
    """Print `v2` when `docker compose` works, `v1` for `docker-compose`."""
    return (
        "if docker compose version >/dev/null 2>&1; then echo v2; "
        "elif docker-compose version >/dev/null 2>&1; then echo v1; "
        "else echo none; fi"
    )


def compose(flavour, project, compose_file, project_dir, argv):
    program = ["docker", "compose"] if flavour == "v2" else ["docker-compose"]
    return join(
        [
            *program,
            "-p",
            project,
            "-f",
            compose_file,
            "--project-directory",
            project_dir,
            *argv,
        ]
    )


def compose_up(flavour, project, compose_file, project_dir):
    return compose(
        flavour, project, compose_file, project_dir, ["up", "-d", "--remove-orphans"]
    )


def compose_down(flavour, project, compose_file, project_dir):
    return compose(
        flavour, project, compose_file, project_dir, ["down", "--remove-orphans"]
    )


def inspect_project(project):
    """Print a JSON array of `docker inspect` for every container of `project`.

    Containers are found by the compose project label, never by name, because
    compose v1 names them `proj_web_1` and v2 `proj-web-1`.
    """
    label = quote(f"label=com.docker.compose.project={project}")
    return (
        f"ids=$(docker ps -aq --filter {label}); "
        'if [ -n "$ids" ]; then docker inspect $ids; else echo "[]"; fi'
    )


def container_logs(container_id, lines=20):
    return join(["docker", "logs", "--tail", str(lines), container_id]) + " 2>&1"


# --- registry -------------------------------------------------------------


def make_docker_config(compose_dir):
    """Create a private DOCKER_CONFIG folder and print its path.

    An empty config has no `credsStore`, so a credential helper configured
    for the host's user cannot break the login, and no old login is reused.
    """
    template = quote(path(compose_dir, ".docker-config.XXXXXXXX"))
    return f'd=$(mktemp -d {template}) && chmod 700 "$d" && echo \'{{}}\' > "$d/config.json" && echo "$d"'


def remove_dir(folder):
    return join(["rm", "-rf", "--", folder])


def login(registry, username, docker_config):
    """Log in with the password read from stdin."""
    return docker(
        ["login", "--username", username, "--password-stdin", registry], docker_config
    )


def pull(reference, docker_config):
    return docker(["pull", "--quiet", reference], docker_config)


def image_id(reference):
    return join(["docker", "image", "inspect", "--format", "{{.Id}}", reference])


def image_ids(references):
    """Print the image id of each reference, one a line; fail if any is missing."""
    return join(["docker", "image", "inspect", "--format", "{{.Id}}", *references])


def remove_images(references):
    """Remove images, ignoring those still used by a container."""
    return join(["docker", "image", "rm", *references]) + " >/dev/null 2>&1 || true"


# --- files ----------------------------------------------------------------


def remote_time():
    return "date -u +%s"


def write_file(target):
    """Write stdin to `target` through a temporary file and a rename."""
    temporary = f"{target}.tmp"
    return (
        f"mkdir -p -- {quote(target.rsplit('/', 1)[0])} && "
        f"cat > {quote(temporary)} && mv -f -- {quote(temporary)} {quote(target)}"
    )


def append_file(target):
    return f"cat >> {quote(target)}"


def read_file(target):
    """Print `target`, or nothing when it does not exist."""
    return f"cat -- {quote(target)} 2>/dev/null || true"


def switch_link(compose_dir, name, release_id):
    """Point `<compose_dir>/<name>` at a release with a symlink and a rename."""
    link = path(compose_dir, name)
    target = f"{RELEASES_DIR}/{release_id}"
    return (
        f"ln -sfn -- {quote(target)} {quote(link + '.tmp')} && "
        f"mv -fT -- {quote(link + '.tmp')} {quote(link)}"
    )


def read_links(compose_dir):
    """Print the release ids that `current` and `previous` point to."""
    current = quote(path(compose_dir, "current"))
    previous = quote(path(compose_dir, "previous"))
    return (
        f"printf 'current=%s\\n' \"$(readlink {current} 2>/dev/null)\"; "
        f"printf 'previous=%s\\n' \"$(readlink {previous} 2>/dev/null)\""
    )


def list_releases(compose_dir):
    """Print one line per release folder: id, tab, its deploy record on one line."""
    releases = quote(path(compose_dir, RELEASES_DIR))
    return (
        f"[ -d {releases} ] || exit 0; cd {releases} && for d in */; do "
        f'[ -d "$d" ] || continue; printf "%s\\t" "${{d%/}}"; '
        f'tr -d "\\n" < "${{d}}{DEPLOY_RECORD}" 2>/dev/null; echo; done'
    )


def remove_releases(compose_dir, release_ids):
    return join(
        ["rm", "-rf", "--", *(release_dir(compose_dir, r) for r in release_ids)]
    )


# --- lock -----------------------------------------------------------------


def take_lock(compose_dir):
    """Create the lock folder atomically and write stdin as its owner file.

    `mkdir` fails when the folder exists, so only one deploy gets the lock.
    Prints `taken` or `held`.
    """
    lock = path(compose_dir, LOCK_DIR)
    return (
        f"mkdir -p -- {quote(compose_dir)} && "
        f"if mkdir -- {quote(lock)} 2>/dev/null; then "
        f"cat > {quote(lock + '/' + LOCK_FILE)} && echo taken; "
        "else cat >/dev/null; echo held; fi"
    )


def read_lock(compose_dir):
    """Print the lock's age in seconds by the host's clock, then its owner file.

    Prints `none` when there is no lock. The age comes from the folder's
    modification time and the host's `date`, so the local clock never counts.
    """
    lock = quote(path(compose_dir, LOCK_DIR))
    owner = quote(path(compose_dir, LOCK_DIR, LOCK_FILE))
    return (
        f"if [ -d {lock} ]; then "
        f"echo $(( $(date -u +%s) - $(stat -c %Y {lock}) )); "
        f"cat {owner} 2>/dev/null; echo; "
        "else echo none; fi"
    )


def release_lock(compose_dir, token):
    """Remove the lock only when its owner file carries `token`."""
    lock = quote(path(compose_dir, LOCK_DIR))
    owner = quote(path(compose_dir, LOCK_DIR, LOCK_FILE))
    return (
        f"if grep -qF -- {quote(token)} {owner} 2>/dev/null; then rm -rf -- {lock}; fi"
    )


def break_lock(compose_dir):
    return join(["rm", "-rf", "--", path(compose_dir, LOCK_DIR)])


# --- checks ---------------------------------------------------------------


def http_status(url, timeout):
    """Print the HTTP status code of a GET to `url` from the host (000 on error)."""
    seconds = str(max(1, int(timeout)))
    curl = join(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            seconds,
            url,
        ]
    )
    wget = join(["wget", "-S", "-q", "-O", "/dev/null", "-T", seconds, url])
    return (
        f"if command -v curl >/dev/null 2>&1; then {curl} || true; "
        f"else {wget} 2>&1 | awk '/^  HTTP\\//{{code=$2}} END{{print code+0}}'; fi"
    )
