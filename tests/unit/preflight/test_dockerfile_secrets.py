"""Literal secrets in Dockerfiles: values are judged, not names alone."""

import pytest

from tests.unit.preflight.helpers import (
    DIGEST,
    FAKE_AWS_KEY_ID,
    FAKE_GITHUB_TOKEN,
    FAKE_PRIVATE_KEY_HEADER,
    dockerfile_findings,
)

QUOTE = '"'


def secret_lines(text):
    pairs, found = dockerfile_findings(text, rules={"secret-in-dockerfile"})
    return [line for _, line in pairs], found


def test_heredoc_secret_reported_at_body_line():
    text = "FROM a:1\nRUN <<EOT\nexport API_SECRET=FAKEfake123456789abc\nEOT\n"
    assert secret_lines(text)[0] == [3]


def test_second_heredoc_body_line():
    text = (
        "FROM a:1\nRUN <<ONE <<TWO\necho one\nONE\necho two\n"
        "export API_TOKEN=FAKEfake123456789abc\nTWO\n"
    )
    assert secret_lines(text)[0] == [6]


def test_copy_heredoc_body_is_scanned():
    text = "FROM a:1\nCOPY <<EOF /app/.netrc\nmachine x\nDB_PASSWORD=FakePw12345\nEOF\n"
    assert secret_lines(text)[0] == [4]


def test_non_secret_values_of_secret_like_names_pass():
    text = (
        "FROM a:1\n"
        "ENV KMS_KEY_ALIAS=alias/app\n"
        "ENV AUTH_URL=https://auth.example\n"
        "ENV SESSION_SECRET_FILE=/run/secrets/s\n"
        "ENV PGPASSWORD=FakePass123\n"
    )
    assert secret_lines(text)[0] == [5]


@pytest.mark.parametrize(
    "line",
    [
        "ENV DB_PASS=Xy7FAKEq",
        "ENV DATABASE_URL=postgres://app:FakePw9@db:5432/app",
        "ENV REDIS_URL=redis://:FakePw9x@cache:6379/0",
        "ENV BROKER=amqp://guest:FakeAmqp1@rabbit/",
        "ENV MONGO=mongodb+srv://app:FakeMongo1@cluster.example/db",
        "ENV MIRROR=https://deploy:FakeHttp1@pkgs.example/simple",
        "ENV DB_PASSWORD old form FakeValue",
        "LABEL api_token=FakeLabel123",
        "ARG NPM_TOKEN=FakeNpmToken1",
    ],
)
def test_literal_secret_fails(line):
    assert secret_lines(f"FROM a:1\n{line}\n")[0] == [2]


@pytest.mark.parametrize(
    "line",
    [
        "ENV DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app",
        "ENV DATABASE_URL=postgres://app@db:5432/app",
        "ENV API_TOKEN=$API_TOKEN",
        "ENV API_TOKEN=${API_TOKEN}",
        "ENV API_TOKEN_FILE=/run/secrets/api_token",
        "ENV PASSWORD_MIN_LENGTH=12",
        "ENV TOKEN_TTL=3600",
        "ENV AWS_SECRET_NAME=prod/app/db",
        "ENV DB_PASSWORD=change-me",
        f"ENV BASE_DIGEST={DIGEST}",
        "ARG GITLAB_ACCESS_TOKEN",
        "ARG MAVEN_SETTINGS_PROFILE=test",
    ],
)
def test_reference_or_harmless_value_passes(line):
    assert secret_lines(f"FROM a:1\n{line}\n")[0] == []


def test_declared_arg_does_not_spill_onto_next_line():
    text = "FROM a:1\nARG GITLAB_ACCESS_TOKEN\nARG MAVEN_SETTINGS_PROFILE=test\n"
    assert secret_lines(text)[0] == []


def test_unquoted_and_quoted_values_both_fail():
    text = (
        "FROM a:1\nENV DB_PASSWORD=Zq8vFAKE2NwX\n"
        f"ENV DB_PASSWORD2={QUOTE}Zq8vFAKE2NwX{QUOTE}\n"
    )
    assert secret_lines(text)[0] == [2, 3]


def test_fallback_literal_is_a_secret():
    text = "FROM a:1\nARG DB_PASSWORD=${DB_PASSWORD:-FakeFallback1}\n"
    assert secret_lines(text)[0] == [2]


def test_digest_and_harmless_base64_pass():
    text = (
        f"FROM alpine@{DIGEST}\n"
        'RUN echo "c2FtcGxlLWNvbmZpZw==" | base64 -d > /etc/app.cfg\n'
    )
    assert secret_lines(text)[0] == []


def test_multi_pair_env_reports_the_pair_line():
    text = "FROM a:1\nENV A=1 \\\n    API_TOKEN=FAKEtok3n99 \\\n    B=2\n"
    assert secret_lines(text)[0] == [3]


def test_continued_run_reports_the_physical_line():
    text = "FROM a:1\nRUN curl -fsS \\\n  https://bob:FakePw1x@example.test/x\n"
    assert secret_lines(text)[0] == [3]


@pytest.mark.parametrize(
    "value", [FAKE_AWS_KEY_ID, FAKE_GITHUB_TOKEN, FAKE_PRIVATE_KEY_HEADER]
)
def test_known_key_formats_fail_under_any_name(value):
    text = f"FROM a:1\nRUN echo '{value}' > /tmp/x\n"
    assert secret_lines(text)[0] == [2]


def test_finding_masks_the_secret():
    _, found = secret_lines("FROM a:1\nENV DB_PASSWORD=Zq8vFAKE2NwX\n")
    assert "Zq8vFAKE2NwX" not in found[0].message
    assert "Zq8v****" in found[0].message
