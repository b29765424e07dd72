import pytest

from shipyard.imageref import InvalidReference, parse

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    "reference, registry, path, tag, digest",
    [
        ("localhost:5000/team/app", "localhost:5000", "team/app", "", ""),
        ("localhost:5000/team/app:1.2", "localhost:5000", "team/app", "1.2", ""),
        (f"app@{DIGEST}", "", "app", "", DIGEST),
        (f"app:1.2@{DIGEST}", "", "app", "1.2", DIGEST),
        (f"localhost:5000/app@{DIGEST}", "localhost:5000", "app", "", DIGEST),
        (
            "222222222222.dkr.ecr.us-east-1.amazonaws.com/team/app:abc",
            "222222222222.dkr.ecr.us-east-1.amazonaws.com",
            "team/app",
            "abc",
            "",
        ),
        ("busybox", "", "busybox", "", ""),
        ("library/nginx:1.27", "", "library/nginx", "1.27", ""),
    ],
)
def test_parse_splits_parts(reference, registry, path, tag, digest):
    parsed = parse(reference)

    assert parsed.registry == registry
    assert parsed.path == path
    assert parsed.tag == tag
    assert parsed.digest == digest
    assert str(parsed) == reference


def test_registry_port_is_not_tag():
    parsed = parse("registry.local:5000/team/app")

    assert parsed.repository == "registry.local:5000/team/app"
    assert parsed.tag == ""


def test_with_digest_keeps_tag():
    parsed = parse("127.0.0.1:5000/fin/auth:main")

    assert str(parsed.with_digest(DIGEST)) == f"127.0.0.1:5000/fin/auth:main@{DIGEST}"
    assert str(parsed.with_digest(DIGEST, keep_tag=False)) == f"127.0.0.1:5000/fin/auth@{DIGEST}"


@pytest.mark.parametrize(
    "reference",
    ["", "App:1", "app:", "app@sha256:short", "app:-bad", " app", "a b", "app:" + "x" * 129],
)
def test_parse_rejects_invalid(reference):
    with pytest.raises(InvalidReference):
        parse(reference)
