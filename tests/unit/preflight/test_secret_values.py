"""Judging single values: names, references, placeholders and key formats."""

import pytest

from shipyard.preflight.findings import mask
from shipyard.preflight.secrets import is_secret_name, judge
from tests.unit.preflight.helpers import FAKE_AWS_KEY_ID


@pytest.mark.parametrize(
    "name", ["PGPASSWORD", "DB_PASS", "API_KEY", "apiKey", "CLIENT_SECRET", "GH_TOKEN"]
)
def test_secret_like_names(name):
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "KMS_KEY_ALIAS",
        "AUTH_URL",
        "SESSION_SECRET_FILE",
        "AWS_ACCESS_KEY_ID",
        "PASSAGE",
    ],
)
def test_names_that_are_not_secrets(name):
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    "value", ["${DB_PASSWORD}", "$DB_PASSWORD", "change-me", "<your-password>", "xxxx"]
)
def test_placeholders_and_references_pass(value):
    assert judge("DB_PASSWORD", value) is None


def test_known_format_fails_under_harmless_name():
    assert judge("NOTE", FAKE_AWS_KEY_ID) is not None


def test_url_password_fails_under_harmless_name():
    verdict = judge("UPSTREAM", "mysql://root:FakeMy5ql@db/app")
    assert verdict == ("URL with a password in UPSTREAM", "FakeMy5ql")


def test_template_placeholder_key_passes():
    assert judge("OPENAI_API_KEY", "sk-your-key-here") is None


def test_mask_keeps_a_short_prefix():
    assert mask("Zq8vFAKE2NwX") == "Zq8v****"
    assert mask("Xy7FAKEq") == "Xy****"
