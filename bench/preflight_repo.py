"""Create a git repository of 10,000 tracked files with a few planted secrets.

Usage: python bench/preflight_repo.py DEST [--files N]

Writes DEST (a new git repository) and DEST.planted.json, which lists the
planted secrets as (file, line, kind). The content is generated from a
fixed seed, so two runs create the same tree.
"""

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

SEED = 20240601
SERVICES = 40
WORDS = ("order", "invoice", "ledger", "account", "payment", "report", "user",
         "session", "audit", "export", "import", "balance", "transfer", "notify")  # fmt: skip


def fake(*parts):
    """Join parts at run time, so this script contains no literal fake secret."""
    return "".join(parts)


PLANTED = [
    ("src/billing/aws_client.py", 1, "aws-key",
     f"KEY_ID = '{fake('AKIA', 'BENCHFAKE0000000')}'\n"),
    ("deploy/keys/deploy.pem", 1, "private-key",
     fake("-----BEGIN ", "RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n")),
    ("web/src/github.js", 1, "github-token",
     f"const token = '{fake('ghp', '_', 'BenchFAKEbenchFAKE0123456789abcdefAB')}';\n"),
    ("services/svc7/Dockerfile", 2, "dockerfile-env",
     "FROM busybox:1.36.1\nENV DB_PASSWORD=BenchFake42x\n"),
    ("services/compose.yml", 5, "compose-env",
     "services:\n  db:\n    image: postgres:16.4\n    environment:\n"
     "      - POSTGRES_PASSWORD=BenchFake77y\n"),
    ("config/.env.production", 1, "env-file", "API_TOKEN=BenchFakeTok9\n"),
]  # fmt: skip


def python_source(rng, index):
    name = rng.choice(WORDS)
    lines = [f'"""Module {index}: {name} helpers."""', "", "import os", ""]
    for number in range(rng.randint(5, 25)):
        lines += [
            f"def {name}_{number}(value, limit={rng.randint(1, 500)}):",
            f'    """Return the {name} value capped at limit."""',
            f"    label = '{name}-{number}'",
            "    return min(value, limit), label",
            "",
        ]
    return "\n".join(lines) + "\n"


def javascript_source(rng, index):
    name = rng.choice(WORDS)
    body = "\n".join(
        f"export function {name}{n}(x) {{ return x + {rng.randint(1, 99)}; }}"
        for n in range(rng.randint(5, 20))
    )
    return f"// {name} module {index}\n{body}\n"


def markdown(rng, index):
    words = " ".join(rng.choice(WORDS) for _ in range(60))
    return f"# Notes {index}\n\n{words}\n"


def json_data(rng, index):
    data = {"id": index, "items": [rng.choice(WORDS) for _ in range(10)]}
    return json.dumps(data, indent=2) + "\n"


def dockerfile(rng, index):
    return (
        "FROM busybox:1.36.1 AS build\nWORKDIR /src\nCOPY . .\n"
        f"RUN echo build-{index} > /src/version\n"
        "FROM busybox:1.36.1\nCOPY --from=build /src /srv\nUSER nobody\n"
    )


GENERATORS = [
    ("src/pkg{group}/mod{index}.py", python_source, 55),
    ("web/src/part{group}/mod{index}.js", javascript_source, 25),
    ("docs/section{group}/page{index}.md", markdown, 12),
    ("data/set{group}/item{index}.json", json_data, 8),
]


def generate(dest, count):
    rng = random.Random(SEED)
    files = {path: text for path, _, _, text in PLANTED}
    for service in range(SERVICES):
        files.setdefault(f"services/svc{service}/Dockerfile", dockerfile(rng, service))
        files[f"services/svc{service}/.dockerignore"] = ".env\n.env.*\n.git\n"
    weights = [weight for _, _, weight in GENERATORS]
    index = 0
    while len(files) < count:
        pattern, make, _ = rng.choices(GENERATORS, weights)[0]
        files[pattern.format(group=index % 50, index=index)] = make(rng, index)
        index += 1
    for path, text in files.items():
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def commit(dest):
    def git(*args):
        subprocess.run(["git", "-C", str(dest), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=bench", "-c", "user.email=bench@example.test",
        "commit", "-q", "-m", "benchmark tree")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.dest.exists():
        sys.exit(f"error: {args.dest} already exists; choose a new folder")
    generate(args.dest, args.files)
    commit(args.dest)
    planted = [{"file": p, "line": line, "kind": kind} for p, line, kind, _ in PLANTED]
    Path(f"{args.dest}.planted.json").write_text(json.dumps(planted, indent=2) + "\n")
    print(
        f"created {args.dest} with {args.files} tracked files, {len(planted)} planted"
    )


if __name__ == "__main__":
    main()
