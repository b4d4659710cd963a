"""Plans against the fake Synapse: create / update / unchanged / orphan / delete per artifact, dependency levels,
filters, trigger handling decided up front, problems found before any write, and the JSON for CI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from deploy import cli
from deploy.constants import Exit
from deploy.filters import FilterError, Selection
from deploy.normalize import normalize
from deploy.plan import Action
from tests.deploy.test_deploy_fixtures import deployer, edit, fake_synapse, write_workspace

ORDER = [  # each artifact after everything it references
    ("linkedService", "ls_kv"), ("linkedService", "ls_sql"), ("dataset", "ds_table"), ("pipeline", "pl_child"),
    ("pipeline", "pl_parent"), ("trigger", "tr_parent")]


@pytest.fixture
def fake(tmp_path: Path):
    with fake_synapse(tmp_path, poll_count=1) as server:
        yield server


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return write_workspace(tmp_path / "ws")


def _actions(plan) -> dict[tuple[str, str], str]:
    return {change.key: change.action.value for change in plan.changes}


def test_an_empty_workspace_plans_every_artifact_as_create_in_levels(fake, root) -> None:
    with deployer(root, fake) as release:
        plan = release.plan()
    assert set(_actions(plan).values()) == {"create"} and len(plan.changes) == 12
    level = {change.key: change.level for change in plan.changes}
    assert [level[key] for key in ORDER] == [0, 1, 2, 3, 4, 5]
    assert level[("linkedService", "ls_lake")] == 0 and level[("dataset", "ds_files")] == 1
    assert level[("pipeline", "pl_other")] == 2 and level[("trigger", "tr_other")] == 3
    assert level[("notebook", "nb_job")] == 0  # pl_child runs it, so it is there before pl_child
    groups = [[c.key for c in group] for group in plan.write_levels()]
    assert groups[0] == [("linkedService", "ls_kv"), ("linkedService", "ls_lake"), ("notebook", "nb_job"),
                         ("sparkJobDefinition", "sjd_stream")]
    assert all(fake.calls(method) == [] for method in ("PUT", "POST", "DELETE"))


def test_a_plan_after_apply_is_all_unchanged_and_reads_only(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        before = len(fake.requests)
        plan = release.plan()
    assert set(_actions(plan).values()) == {"unchanged"}
    assert not plan.has_work
    reads = fake.requests[before:]
    assert {r.method for r in reads} == {"GET"} and len(reads) == 9  # one list per artifact type


def test_live_json_compares_equal_despite_what_the_service_and_sdk_add() -> None:
    source = {"name": "tr", "properties": {"type": "ScheduleTrigger", "annotations": [], "runtimeState": "Stopped",
                                           "typeProperties": {"recurrence": {"startTime": "2026-01-01T05:00:00Z"}}}}
    live = {"id": "/subscriptions/x/triggers/tr", "etag": "abc", "type": "Microsoft.Synapse/workspaces/triggers",
            "name": "tr", "properties": {"type": "ScheduleTrigger", "runtimeState": "Started", "description": None,
                                         "typeProperties": {"recurrence": {
                                             "startTime": "2026-01-01T05:00:00.000Z"}}}}
    assert normalize("trigger", source) == normalize("trigger", live)
    changed = {**source, "properties": {**source["properties"], "description": "new"}}
    assert normalize("trigger", changed) != normalize("trigger", live)


def test_a_masked_secure_string_is_not_a_change() -> None:
    source = {"name": "ls", "properties": {"type": "X", "typeProperties": {
        "password": {"type": "SecureString", "value": "in-git"}}}}
    live = {"name": "ls", "properties": {"type": "X", "typeProperties": {
        "password": {"type": "SecureString", "value": "**********"}}}}
    assert normalize("linkedService", source) == normalize("linkedService", live)


def test_one_changed_pipeline_is_the_only_update_and_diff_shows_it(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        edit(root, "pipeline/pl_other.json", lambda d: d["properties"].update(description="reads the control files"))
        plan = release.plan()
    assert [c.key for c in plan.of(Action.UPDATE)] == [("pipeline", "pl_other")]
    assert len(plan.of(Action.UNCHANGED)) == 11
    text = plan.of(Action.UPDATE)[0].diff()
    assert '+    "description": "reads the control files"' in text
    assert text.startswith("--- live/pipeline/pl_other\n+++ release/pipeline/pl_other")


def test_orphans_are_shown_and_deleted_only_with_the_flag_dependents_first(fake, root) -> None:
    fake.seed("linkedservices", "ls_old", {"type": "AzureBlobFS", "typeProperties": {"url": "https://x"}})
    fake.seed("datasets", "ds_old", {"type": "Parquet", "linkedServiceName": {
        "referenceName": "ls_old", "type": "LinkedServiceReference"}})
    fake.seed("pipelines", "pl_old", {"activities": [{"name": "l", "type": "Lookup", "typeProperties": {
        "dataset": {"referenceName": "ds_old", "type": "DatasetReference"}}}]})
    with deployer(root, fake) as release:
        kept = release.plan()
        gone = release.plan(delete_orphans=True)
    assert [c.key for c in kept.of(Action.ORPHAN)] == [("pipeline", "pl_old"), ("dataset", "ds_old"),
                                                       ("linkedService", "ls_old")]
    assert kept.of(Action.DELETE) == []
    assert [[c.key for c in group] for group in gone.delete_levels()] == [
        [("pipeline", "pl_old")], [("dataset", "ds_old")], [("linkedService", "ls_old")]]


def test_orphans_outside_the_filter_are_neither_shown_nor_deleted(fake, root) -> None:
    fake.seed("pipelines", "pl_old", {"activities": []})
    fake.seed("notebooks", "nb_old", {"nbformat": 4, "nbformat_minor": 2, "metadata": {}, "cells": []})
    with deployer(root, fake) as release:
        plan = release.plan(Selection.parse(["pipeline:*"]), delete_orphans=True)
    assert {c.key for c in plan.changes} == {("pipeline", n) for n in ("pl_child", "pl_parent", "pl_other", "pl_old")}
    assert [c.key for c in plan.of(Action.DELETE)] == [("pipeline", "pl_old")]


def test_an_orphan_still_referenced_by_what_stays_is_a_problem(fake, root) -> None:
    fake.seed("linkedservices", "ls_old", {"type": "AzureBlobFS", "typeProperties": {"url": "https://x"}})
    fake.seed("datasets", "ds_keep", {"type": "Parquet", "linkedServiceName": {
        "referenceName": "ls_old", "type": "LinkedServiceReference"}})
    with deployer(root, fake) as release:
        plan = release.plan(Selection.parse(["linkedService:*"]), delete_orphans=True)
    assert plan.problems == ["cannot delete linkedService ls_old: dataset ds_keep still references it (it stays in "
                             "the workspace, outside the filter or unchanged)"]


def test_a_dependency_outside_the_filter_and_not_live_is_a_problem(fake, root) -> None:
    with deployer(root, fake) as release:
        plan = release.plan(Selection.parse(["dataset:*"]))
    assert plan.problems == [
        "dataset ds_files references linkedService ls_lake, which is outside the filter and not in the workspace",
        "dataset ds_table references linkedService ls_sql, which is outside the filter and not in the workspace"]


@pytest.mark.parametrize(("include", "exclude", "expected"), [
    (["pipeline:pl_*"], [], {"pl_child", "pl_parent", "pl_other"}),
    (["*:ds_*"], [], {"ds_files", "ds_table"}),
    (["pl_p*", "tr_*"], ["trigger:tr_other"], {"pl_parent", "tr_parent"}),
    ([], ["trigger:*", "linkedservice:*", "dataset:*", "notebook:*", "sparkJobDefinition:*"],
     {"pl_child", "pl_parent", "pl_other"}),
])
def test_filters_choose_artifacts_by_type_and_name(include, exclude, expected) -> None:
    from tests.deploy.test_deploy_fixtures import artifacts

    selection = Selection.parse(include, exclude)
    keys = {(file.split("/")[0], doc["name"]) for file, doc in artifacts().items()}
    assert {name for key in keys if key in selection for _, name in [key]} == expected


def test_a_filter_with_an_unknown_type_is_refused() -> None:
    with pytest.raises(FilterError, match="unknown type 'pipelines'"):
        Selection.parse(["pipelines:*"])


def test_started_triggers_are_stopped_only_for_their_own_pipeline_chain(fake, root) -> None:
    with deployer(root, fake) as release:
        release.apply()
        for name in ("tr_parent", "tr_other"):
            fake.state["triggers"][name]["properties"]["runtimeState"] = "Started"
        edit(root, "pipeline/pl_child.json", lambda d: d["properties"].update(description="changed"))
        plan = release.plan()
    # pl_child changes; tr_parent runs pl_parent, which runs pl_child with ExecutePipeline
    assert [(s.name, s.reason) for s in plan.stop] == [("tr_parent", "pipeline pl_child changes")]
    assert plan.restart == ["tr_parent"] and plan.start == []


def test_a_stopped_trigger_is_left_stopped_and_start_triggers_start_the_rest(fake, root) -> None:
    from tests.deploy.test_deploy_fixtures import settings_for

    with deployer(root, fake, settings_for(start_triggers=["tr_p*"])) as release:
        plan = release.plan()
    assert [(s.name, s.reason) for s in plan.start] == [("tr_parent", "deploy.start_triggers of the environment")]
    assert plan.stop == []


def test_cli_plan_json_for_ci(fake, root, monkeypatch) -> None:
    monkeypatch.setattr(cli, "_deployer", lambda env, **options: deployer(root, fake, **options))
    fake.seed("pipelines", "pl_old", {"activities": []})
    result = CliRunner().invoke(cli.deploy, ["plan", "--env", "test", "--json", "--exclude", "trigger:*"])
    assert result.exit_code == Exit.DONE, result.output
    document = json.loads(result.stdout)
    assert document["environment"] == "test" and document["filter"] == "exclude trigger:*"
    assert document["counts"] == {"create": 10, "update": 0, "delete": 0, "unchanged": 0, "orphan": 1}
    first = document["changes"][0]
    assert set(first) == {"type", "name", "action", "level", "hash", "depends_on"}
    assert {c["name"]: c["depends_on"] for c in document["changes"]}["ls_sql"] == ["linkedService:ls_kv"]
    assert document["triggers"] == {"stop": [], "restart": [], "start": []}
    assert document["problems"] == []


def test_cli_plan_table_and_diff(fake, root, monkeypatch) -> None:
    monkeypatch.setattr(cli, "_deployer", lambda env, **options: deployer(root, fake, **options))
    with deployer(root, fake) as release:
        release.apply()
    edit(root, "pipeline/pl_other.json", lambda d: d["properties"].update(description="now described"))
    result = CliRunner().invoke(cli.deploy, ["plan", "--env", "test", "--diff", "--changes-only"])
    assert result.exit_code == Exit.DONE, result.output
    assert "update" in result.stdout and "pl_other" in result.stdout and "ls_kv" not in result.stdout
    assert '+    "description": "now described"' in result.stdout
    assert "1 update, 11 unchanged" in result.stdout


def test_levels_follow_references_and_refuse_a_cycle() -> None:
    from deploy.graph import CycleError, levels

    edges = {("pipeline", "pl_a"): {("pipeline", "pl_b")}, ("pipeline", "pl_b"): {("dataset", "ds")},
             ("dataset", "ds"): {("linkedService", "ls_outside_the_release")}}
    assert levels(edges) == {("dataset", "ds"): 0, ("pipeline", "pl_b"): 1, ("pipeline", "pl_a"): 2}
    edges[("dataset", "ds")] = {("pipeline", "pl_a")}
    with pytest.raises(CycleError, match="reference cycle: "):
        levels(edges)
