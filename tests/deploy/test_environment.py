"""Environments: overrides written into the Git artifacts, and every reason a release must not go out found
before any request (a value left unset, an override that matches nothing, a dev value left for test or prod)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy import jsonpath
from deploy.cli import deploy
from deploy.constants import Exit
from deploy.deployer import Deployer, InvalidReleaseError
from deploy.environment import prepare
from deploy.markers import source_markers
from deploy.validate import WORKSPACE
from retail.settings import ENVIRONMENTS_DIR, SettingsError, load_settings
from tests.deploy.test_deploy_fixtures import OVERRIDES, POOLS, deployer, override, settings_for, write_workspace
from tests.fakes.synapse import FakeSynapse

DEV = load_settings("dev")


def _release(root: Path, settings=None):
    return prepare(settings or settings_for(), root, DEV)


def _data(release, kind: str, name: str) -> dict:
    return next(a.data for a in release.artifacts if a.key == (kind, name))


def test_overrides_write_the_environments_values(tmp_path: Path) -> None:
    release = _release(write_workspace(tmp_path))
    assert release.problems == []
    test = load_settings("test")
    assert _data(release, "linkedService", "ls_lake")["properties"]["parameters"]["storageAccountName"][
        "defaultValue"] == test.synapse.storage_account
    assert _data(release, "linkedService", "ls_kv")["properties"]["parameters"]["keyVaultName"][
        "defaultValue"] == "kv-retail-test"
    notebook = _data(release, "notebook", "nb_job")["properties"]["cells"]
    assert notebook[0]["source"] == ['env = "test"\n']  # `find` replaced only that text
    job = _data(release, "sparkJobDefinition", "sjd_stream")["properties"]["jobProperties"]
    assert job["file"] == f"{test.lake.root}/_jobs/stream.py"
    assert job["args"] == ["--env", "test"]
    assert {(a.kind, a.name) for a in release.applied} >= {("linkedService", "ls_kv"), ("notebook", "nb_job")}


def test_overrides_do_not_touch_the_files(tmp_path: Path) -> None:
    root = write_workspace(tmp_path)
    before = (root / "linkedService" / "ls_lake.json").read_text()
    _release(root)
    assert (root / "linkedService" / "ls_lake.json").read_text() == before


def test_an_override_naming_no_artifact_fails(tmp_path: Path) -> None:
    settings = settings_for(overrides=[*OVERRIDES, override("linkedService", "ls_typo", "$.properties.type", "X")])
    problems = _release(write_workspace(tmp_path), settings).problems
    assert problems == ["deploy.overrides[6] (linkedService ls_typo $.properties.type): matches nothing: "
                        "no linkedService is named 'ls_typo'"]


def test_an_override_whose_path_matches_nothing_fails(tmp_path: Path) -> None:
    wrong = override("linkedService", "ls_lake", "$.properties.parameters.storageAccount.defaultValue", "x")
    problems = _release(write_workspace(tmp_path), settings_for(overrides=[*OVERRIDES, wrong])).problems
    assert len(problems) == 1
    assert "matches nothing: no value at $.properties.parameters.storageAccount.defaultValue in ls_lake" in problems[0]


def test_a_find_that_matches_no_text_fails(tmp_path: Path) -> None:
    stale = override("notebook", "nb_job", "$.properties.cells[*].source[*]", "x = 1", find="env = 'dev'")
    problems = _release(write_workspace(tmp_path), settings_for(overrides=[*OVERRIDES, stale])).problems
    assert len(problems) == 1 and "contains \"env = 'dev'\"" in problems[0]


def test_a_placeholder_the_environment_leaves_unset_fails(tmp_path: Path) -> None:
    unset = override("pipeline", "pl_child", "$.properties.parameters.env.defaultValue", "{deploy.values.missing}")
    problems = _release(write_workspace(tmp_path), settings_for(overrides=[*OVERRIDES, unset])).problems
    assert problems == ["deploy.overrides[6] (pipeline pl_child $.properties.parameters.env.defaultValue): value: "
                        "placeholder {deploy.values.missing} is not set in this environment"]


def test_a_placeholder_naming_a_section_fails(tmp_path: Path) -> None:
    section = override("pipeline", "pl_child", "$.properties.parameters.env.defaultValue", "{synapse}")
    problems = _release(write_workspace(tmp_path), settings_for(overrides=[*OVERRIDES, section])).problems
    assert len(problems) == 1 and "{synapse (a section, not a value)}" in problems[0]


def test_deploy_values_and_escaped_braces_resolve(tmp_path: Path) -> None:
    value = override("pipeline", "pl_child", "$.properties.parameters.env.defaultValue",
                     "{{literal}} {deploy.values.hook}")
    settings = settings_for(overrides=[*OVERRIDES[:2], *OVERRIDES[3:], value], values={"hook": "https://h"})
    release = _release(write_workspace(tmp_path), settings)
    assert release.problems == []
    assert _data(release, "pipeline", "pl_child")["properties"]["parameters"]["env"]["defaultValue"] == \
        "{literal} https://h"


def test_an_empty_value_is_refused_when_the_file_loads(tmp_path: Path) -> None:
    text = (ENVIRONMENTS_DIR / "test.toml").read_text()
    text += '\n[[deploy.overrides]]\ntype = "pipeline"\nname = "pl_child"\npath = "$.properties.x"\nvalue = ""\n'
    (tmp_path / "test.toml").write_text(text)
    with pytest.raises(SettingsError) as error:
        load_settings("test", path=tmp_path / "test.toml")
    assert f"{tmp_path / 'test.toml'}: deploy.overrides." in str(error.value)
    assert ".value: Value error, is empty: the environment must set a value" in str(error.value)


def test_a_dev_value_left_for_test_fails_with_file_path_and_origin(tmp_path: Path) -> None:
    settings = settings_for(overrides=[o for o in OVERRIDES if o.name != "ls_lake"])
    problems = _release(write_workspace(tmp_path), settings).problems
    assert problems == ["linkedService/ls_lake.json: $.properties.parameters.storageAccountName.defaultValue: still "
                        "holds 'stretaildev' (dev synapse.storage_account); add an override to [deploy] of the test "
                        "environment"]


def test_the_dev_environment_name_counts_as_a_whole_token_only(tmp_path: Path) -> None:
    docs_root = write_workspace(tmp_path)
    release = _release(docs_root)
    assert release.problems == []
    text_with_dev_inside_words = "device stddev developer"
    leftover = override("pipeline", "pl_child", "$.properties.parameters.env.defaultValue", text_with_dev_inside_words)
    assert _release(docs_root, settings_for(overrides=[*OVERRIDES, leftover])).problems == []
    flagged = override("pipeline", "pl_child", "$.properties.parameters.env.defaultValue", "alerts.retail-dev.io")
    problems = _release(docs_root, settings_for(overrides=[*OVERRIDES, flagged])).problems
    assert len(problems) == 1 and "still holds 'dev' (dev environment.name)" in problems[0]


def test_markers_are_only_the_values_that_differ_between_environments() -> None:
    test_markers = {m.text: m.origin for m in source_markers(DEV, load_settings("test"))}
    prod_markers = {m.text: m.origin for m in source_markers(DEV, load_settings("prod"))}
    assert test_markers["stretaildev"] == "dev synapse.storage_account"
    assert test_markers["evhns-retail-dev"].startswith("dev streaming.bootstrap_servers")
    assert "sqlpool_retail" not in test_markers  # every environment's pool has that name
    assert "00000000-0000-0000-0000-000000000000" not in test_markers  # test shares dev's subscription
    assert prod_markers["00000000-0000-0000-0000-000000000000"] == "dev synapse.subscription_id"
    assert source_markers(DEV, DEV) == []  # releasing to dev: Git's values are dev's


def test_dev_needs_no_override_to_pass(tmp_path: Path) -> None:
    assert prepare(settings_for("dev", overrides=[]), write_workspace(tmp_path), DEV).problems == []


def test_a_local_environment_is_not_deployable(tmp_path: Path) -> None:
    problems = prepare(load_settings("local"), write_workspace(tmp_path), DEV).problems
    assert problems == ["environment local: synapse: not set; only Synapse environments (dev, test, prod) are "
                        "deployed"]


def test_a_missing_environment_value_fails_before_any_request(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    settings = settings_for(overrides=[o for o in OVERRIDES if o.name != "ls_kv"])
    with FakeSynapse(tmp_path) as fake:
        with pytest.raises(InvalidReleaseError) as error, deployer(root, fake, settings) as release:
            release.apply()
        assert fake.requests == []
    assert error.value.problems == [
        "linkedService/ls_kv.json: $.properties.parameters.keyVaultName.defaultValue: still holds 'kv-retail-dev' "
        "(dev key_vault); add an override to [deploy] of the test environment"]


def test_workspace_validator_errors_also_stop_the_release(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "ws")
    (root / "dataset" / "ds_broken.json").write_text('{"name": "ds_broken", "properties": {"type": "Parquet", '
                                                      '"linkedServiceName": {"referenceName": "ls_gone", '
                                                      '"type": "LinkedServiceReference"}}}')
    with FakeSynapse(tmp_path) as fake, pytest.raises(InvalidReleaseError) as error, deployer(root, fake) as release:
        release.plan()
    assert fake.requests == []
    assert any(p.startswith("workspace/dataset/ds_broken.json: $.properties.linkedServiceName.referenceName: REF")
               for p in error.value.problems)


# -- jsonpath ----------------------------------------------------------------------------------------------------
DOC = {"properties": {"a b": {"x": 1}, "list": [{"ref": "p"}, {"ref": "q", "deep": {"ref": "r"}}]}}


@pytest.mark.parametrize(("path", "found"), [
    ("$.properties['a b'].x", [("properties", "a b", "x")]),
    ("$.properties.list[1].ref", [("properties", "list", 1, "ref")]),
    ("$.properties.list[*].ref", [("properties", "list", 0, "ref"), ("properties", "list", 1, "ref")]),
    ("$..ref", [("properties", "list", 0, "ref"), ("properties", "list", 1, "ref"),
                ("properties", "list", 1, "deep", "ref")]),
    ("$.properties.*.x", [("properties", "a b", "x")]),
    ("$.properties.missing", []),
    ("$.properties.list[5]", []),
])
def test_jsonpath_selects_existing_values_only(path: str, found: list[tuple]) -> None:
    assert jsonpath.select(DOC, path) == found


def test_jsonpath_renders_what_it_parses() -> None:
    for location in jsonpath.select(DOC, "$..*"):
        assert jsonpath.select(DOC, jsonpath.render(location)) == [location]


@pytest.mark.parametrize("path", ["properties.x", "$.a[", "$.a..", "$[x]"])
def test_jsonpath_refuses_what_it_cannot_read(path: str) -> None:
    with pytest.raises(jsonpath.PathError):
        jsonpath.parse(path)


# -- the CLI -----------------------------------------------------------------------------------------------------
def _environment_dir(tmp_path: Path, extra: str = "") -> Path:
    folder = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, folder)
    (folder / "test.toml").write_text((folder / "test.toml").read_text() + extra)
    return folder


def test_cli_validate_exits_2_on_a_value_left_unset_and_0_when_valid(tmp_path: Path, monkeypatch) -> None:
    root = write_workspace(tmp_path / "ws")
    broken = _environment_dir(tmp_path / "broken", '\n[[deploy.overrides]]\ntype = "pipeline"\nname = "pl_child"\n'
                                                   'path = "$.properties.parameters.env.defaultValue"\n'
                                                   'value = "{deploy.values.not_there}"\n')
    monkeypatch.setenv("RETAIL_SETTINGS_DIR", str(broken))
    result = CliRunner().invoke(deploy, ["validate", "--env", "test", "--root", str(root), "--json"])
    assert result.exit_code == Exit.INVALID
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert any("placeholder {deploy.values.not_there} is not set" in p for p in report["problems"])
    result = CliRunner().invoke(deploy, ["apply", "--env", "test"])
    assert result.exit_code == Exit.INVALID  # refused before any call to Azure
    assert "nothing was sent to Azure" in result.stderr


def test_cli_needs_an_environment() -> None:
    result = CliRunner().invoke(deploy, ["plan"])
    assert result.exit_code == Exit.INVALID
    assert "choose the environment" in result.stderr


def test_cli_refuses_an_unknown_filter_type() -> None:
    result = CliRunner().invoke(deploy, ["plan", "--env", "test", "--include", "pipelines:*"])
    assert result.exit_code == Exit.INVALID
    assert "unknown type 'pipelines'" in result.stderr


# -- the committed workspace and environment files ---------------------------------------------------------------
@pytest.mark.real_workspace
@pytest.mark.parametrize("env", ["dev", "test", "prod"])
def test_the_committed_environments_release_the_committed_workspace(env: str) -> None:
    validation = Deployer(load_settings(env), root=WORKSPACE).validate()
    assert validation.problems == []
    assert validation.release.applied, "the environment's overrides wrote nothing"


@pytest.mark.real_workspace
def test_removing_an_override_from_prod_is_caught(tmp_path: Path) -> None:
    prod = load_settings("prod")
    kept = [o for o in prod.deploy.overrides if o.name != "ls_key_vault"]
    settings = prod.model_copy(update={"deploy": prod.deploy.model_copy(update={"overrides": kept})})
    problems = Deployer(settings, root=WORKSPACE, pools=POOLS, check_workspace=False).validate().problems
    assert problems == ["linkedService/ls_key_vault.json: $.properties.parameters.keyVaultName.defaultValue: still "
                        "holds 'kv-retail-dev' (dev key_vault); add an override to [deploy] of the prod environment"]
