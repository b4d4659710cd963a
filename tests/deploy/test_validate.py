"""The workspace validator: a small valid workspace (fixtures/workspace_ok) validates clean, and each seeded mistake
gives exactly the expected finding (rule, file, JSON path). No Spark, no network."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deploy.validate import POOLS, RULES, WORKSPACE, Finding, format_findings, has_errors, validate
from deploy.validate.expressions import ExpressionError, Use, expressions_in, parse, uses
from sql_pools.project import Script, project_scripts

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FIXTURE_POOLS = FIXTURES / "pools"
INGEST = "pipeline/pl_ingest_supplier.json"  # activities: 0 lkp_tables, 1 fe_tables (cp_table), 2 sp_load_all,
#                                              3 set_table_count
SP = "$.properties.activities[2]"
SET = "$.properties.activities[3]"


@pytest.fixture(scope="module")
def scripts() -> list[Script]:
    return project_scripts()


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    shutil.copytree(FIXTURES / "workspace_ok", root)
    return root


def edit(root: Path, file: str, change: Callable[[dict[str, Any]], Any]) -> None:
    path = root / file
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


def activity(data: dict[str, Any], index: int) -> dict[str, Any]:
    return data["properties"]["activities"][index]


def found(root: Path, scripts: list[Script], pools: Path = FIXTURE_POOLS) -> list[tuple[str, str, str]]:
    return [(f.rule, f.file, f.path) for f in validate(root, pools, scripts)]


def test_the_fixture_workspace_is_clean(workspace: Path, scripts: list[Script]) -> None:
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert findings == [], format_findings(findings)


def test_reads_the_sql_project_itself_when_no_scripts_are_given() -> None:
    assert validate(FIXTURES / "workspace_ok", FIXTURE_POOLS) == []


# --- the mistakes the brief names, one finding each -------------------------------------------------------------

def test_dataset_with_a_missing_linked_service(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "dataset/ds_lake_parquet.json",
         lambda d: d["properties"]["linkedServiceName"].update(referenceName="ls_missing"))
    assert found(workspace, scripts) == [
        ("REF001", "dataset/ds_lake_parquet.json", "$.properties.linkedServiceName.referenceName")]


def test_undeclared_pipeline_parameter(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 2)["typeProperties"]["storedProcedureParameters"]["export_root"]
         ["value"].update(value="@pipeline().parameters.export_folder"))
    assert found(workspace, scripts) == [
        ("EXP001", INGEST, f"{SP}.typeProperties.storedProcedureParameters.export_root.value.value")]


@pytest.mark.parametrize(("index", "expression", "why"), [
    # lkp_tables reads fe_tables, which depends on lkp_tables: it runs later
    (0, "@activity('fe_tables').output", "runs after 'lkp_tables'"),
    # set_table_count depends on lkp_tables only: sp_load_all is on another branch
    (3, "@activity('sp_load_all').output", "is not upstream of 'set_table_count'"),
])
def test_activity_that_has_not_run_yet(workspace: Path, scripts: list[Script], index: int, expression: str,
                                       why: str) -> None:
    edit(workspace, INGEST, lambda d: activity(d, index).update(description="x", userProperties=[
        {"name": "peek", "value": expression}]))
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.file, f.path) for f in findings] == [
        ("EXP003", INGEST, f"$.properties.activities[{index}].userProperties[0].value")]
    assert why in findings[0].message


def test_password_in_a_connection_string(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "linkedService/ls_supplier_db.json", lambda d: d["properties"]["typeProperties"].update(
        connectionString=d["properties"]["typeProperties"]["connectionString"] + ";Password=Sup3r-S3cret!"))
    assert found(workspace, scripts) == [
        ("SEC001", "linkedService/ls_supplier_db.json", "$.properties.typeProperties.connectionString")]


def test_name_differs_from_file_name(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "trigger/tr_daily.json", lambda d: d.update(name="tr_nightly"))
    assert found(workspace, scripts) == [("NAM001", "trigger/tr_daily.json", "$.name")]


def test_property_the_sdk_would_drop(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 2)["typeProperties"].update(commandTimeout="00:30:00"))
    assert found(workspace, scripts) == [("SDK001", INGEST, f"{SP}.typeProperties.commandTimeout")]


def test_depends_on_cycle(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 0)["dependsOn"].append(
        {"activity": "set_table_count", "dependencyConditions": ["Succeeded"]}))
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.file, f.path) for f in findings] == [
        ("CYC002", INGEST, "$.properties.activities[0].dependsOn[0].activity")]
    assert "lkp_tables -> set_table_count -> lkp_tables" in findings[0].message


def test_stored_procedure_missing_from_the_sql_project(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 2)["typeProperties"].update(
        storedProcedureName="etl.usp_load_everything"))
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.file, f.path) for f in findings] == [
        ("REF003", INGEST, f"{SP}.typeProperties.storedProcedureName")]
    assert str(findings[0]).startswith(f"{INGEST}: {SP}.typeProperties.storedProcedureName: REF003 error: ")


# --- more of each family ---------------------------------------------------------------------------------------

def test_missing_spark_pool_definition(workspace: Path, scripts: list[Script], tmp_path: Path) -> None:
    no_pools = tmp_path / "no_pools"
    no_pools.mkdir()
    assert found(workspace, scripts, no_pools) == [
        ("REF001", "notebook/nb_silver.json", "$.properties.bigDataPool.referenceName"),
        ("REF001", "pipeline/pl_daily.json", "$.properties.activities[1].typeProperties.sparkPool.referenceName"),
        ("REF001", "sparkJobDefinition/sjd_compact.json", "$.properties.targetBigDataPool.referenceName")]


def test_secret_store_that_is_not_a_key_vault(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "linkedService/ls_supplier_db.json", lambda d: d["properties"]["typeProperties"]["password"]
         ["store"].update(referenceName="ls_lake"))
    assert found(workspace, scripts) == [
        ("REF002", "linkedService/ls_supplier_db.json", "$.properties.typeProperties.password.store.referenceName")]


def test_arguments_must_match_the_declared_parameters(workspace: Path, scripts: list[Script]) -> None:
    parameters = "$.properties.activities[0].typeProperties.dataset"
    edit(workspace, INGEST, lambda d: activity(d, 0)["typeProperties"]["dataset"].update(
        parameters={"schema": "etl", "tabel": "watermark"}))
    assert found(workspace, scripts) == [
        ("REF004", INGEST, f"{parameters}.parameters.tabel"),
        ("REF005", INGEST, f"{parameters}.referenceName")]


def test_item_outside_a_foreach(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 1)["typeProperties"]["items"].update(value="@item().tables"))
    assert found(workspace, scripts) == [("EXP004", INGEST, "$.properties.activities[1].typeProperties.items.value")]


def test_undeclared_variable(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 3)["typeProperties"].update(variableName="row_count"))
    assert found(workspace, scripts) == [("EXP002", INGEST, f"{SET}.typeProperties.variableName")]


def test_system_function_where_it_is_undefined(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "pipeline/pl_daily.json", lambda d: activity(d, 0)["typeProperties"]["parameters"]["load_id"]
         .update(value="@trigger().scheduledTime"))
    assert found(workspace, scripts) == [
        ("EXP005", "pipeline/pl_daily.json", "$.properties.activities[0].typeProperties.parameters.load_id.value")]


def test_expression_that_does_not_parse(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 3)["typeProperties"]["value"].update(value="@{concat('a', 'b'}"))
    assert found(workspace, scripts) == [("EXP006", INGEST, f"{SET}.typeProperties.value.value")]


def test_execute_pipeline_cycle(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: d["properties"]["activities"].append({
        "name": "run_daily_again", "type": "ExecutePipeline", "dependsOn": [], "userProperties": [],
        "typeProperties": {"pipeline": {"referenceName": "pl_daily", "type": "PipelineReference"},
                           "waitOnCompletion": True}}))
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.file, f.path) for f in findings] == [
        ("CYC001", "pipeline/pl_daily.json", "$.properties.activities[0].typeProperties.pipeline.referenceName")]
    assert "pl_daily -> pl_ingest_supplier -> pl_daily" in findings[0].message


def test_depends_on_an_activity_of_another_list(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 2)["dependsOn"].append(
        {"activity": "cp_table", "dependencyConditions": ["Succeeded"]}))
    assert found(workspace, scripts) == [("CYC003", INGEST, f"{SP}.dependsOn[1].activity")]


def test_unknown_activity_type(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 2).update(type="SqlPoolStoredProcedur"))
    assert found(workspace, scripts) == [("SDK003", INGEST, f"{SP}.type")]


def test_value_of_the_wrong_json_type(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, INGEST, lambda d: activity(d, 1)["typeProperties"].update(items="@activity('lkp_tables')"))
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.file, f.path) for f in findings] == [
        ("SDK002", INGEST, "$.properties.activities[1].typeProperties.items")]
    assert "Expression expects a JSON object, found str" in findings[0].message


def test_naive_trigger_start_time_is_rewritten_as_utc(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "trigger/tr_daily.json", lambda d: d["properties"]["typeProperties"]["recurrence"].update(
        startTime="2024-01-01T02:00:00", timeZone="W. Europe Standard Time"))
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.path) for f in findings] == [("SDK004", "$.properties.typeProperties.recurrence.startTime")]
    assert not has_errors(findings)


def test_credential_shape(workspace: Path, scripts: list[Script]) -> None:
    edit(workspace, "credential/WorkspaceSystemIdentity.json", lambda d: d["properties"].update(
        type="ServicePrincipal"))
    assert found(workspace, scripts) == [
        ("SDK005", "credential/WorkspaceSystemIdentity.json", "$.properties.typeProperties")] * 3


def test_token_looking_literal(workspace: Path, scripts: list[Script]) -> None:
    token = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2Rldi5henVyZXN5bmFwc2UubmV0In0.c2lnbmF0dXJlLW5vdC1yZWFs"
    edit(workspace, "pipeline/pl_daily.json", lambda d: activity(d, 0).update(description=f"Bearer {token}"))
    assert found(workspace, scripts) == [("SEC002", "pipeline/pl_daily.json", "$.properties.activities[0].description")]


def test_invalid_and_duplicate_activity_names(workspace: Path, scripts: list[Script]) -> None:
    def rename(d: dict[str, Any]) -> None:
        activity(d, 3)["name"] = "fe_tables"
        activity(d, 1)["typeProperties"]["activities"][0]["name"] = "cp.table"
    edit(workspace, INGEST, rename)
    assert found(workspace, scripts) == [
        ("NAM002", INGEST, "$.properties.activities[1].typeProperties.activities[0].name"),
        ("NAM003", INGEST, f"{SET}.name")]


def test_files_that_do_not_belong_or_do_not_load(workspace: Path, scripts: list[Script]) -> None:
    (workspace / "README.md").write_text("notes", encoding="utf-8")
    (workspace / "dataset" / "ds_broken.json").write_text("{\"name\": ", encoding="utf-8")
    assert found(workspace, scripts) == [("WS002", "README.md", "$"), ("WS001", "dataset/ds_broken.json", "$")]


# --- the pieces -------------------------------------------------------------------------------------------------

def test_finding_format() -> None:
    finding = Finding("pipeline/pl_daily.json", "$.properties.activities[2].typeProperties.storedProcedureName",
                      "REF003", RULES[0].severity, "procedure etl.x is not created")
    assert format_findings([finding]) == ("pipeline/pl_daily.json: $.properties.activities[2].typeProperties."
                                          "storedProcedureName: REF003 error: procedure etl.x is not created")


def test_rules_are_unique_and_explained() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert all(rule.summary and rule.name and callable(rule.check) for rule in RULES)


@pytest.mark.parametrize(("value", "expressions"), [
    ("@pipeline().parameters.x", ["pipeline().parameters.x"]),
    ("@@pipeline()", []),
    ("load @{pipeline().RunId} of @{item().name}", ["pipeline().RunId", "item().name"]),
    ("@{concat('}', 'a')}", ["concat('}', 'a')"]),
    ("plain text", []),
])
def test_expressions_in_a_string(value: str, expressions: list[str]) -> None:
    assert expressions_in(value) == expressions


def test_uses_of_an_expression() -> None:
    tree = parse("concat(pipeline().parameters['a b'], variables('v'), activity('x')?.output.rows[0], "
                 "item().name, dataset().folder, linkedService().account, string(trigger().outputs), "
                 "pipeline().RunId, 'it''s', -1.5, true)")
    assert list(uses(tree)) == [
        Use("pipeline-parameter", "a b"), Use("variable", "v"), Use("activity", "x"), Use("item"),
        Use("dataset-parameter", "folder"), Use("linkedService-parameter", "account"), Use("trigger"),
        Use("pipeline")]


@pytest.mark.parametrize("text", ["concat('a'", "pipeline().", "x", "a(1 2)", "'open", "f(#)"])
def test_malformed_expressions(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


@pytest.mark.real_workspace
def test_the_committed_workspace_validates_clean() -> None:
    findings = validate(WORKSPACE, POOLS)
    assert findings == [], "\n" + format_findings(findings)


def test_activities_nested_in_until_if_and_switch(workspace: Path, scripts: list[Script]) -> None:
    def wait(name: str, seconds: str) -> dict[str, Any]:
        return {"name": name, "type": "Wait", "dependsOn": [], "userProperties": [],
                "typeProperties": {"waitTimeInSeconds": {"value": seconds, "type": "Expression"}}}

    def after(name: str) -> list[dict[str, Any]]:
        return [{"activity": name, "dependencyConditions": ["Succeeded"]}]

    pipeline = {"name": "pl_control", "properties": {"parameters": {"env": {"type": "string", "defaultValue": "dev"}},
                                                     "activities": [
        wait("start", "@int('1')"),
        {"name": "until_done", "type": "Until", "dependsOn": after("start"), "userProperties": [],
         "typeProperties": {"expression": {"value": "@equals(activity('poll').output.status, 'done')",
                                           "type": "Expression"},
                            "activities": [wait("poll", "@activity('start').output.seconds")]}},
        {"name": "branch", "type": "IfCondition", "dependsOn": after("until_done"), "userProperties": [],
         "typeProperties": {"expression": {"value": "@equals(pipeline().parameters.env, 'dev')", "type": "Expression"},
                            "ifTrueActivities": [wait("w_yes", "@activity('until_done').output.seconds")]}},
        {"name": "switch_env", "type": "Switch", "dependsOn": after("branch"), "userProperties": [],
         "typeProperties": {"on": {"value": "@pipeline().parameters.env", "type": "Expression"},
                            "cases": [{"value": "dev", "activities": [wait("w_dev", "@activity('start').output.s")]}],
                            "defaultActivities": [wait("w_other", "@activity('poll').output.seconds")]}},
    ]}}
    (workspace / "pipeline" / "pl_control.json").write_text(json.dumps(pipeline, indent=4), encoding="utf-8")
    findings = validate(workspace, FIXTURE_POOLS, scripts)
    assert [(f.rule, f.file, f.path) for f in findings] == [
        ("EXP003", "pipeline/pl_control.json",
         "$.properties.activities[3].typeProperties.defaultActivities[0].typeProperties.waitTimeInSeconds.value")]
    assert "is not upstream of 'w_other'" in findings[0].message
