"""Lock staleness, release selection, pruning and deploy plans."""

import pytest

from shipyard.deploy import deployer, history, lock
from shipyard.errors import DeployError

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def status(age, **owner):
    return lock.LockStatus(age_seconds=age, owner=owner)


def test_lock_older_than_limit_is_stale():
    assert lock.stale_reason(status(7200), 3600) == "older than 3600 s"


def test_lock_of_dead_local_process_is_stale():
    held = status(10, local_host="laptop", pid=4242)
    reason = lock.stale_reason(held, 3600, "laptop", pid_alive=lambda pid: False)
    assert reason == "its process 4242 on laptop is gone"


def test_lock_of_live_or_remote_process_is_not_stale():
    live = status(10, local_host="laptop", pid=4242)
    assert lock.stale_reason(live, 3600, "laptop", pid_alive=lambda pid: True) == ""
    other = status(10, local_host="ci-runner", pid=4242)
    assert lock.stale_reason(other, 3600, "laptop", pid_alive=lambda pid: False) == ""


def test_lock_status_parses_age_and_owner():
    parsed = lock.parse_status('42\n{"user": "alice", "local_host": "l", "pid": 7}\n')
    assert parsed.age_seconds == 42
    assert parsed.holder().startswith("alice@l (pid 7)")
    assert lock.parse_status("none\n") is None
    assert "unknown holder" in lock.parse_status("5\n\n").holder()


def test_owner_record_has_holder_fields():
    record = lock.owner_record("deploy", "20261204-100000-aaaaaaa", "a" * 40)
    for key in ("token", "user", "local_host", "pid", "release_id", "taken_at"):
        assert record[key]


def releases():
    return [
        history.Release("20261204-100000-aaaaaaa", {"commit_sha": "a" * 40}),
        history.Release("20261204-110000-bbbbbbb", {"commit_sha": "b" * 40}),
    ]


def test_find_release_by_id_or_commit_prefix():
    assert history.find_release(releases(), "bbbbbbb").release_id.endswith("bbbbbbb")
    found = history.find_release(releases(), "20261204-100000-aaaaaaa")
    assert found.commit_sha == "a" * 40


def test_find_release_unknown_is_error():
    with pytest.raises(DeployError) as error:
        history.find_release(releases(), "cccccccc")
    assert "no kept release matches 'cccccccc'" in str(error.value)


def test_prune_keeps_newest_and_protected():
    ids = [f"20261204-1{n}0000-aaaaaaa" for n in range(6)]
    assert history.releases_to_prune(ids, 2, protected=(ids[0], "")) == ids[1:4]


def manifest(**images):
    return {
        "images": {
            name: {
                "repository": repo,
                "digest": digest,
                "reference": f"{repo}@{digest}",
            }
            for name, (repo, digest) in images.items()
        }
    }


def test_image_prune_never_removes_kept_release_images():
    old = manifest(web=("r/web", DIGEST_A), worker=("r/worker", DIGEST_A))
    kept = manifest(web=("r/web", DIGEST_B), worker=("r/worker", DIGEST_A))
    assert history.images_to_prune([old], [kept]) == [f"r/web@{DIGEST_A}"]


def test_links_parse_release_ids():
    links = history.parse_links("current=releases/r2\nprevious=releases/r1\n")
    assert links == history.Links("r2", "r1")
    assert history.parse_links("current=\nprevious=\n") == history.Links("", "")


def test_plan_lists_changed_and_unchanged_services():
    new = manifest(web=("r/web", DIGEST_B), worker=("r/worker", DIGEST_A))
    new["release_id"] = "20261204-110000-bbbbbbb"
    old = manifest(web=("r/web", DIGEST_A), worker=("r/worker", DIGEST_A))
    old["release_id"] = "20261204-100000-aaaaaaa"
    assert deployer.plan_lines(new, old) == [
        "would deploy 20261204-110000-bbbbbbb (current: 20261204-100000-aaaaaaa)",
        f"web: {DIGEST_A[:19]} -> {DIGEST_B[:19]}",
        "unchanged: worker",
    ]
    first = deployer.plan_lines(new, None)
    assert first[1] == f"web: not deployed -> {DIGEST_B[:19]}"


@pytest.mark.parametrize("target", ["zz", "abc", "HEAD~1", "20261204-153000", "../x"])
def test_rollback_target_rejected_before_connect(target):
    from shipyard.deploy.deployer import _check_rollback_target
    from shipyard.errors import UsageError

    with pytest.raises(UsageError) as caught:
        _check_rollback_target(target)

    assert repr(target) in str(caught.value)


@pytest.mark.parametrize("target", [None, "abc1234", "a" * 40, "20261204-153000-abc1234"])
def test_rollback_target_accepted(target):
    from shipyard.deploy.deployer import _check_rollback_target

    _check_rollback_target(target)
