from datetime import datetime, timezone

import pytest

from shipyard.tags import TAG_PATTERN, branch_tag, release_tags, timestamp_tag

LONG_A = "feature/" + "a" * 140 + "-one"
LONG_B = "feature/" + "a" * 140 + "-two"


@pytest.mark.parametrize(
    "branch, expected",
    [
        ("main", "main"),
        ("feature/Login_v2", "feature-Login_v2"),
        ("WarpedPixel/issue200", "WarpedPixel-issue200"),
        ("-x", "x"),
        (".x", "x"),
        ("release/2026.12", "release-2026.12"),
        ("fix/ünïcode name", "fix-n-code-name"),
    ],
)
def test_branch_tag_sanitises(branch, expected):
    assert branch_tag(branch) == expected
    assert TAG_PATTERN.match(branch_tag(branch))


def test_long_branches_stay_distinct():
    first, second = branch_tag(LONG_A), branch_tag(LONG_B)

    assert len(first) == 128
    assert len(second) == 128
    assert first != second
    assert TAG_PATTERN.match(first)
    assert TAG_PATTERN.match(second)


def test_branch_of_only_separators():
    tag = branch_tag("...")

    assert TAG_PATTERN.match(tag)
    assert tag.startswith("branch-")


def test_uppercase_kept_in_tag():
    assert branch_tag("Feature/ABC") == "Feature-ABC"


def test_timestamp_tag_is_utc_format():
    moment = datetime(2026, 12, 4, 9, 5, 7, tzinfo=timezone.utc)

    assert timestamp_tag(moment) == "20261204-090507"


def test_release_tags_order():
    moment = datetime(2026, 12, 4, 9, 5, 7, tzinfo=timezone.utc)

    assert release_tags("abc1234", "main", moment) == [
        "abc1234", "main", "20261204-090507"
    ]


def test_dirty_release_marks_every_tag():
    moment = datetime(2026, 12, 4, 9, 5, 7, tzinfo=timezone.utc)

    tags = release_tags("abc1234", LONG_A, moment, dirty=True)

    assert all(tag.endswith("-dirty") for tag in tags)
    assert all(TAG_PATTERN.match(tag) for tag in tags)
