"""Compose file rewriting: exact output text for files that trip YAML tools."""

import pytest

from shipyard.deploy import compose_file

DIGEST = "sha256:" + "1" * 64
ECR = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/app"


def image(repository, tags=("abc1234",)):
    return {
        "repository": repository,
        "digest": DIGEST,
        "tags": list(tags),
        "reference": f"{repository}@{DIGEST}",
    }


ANCHORED = """\
x-app: &app
  image: 111111111111.dkr.ecr.eu-west-1.amazonaws.com/app:old
services:
  web: {<<: *app}
  worker: {<<: *app, command: worker}
"""


def test_anchor_value_changes_when_all_users_released():
    output = compose_file.rewrite(ANCHORED, {"web": image(ECR), "worker": image(ECR)})
    assert output == ANCHORED.replace("app:old", f"app@{DIGEST}")


def test_partial_release_gets_own_image_and_keeps_anchor():
    output = compose_file.rewrite(ANCHORED, {"worker": image(ECR)})
    assert output == ANCHORED.replace(
        "worker: {<<: *app, command: worker}",
        f"worker: {{<<: *app, image: {ECR}@{DIGEST}, command: worker}}",
    )
    resolved = compose_file.image_values(output)
    assert resolved["web"] == f"{ECR}:old"
    assert resolved["worker"] == f"{ECR}@{DIGEST}"


BLOCK_MERGE = """\
x-app: &app
  image: registry.example:5000/team/app:1.2
  restart: unless-stopped

services:
  web:
    <<: *app
    ports:
      - "8080:80"
  worker:
    <<: *app
    command: worker  # runs jobs
"""


def test_block_merge_partial_release_inserts_after_merge_key():
    repository = "registry.example:5000/team/app"
    output = compose_file.rewrite(BLOCK_MERGE, {"worker": image(repository)})
    assert output == BLOCK_MERGE.replace(
        "    <<: *app\n    command: worker",
        f"    <<: *app\n    image: {repository}@{DIGEST}\n    command: worker",
    )


YAML11 = """\
services:
  sftp:
    image: app:old
    ports: [2122:22]
    environment: {ACCEPT_EULA: 'Y', FLAG: "no"}
    command: ${SFTP_COMMAND:-serve}
  other:
    image: "postgres:16.4"   # not released
    ports:
      - 127.0.0.1:5432:5432
"""


def test_yaml11_traps_come_out_unchanged():
    output = compose_file.rewrite(YAML11, {"sftp": image("localhost:5000/app")})
    assert output == YAML11.replace(
        "image: app:old", f"image: localhost:5000/app@{DIGEST}"
    )


def test_quoted_image_keeps_quotes_and_comment():
    text = 'services:\n  db:\n    image: "localhost:5000/db:abc1234"  # pinned\n'
    output = compose_file.rewrite(text, {"db": image("localhost:5000/db")})
    # The comment stays on the line; ruamel.yaml keeps its column only when
    # the new value still fits before it, else it leaves one space.
    assert output == (
        f'services:\n  db:\n    image: "localhost:5000/db:abc1234@{DIGEST}" # pinned\n'
    )


def test_build_and_image_becomes_registry_image_only():
    text = "services: {app: {build: ., image: app:dev}}\n"
    output = compose_file.rewrite(text, {"app": image("localhost:5000/team/app")})
    assert output == f"services: {{app: {{image: localhost:5000/team/app@{DIGEST}}}}}\n"


def test_build_only_service_gets_image_in_place_of_build():
    text = (
        "services:\n"
        "  app:\n"
        "    build:\n"
        "      context: .\n"
        "    ports:\n"
        "    - 127.0.0.1:8080:8080\n"
    )
    output = compose_file.rewrite(text, {"app": image("localhost:5000/team/app")})
    assert output == (
        "services:\n"
        "  app:\n"
        f"    image: localhost:5000/team/app@{DIGEST}\n"
        "    ports:\n"
        "    - 127.0.0.1:8080:8080\n"
    )


def test_indented_sequences_keep_their_indent():
    text = (
        "services:\n"
        "    web:\n"
        "        image: web:old\n"
        "        command:\n"
        "            - httpd\n"
        "            - -f\n"
    )
    output = compose_file.rewrite(text, {"web": image("localhost:5000/web")})
    assert output == text.replace("web:old", f"localhost:5000/web@{DIGEST}")


def test_tag_kept_only_when_manifest_lists_it():
    repository = "localhost:5000/team/app"
    assert compose_file.new_reference(f"{repository}:abc1234", image(repository)) == (
        f"{repository}:abc1234@{DIGEST}"
    )
    assert compose_file.new_reference(f"{repository}:latest", image(repository)) == (
        f"{repository}@{DIGEST}"
    )
    assert compose_file.new_reference("other/app:abc1234", image(repository)) == (
        f"{repository}@{DIGEST}"
    )


def test_manifest_service_missing_from_file_is_error():
    with pytest.raises(compose_file.ComposeFileError) as error:
        compose_file.rewrite("services: {web: {image: a}}\n", {"auth": image("r/auth")})
    assert "service auth from the manifest is not defined" in str(error.value)


def test_invalid_yaml_is_error():
    with pytest.raises(compose_file.ComposeFileError) as error:
        compose_file.rewrite("services: [unclosed\n", {"web": image("r/web")})
    assert "invalid YAML" in str(error.value)


def test_services_map_renames_manifest_services():
    manifest = {"images": {"auth": image("r/auth"), "website": image("r/site")}}
    mapped = compose_file.released_services(manifest, {"auth-api": "auth"})
    assert sorted(mapped) == ["auth-api", "website"]


def test_service_settings_reads_restart_and_profiles():
    text = (
        "services:\n"
        "  migrate: {image: a, restart: 'no'}\n"
        "  web: {image: a, restart: always}\n"
        "  debug: {image: a, profiles: [debug]}\n"
    )
    settings = compose_file.service_settings(text)
    assert settings["migrate"] == {"restart": "no", "profiles": False}
    assert settings["web"]["restart"] == "always"
    assert settings["debug"]["profiles"] is True


SCALAR_ANCHOR = """\
services:
  web:
    image: &img registry.example:5000/team/app:old
  worker:
    image: *img
    command: worker
"""


def test_scalar_anchor_changes_when_all_users_released():
    repository = "registry.example:5000/team/app"
    output = compose_file.rewrite(
        SCALAR_ANCHOR, {"web": image(repository), "worker": image(repository)}
    )
    assert output == SCALAR_ANCHOR.replace("app:old", f"app@{DIGEST}")


def test_scalar_anchor_partial_release_gets_own_value():
    repository = "registry.example:5000/team/app"
    output = compose_file.rewrite(SCALAR_ANCHOR, {"worker": image(repository)})
    assert output == SCALAR_ANCHOR.replace(
        "image: *img", f"image: {repository}@{DIGEST}"
    )
    resolved = compose_file.image_values(output)
    assert resolved["web"] == f"{repository}:old"


def test_scalar_anchor_moves_when_its_definer_is_released():
    repository = "registry.example:5000/team/app"
    output = compose_file.rewrite(SCALAR_ANCHOR, {"web": image(repository)})
    # The worker still uses the old value, so the anchor now sits on it.
    assert output == (
        "services:\n"
        "  web:\n"
        f"    image: {repository}@{DIGEST}\n"
        "  worker:\n"
        "    image: &img registry.example:5000/team/app:old\n"
        "    command: worker\n"
    )


MERGED_BUILD = """\
x-base: &base
  build: ./app
  image: registry.example:5000/team/app:old
  environment: {MODE: "prod"}
services:
  web:
    <<: *base
    ports: ["8080:80"]  # public
  worker: {<<: *base, command: worker}
"""


def test_merged_build_removed_from_anchor_when_all_released():
    repository = "registry.example:5000/team/app"
    output = compose_file.rewrite(
        MERGED_BUILD, {"web": image(repository), "worker": image(repository)}
    )
    assert output == (
        "x-base: &base\n"
        f"  image: {repository}@{DIGEST}\n"
        '  environment: {MODE: "prod"}\n'
        "services:\n"
        "  web:\n"
        "    <<: *base\n"
        '    ports: ["8080:80"]  # public\n'
        "  worker: {<<: *base, command: worker}\n"
    )


def test_merged_build_partial_release_inlines_without_build():
    repository = "registry.example:5000/team/app"
    output = compose_file.rewrite(MERGED_BUILD, {"web": image(repository)})
    assert output == MERGED_BUILD.replace(
        "    <<: *base\n",
        f"    image: {repository}@{DIGEST}\n" + '    environment: {MODE: "prod"}\n',
    )
    from ruamel.yaml import YAML

    services = YAML(typ="safe").load(output)["services"]
    assert "build" not in services["web"]
    assert services["worker"]["build"] == "./app"
    assert services["worker"]["image"] == f"{repository}:old"


MERGED_SERVICE = """\
services:
  web: &web
    build: .
    image: r/app:old
  worker:
    <<: *web
    command: w
"""


def test_released_service_merged_by_unreleased_one():
    output = compose_file.rewrite(MERGED_SERVICE, {"web": image("r/app")})

    assert output == (
        "services:\n"
        "  web:\n"
        f"    image: r/app@{DIGEST}\n"
        "  worker:\n"
        "    build: .\n"
        "    image: r/app:old\n"
        "    command: w\n"
    )


def test_released_service_merged_by_released_one():
    entry = image("r/app")

    output = compose_file.rewrite(MERGED_SERVICE, {"web": entry, "worker": entry})

    assert output == (
        "services:\n"
        "  web: &web\n"
        f"    image: r/app@{DIGEST}\n"
        "  worker:\n"
        "    <<: *web\n"
        "    command: w\n"
    )


THREE_SERVICES = """\
services:
  auth:
    image: 127.0.0.1:5000/fin/auth:main
  website:
    image: 127.0.0.1:5000/fin/website:main
  db:
    image: postgres:16.4-alpine
"""


def test_release_missing_registry_service_rejected():
    with pytest.raises(compose_file.ComposeFileError) as caught:
        compose_file.rewrite(THREE_SERVICES, {"auth": image("127.0.0.1:5000/fin/auth")})

    assert "service website runs 127.0.0.1:5000/fin/website:main" in str(caught.value)


def test_release_with_every_registry_service_passes():
    entries = {
        "auth": image("127.0.0.1:5000/fin/auth"),
        "website": image("127.0.0.1:5000/fin/website"),
    }

    output = compose_file.rewrite(THREE_SERVICES, entries)

    assert "image: postgres:16.4-alpine" in output
    assert "website:main" not in output


def test_services_map_many_to_one():
    manifest = {"images": {"app": image("r/app"), "auth": image("r/auth")}}

    released = compose_file.released_services(manifest, {"web": "app", "worker": "app"})

    assert sorted(released) == ["auth", "web", "worker"]
    assert released["web"] is manifest["images"]["app"]
    assert released["worker"] is manifest["images"]["app"]
