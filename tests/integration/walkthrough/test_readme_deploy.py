"""The README's deploy walkthrough, step by step, on the stand-in hosts."""

import json
import shutil
import urllib.request

import pytest

from tests.support.project import REPO_ROOT, make_project

pytestmark = pytest.mark.integration


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode().strip()


def test_release_deploy_rollback_walkthrough(tmp_path, registry, test_hosts):
    folder, app_port = test_hosts
    project = make_project(tmp_path, registry.address)
    (tmp_path / "compose").mkdir()
    shutil.copy(REPO_ROOT / "compose" / "docker-compose.local.yml", tmp_path / "compose")
    project.commit("add the compose stack")
    hosts_config = str(folder / "invoke.yaml")
    website = f"http://127.0.0.1:{app_port + 2}/"
    backup_website = f"http://127.0.0.1:{app_port + 12}/"

    first = project.inv("release", "--skip-preflight")
    first_id = json.loads(project.manifest_path.read_text())["release_id"]
    deployed = project.inv("-f", hosts_config, "deploy", "--host", "all")
    page_v1 = fetch(website)

    page = project.app / "website" / "site" / "index.html"
    page.write_text("<h1>version two</h1>\n")
    project.commit("new landing page")
    second = project.inv("release", "--skip-preflight")
    updated = project.inv("-f", hosts_config, "deploy", "--host", "all")
    page_v2 = fetch(website)
    backup_v2 = fetch(backup_website)

    rolled_back = project.inv("-f", hosts_config, "rollback", "--host", "primary")
    page_after = fetch(website)
    listed = project.inv("-f", hosts_config, "releases", "--host", "primary")

    assert first.returncode == 0, first.stderr
    assert deployed.returncode == 0, deployed.stderr
    assert "Banking you can trust" in page_v1
    assert second.returncode == 0, second.stderr
    assert updated.returncode == 0, updated.stderr
    assert page_v2 == "<h1>version two</h1>"
    assert backup_v2 == "<h1>version two</h1>"
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert "Banking you can trust" in page_after
    assert listed.returncode == 0, listed.stderr
    assert first_id in listed.stdout
