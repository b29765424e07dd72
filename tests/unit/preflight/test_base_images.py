"""Base image pinning, with Docker's parsing and ARG rules."""

import pytest

from tests.unit.preflight.helpers import DIGEST, dockerfile_findings

BASE_RULES = {
    "base-image-unpinned",
    "base-image-latest",
    "base-image-unresolved",
    "base-image-no-digest",
}


def base_findings(text, **options):
    pairs, _ = dockerfile_findings(text, rules=BASE_RULES, **options)
    return pairs


def test_stage_reference_is_pinned():
    text = "FROM golang:1.22-alpine AS build\nFROM build AS unit-test\n"
    assert base_findings(text) == []


def test_stage_names_match_case_insensitively():
    text = "FROM golang:1.22 AS Build\nFROM build\nCOPY --from=BUILD /out /out\n"
    assert base_findings(text) == []


def test_later_stage_name_is_not_a_stage_reference():
    text = "FROM build\nFROM golang:1.22 AS build\n"
    assert base_findings(text) == [("base-image-unpinned", 1)]


def test_scratch_is_pinned():
    assert base_findings("FROM scratch\n") == []


@pytest.mark.parametrize(
    "image", [f"ruby@{DIGEST}", f"ruby:3.3@{DIGEST}", f"ruby:latest@{DIGEST}"]
)
def test_digest_pins_whatever_the_tag(image):
    assert base_findings(f"FROM {image}\n") == []


@pytest.mark.parametrize(
    "image", [f"ruby@{DIGEST}", f"ruby:3.3@{DIGEST}", f"ruby:latest@{DIGEST}"]
)
def test_require_digest_accepts_digests(image):
    assert base_findings(f"FROM {image}\n", require_digest=True) == []


def test_require_digest_rejects_tag_only():
    findings = base_findings("FROM ruby:3.3\n", require_digest=True)
    assert findings == [("base-image-no-digest", 1)]


def test_require_digest_ignores_scratch_and_stages():
    text = f"FROM ruby:3.3@{DIGEST} AS build\nFROM build\nFROM scratch\n"
    assert base_findings(text, require_digest=True) == []


def test_alias_does_not_hide_latest():
    assert base_findings("FROM debian:latest AS builder\n") == [
        ("base-image-latest", 1)
    ]


def test_latest_tag_is_case_insensitive():
    assert base_findings("FROM debian:LATEST\n") == [("base-image-latest", 1)]


def test_arg_default_with_tag_passes():
    text = "ARG BASE=registry.example/app:1.2.3\nFROM ${BASE} AS builder\n"
    assert base_findings(text) == []


def test_arg_default_without_tag_fails():
    assert base_findings("ARG BASE=nginx\nFROM $BASE\n") == [("base-image-unpinned", 2)]


def test_latest_from_arg_default_fails():
    assert base_findings("ARG TAG=latest\nFROM nginx:$TAG\n") == [
        ("base-image-latest", 2)
    ]


def test_latest_from_fallback_fails():
    assert base_findings("FROM nginx:${TAG:-latest}\n") == [("base-image-latest", 1)]


def test_fallback_with_version_passes():
    assert base_findings("FROM nginx:${TAG:-1.27}\n") == []


def test_alternate_value_expansion():
    text = "ARG PIN=yes\nFROM nginx${PIN:+:1.27}\n"
    assert base_findings(text) == []
    text = "ARG PIN\nFROM nginx${PIN:+:1.27}\n"
    assert base_findings(text) == [("base-image-unpinned", 2)]


def test_quoted_arg_defaults_are_unquoted():
    text = 'ARG IMG="ubuntu"\nARG TAG="24.04"\nFROM ${IMG}:${TAG}\n'
    assert base_findings(text) == []


def test_single_quoted_arg_default():
    assert base_findings("ARG TAG='latest'\nFROM nginx:${TAG}\n") == [
        ("base-image-latest", 2)
    ]


def test_literal_latest_after_unresolved_args():
    text = "ARG REG\nARG IMG\nFROM ${REG}/${IMG}:latest\n"
    findings = base_findings(text)
    assert ("base-image-latest", 3) in findings
    assert ("base-image-unresolved", 3) in findings


def test_arg_without_value_is_unresolved():
    text = "ARG IMG\nFROM ${IMG}:1.0\n"
    _, found = dockerfile_findings(text, rules=BASE_RULES)
    assert [(item.rule, item.line) for item in found] == [("base-image-unresolved", 2)]
    assert "IMG" in found[0].message


def test_undeclared_variable_is_unresolved():
    assert base_findings("FROM ${NOPE}\n") == [("base-image-unresolved", 1)]


def test_build_arg_resolves_declared_arg():
    text = "ARG IMG\nFROM ${IMG}\n"
    assert base_findings(text, build_args={"IMG": "nginx:1.27"}) == []
    assert base_findings(text, build_args={"IMG": "nginx"}) == [
        ("base-image-unpinned", 2)
    ]


def test_build_arg_overrides_default():
    text = "ARG TAG=1.27\nFROM nginx:${TAG}\n"
    assert base_findings(text, build_args={"TAG": "latest"}) == [
        ("base-image-latest", 2)
    ]


def test_stage_scoped_arg_does_not_reach_from():
    text = "FROM alpine:3.20\nARG IMG=nginx:1.27\nFROM ${IMG}\n"
    assert base_findings(text) == [("base-image-unresolved", 3)]


def test_arg_default_refers_to_earlier_arg():
    text = "ARG VERSION=1.27\nARG IMAGE=nginx:${VERSION}\nFROM $IMAGE\n"
    assert base_findings(text) == []


def test_platform_flag_is_not_the_image():
    text = (
        f"FROM --platform=$BUILDPLATFORM node:22@{DIGEST} AS restore\n"
        "FROM --platform=$BUILDPLATFORM restore AS migrate\n"
    )
    assert base_findings(text) == []


def test_platform_args_expand_in_image():
    text = "FROM node:22-${TARGETARCH}\n"
    assert base_findings(text) == []
    text = "FROM --platform=$TARGETPLATFORM ${TARGETOS}-base\n"
    assert base_findings(text) == [("base-image-unpinned", 1)]


def test_registry_port_is_not_a_tag():
    text = "FROM registry.local:5000/team/app:1.4\nFROM registry.local:5000/team/app\n"
    assert base_findings(text) == [("base-image-unpinned", 2)]


def test_localhost_registry_port_without_tag():
    assert base_findings("FROM localhost:5000/app\n") == [("base-image-unpinned", 1)]


def test_lowercase_from_with_escape_directive_and_continuation():
    text = "# escape=`\nfrom alpine `\n  AS base\n"
    assert base_findings(text) == [("base-image-unpinned", 2)]


def test_backslash_continuation_of_from():
    text = "FROM \\\n  alpine \\\n  AS base\n"
    assert base_findings(text) == [("base-image-unpinned", 1)]


def test_copy_from_external_image_is_checked():
    text = "FROM alpine:3.20\nCOPY --from=nginx:latest /etc/nginx /etc/nginx\n"
    assert base_findings(text) == [("base-image-latest", 2)]


def test_copy_from_stage_index_passes():
    assert (
        base_findings("FROM alpine:3.20\nFROM alpine:3.20\nCOPY --from=0 /a /b\n") == []
    )


def test_invalid_reference_is_unresolved():
    assert base_findings("FROM Not_Valid\n") == [("base-image-unresolved", 1)]


def test_unparseable_dockerfile_is_reported():
    pairs, _ = dockerfile_findings("FROM alpine:3.20\nENV A=1 B\n")
    assert pairs == [("dockerfile-invalid", 1)]


def test_unknown_instruction_is_reported_at_its_line():
    pairs, _ = dockerfile_findings("FROM busybox:1.36.1\nRUNN echo hi\n")
    assert pairs == [("dockerfile-invalid", 2)]


def test_lowercase_known_instruction_passes():
    pairs, _ = dockerfile_findings("from busybox:1.36.1\nrun echo hi\n")
    assert pairs == []


def test_dockerfile_without_from_is_reported():
    pairs, _ = dockerfile_findings("RUN echo hi\n")
    assert pairs == [("dockerfile-invalid", 1)]
