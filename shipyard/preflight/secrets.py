"""Judge whether a value is a literal secret.

Names alone never decide: a secret-like name (`DB_PASSWORD`) fails only
with a literal value, and a known key format (`AKIA...`, a private key
header) or a URL with a password fails under any name. References
(`${X}`, `$X`), file paths, placeholders and digests are not secrets.
"""

import re

# Known key formats that are secrets whatever name they carry.
KEY_FORMATS = (
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b")),
    (
        "private key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ),
    (
        "GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{22,})"),
    ),
    ("GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Stripe key", re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}")),
    ("OpenAI key", re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]*[A-Za-z0-9]{20,}")),
    ("npm token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("PyPI token", re.compile(r"\bpypi-[A-Za-z0-9_-]{50,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    (
        "JSON web token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ),
)

# scheme://user:password@host, for any scheme (postgres, mysql, redis, amqp,
# mongodb+srv, https, ...).
URL_CREDENTIALS = re.compile(
    r"\b([a-z][a-z0-9+.-]*)://([^\s:/@'\"]*):([^\s/@'\"]+)@[^\s/'\"]", re.IGNORECASE
)

# Name parts that make a key secret-like. `KEY` counts only as the last part
# (`API_KEY`, `SIGNING_KEY`), so `KMS_KEY_ALIAS` is judged by its suffix.
SECRET_WORDS = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|CREDENTIALS?|APIKEY|PRIVATEKEY|"
    r"(?:^|_)PASS(?:_|$)|(?:^|_)PWD(?:_|$)|_KEY$|^KEY$|AUTH$|SALT$|_DSN$|^DSN$)"
)
# Suffixes that name something other than the secret itself.
SAFE_SUFFIXES = re.compile(
    r"_(FILE|PATH|DIR|URL|URI|ENDPOINT|HOST|PORT|ALIAS|ID|ARN|NAME|USER|USERNAME|"
    r"REGION|LENGTH|LEN|SIZE|TTL|EXPIRY|EXPIRES|TIMEOUT|HEADER|ISSUER|ENV|VAR|"
    r"TYPE|MODE|FORMAT|ALGORITHM|VERSION|ENABLED|REQUIRED|POLICY|PROVIDER|"
    r"ROTATION|SECRET_NAME)$"
)

REFERENCE = re.compile(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)$")
FALLBACK = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:?)-(.*)\}$", re.DOTALL)
DIGEST = re.compile(r"^sha(?:256|384|512):[a-f0-9]{64,128}$")
PLACEHOLDER = re.compile(
    r"(change[-_ ]?me|changeit|your[-_ ]|[-_]here$|replace[-_ ]?me|placeholder|"
    r"^<.*>$|^\{\{.*\}\}$|^x{3,}$|^\*+$|^\.\.\.$|^(?:none|null|nil|empty|"
    r"example|secret|password|redacted|todo|tbd|dummy|test|testing)$)",
    re.IGNORECASE,
)
HARMLESS = re.compile(r"^(?:true|false|yes|no|on|off|\d{1,6})$", re.IGNORECASE)
IDENTIFIER_PREFIXES = ("alias/", "arn:", "projects/", "secretsmanager:", "ssm:")
PATH_PREFIXES = ("/", "./", "../", "~/", "file:")


def is_secret_name(name):
    """Return True when `name` names a secret (DB_PASSWORD, API_KEY, ...)."""
    upper = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().replace("-", "_")
    if SAFE_SUFFIXES.search(upper):
        return False
    return bool(SECRET_WORDS.search(upper))


def known_format(text):
    """Return (kind, matched text) for the first known key format in `text`."""
    for kind, pattern in KEY_FORMATS:
        match = pattern.search(text)
        if match:
            return kind, match.group(0)
    return None


def url_password(text):
    """Return the literal password of the first `scheme://user:pw@host` in `text`."""
    for match in URL_CREDENTIALS.finditer(text):
        password = match.group(3)
        if not _is_reference_or_placeholder(password):
            return password
    return None


def judge(name, value):
    """Return (reason, secret) when `name=value` holds a literal secret, else None.

    `value` is the unquoted value. A `${X:-literal}` fallback is judged as
    the literal, because it is what the build or container gets when X is
    unset.
    """
    found = known_format(value)
    if found:
        return f"{found[0]} in {name}", found[1]
    password = url_password(value)
    if password:
        return f"URL with a password in {name}", password
    if not is_secret_name(name):
        return None
    literal = literal_value(value)
    if literal is None or not looks_secret(literal):
        return None
    return f"literal value for secret-like name {name}", literal


def literal_value(value):
    """Return the literal text of `value`, or None when it is a pure reference.

    `${X:-fallback}` and `${X-fallback}` return the fallback.
    """
    value = value.strip()
    if REFERENCE.match(value):
        return None
    fallback = FALLBACK.match(value)
    if fallback:
        return literal_value(fallback.group(2))
    return value


def looks_secret(value):
    """Return True unless `value` is empty, a placeholder, a path or an identifier."""
    if len(value) < 4 or HARMLESS.match(value):
        return False
    if _is_reference_or_placeholder(value):
        return False
    if value.startswith(PATH_PREFIXES) or value.startswith(IDENTIFIER_PREFIXES):
        return False
    return not (DIGEST.match(value) or re.match(r"^https?://[^@\s]*$", value))


def _is_reference_or_placeholder(value):
    if literal_value(value) is None:
        return True
    # A value built from variables (`${USER}-${SUFFIX}`) is not a literal.
    if re.search(r"\$\{?[A-Za-z_]", value):
        return True
    return bool(PLACEHOLDER.search(value))


def unquote(value):
    """Remove shell quoting from `value` the way Docker and dotenv files read it."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


ASSIGNMENT = re.compile(
    r"(?:^|[\s;&|(])(?:export\s+|set\s+)?([A-Za-z_][A-Za-z0-9_]*)=('[^']*'|\"[^\"]*\"|[^\s;&|)]*)"
)


def scan_text_line(text):
    """Yield (reason, secret) for each secret in one line of shell or config text.

    Looks at `NAME=value` assignments, known key formats and URLs with
    passwords anywhere in the line.
    """
    reported = set()
    for match in ASSIGNMENT.finditer(text):
        verdict = judge(match.group(1), unquote(match.group(2)))
        if verdict and verdict[1] not in reported:
            reported.add(verdict[1])
            yield verdict
    found = known_format(text)
    if found and found[1] not in reported:
        reported.add(found[1])
        yield found[0], found[1]
    password = url_password(text)
    if password and password not in reported:
        yield "URL with a password", password
