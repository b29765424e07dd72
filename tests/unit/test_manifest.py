import json

import pytest

from shipyard import manifest
from shipyard.errors import ShipyardError

DIGEST = "sha256:" + "0123456789abcdef" * 4


def valid():
    return {
        "schema_version": 1,
        "release_id": "20261204-153000-abc1234",
        "commit_sha": "abc1234" + "0" * 33,
        "short_sha": "abc1234",
        "branch": "main",
        "dirty": False,
        "created_at": "2026-12-04T15:30:00Z",
        "registry": {"kind": "local", "address": "127.0.0.1:5000"},
        "images": {
            "auth": {
                "repository": "127.0.0.1:5000/fin/auth",
                "tags": ["abc1234"],
                "digest": DIGEST,
                "size_bytes": 10,
                "reference": f"127.0.0.1:5000/fin/auth@{DIGEST}",
            }
        },
    }


def test_valid_manifest_reads_back(tmp_path):
    path = tmp_path / "image-manifest.json"
    manifest.write_atomic(path, valid())

    assert manifest.read(path) == valid()
    assert [p.name for p in tmp_path.iterdir()] == ["image-manifest.json"]


def mutate(change):
    data = valid()
    change(data)
    return data


@pytest.mark.parametrize(
    "data, expected",
    [
        (mutate(lambda d: d.update(schema_version=2)), "schema_version is 2"),
        (mutate(lambda d: d.update(commit_sha="xyz")), "commit_sha"),
        (mutate(lambda d: d.update(release_id="latest")), "release_id"),
        (mutate(lambda d: d.update(images={})), "images must be a non-empty"),
        (mutate(lambda d: d["images"]["auth"].update(digest="sha256:1")), "images.auth.digest"),
        (mutate(lambda d: d["images"]["auth"].update(size_bytes=0)), "size_bytes"),
        (
            mutate(lambda d: d["images"]["auth"].update(reference="127.0.0.1:5000/x@" + DIGEST)),
            "does not match",
        ),
        (mutate(lambda d: d["images"]["auth"].pop("repository")), "repository is missing"),
        ([], "must be a JSON object"),
    ],
)
def test_invalid_manifest_names_field(tmp_path, data, expected):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))

    with pytest.raises(ShipyardError) as caught:
        manifest.read(path)

    assert expected in str(caught.value)


def test_truncated_manifest(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(valid())[:50])

    with pytest.raises(ShipyardError) as caught:
        manifest.read(path)

    assert "not valid JSON" in str(caught.value)


def test_missing_manifest_says_what_to_run(tmp_path):
    with pytest.raises(ShipyardError) as caught:
        manifest.read(tmp_path / "nope.json")

    assert "inv release" in str(caught.value)


def test_write_below_a_file(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")

    with pytest.raises(ShipyardError) as caught:
        manifest.write_atomic(blocker / "m.json", valid())

    assert "cannot write" in str(caught.value)
