"""A small synthetic Synapse workspace the deployer tests publish (written per test, so other work on workspace/
cannot change what these tests see), the settings that release it to `test`, and a Deployer on the fake.

The workspace has every dependency shape the release order cares about, with dev values where Git has them:

    ls_kv ─┬─> ls_sql ──> ds_table ──> pl_child <── pl_parent (ExecutePipeline) <── tr_parent
           │   ls_lake ─> ds_files ──> pl_other <── tr_other
    nb_job (pl_child runs it)   sjd_stream (no references)

The tests here check the fixture itself: the workspace validator accepts it, and the test environment's
overrides leave no dev value in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deploy.deployer import Deployer
from deploy.validate import has_errors, validate
from retail.settings import DeploySettings, OverrideSettings, Settings, load_settings
from tests.fakes.synapse import FakeSynapse

POOLS = Path(__file__).resolve().parent / "fixtures" / "pools"
FAST = {"poll_interval": 0.02, "backoff": 0.02, "retry_backoff_factor": 0.02, "retry_backoff_max": 0.2}


def _ref(name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"referenceName": name, "type": kind, **extra}


def _lookup(name: str, dataset: str, source: str, depends: list[str] | None = None) -> dict[str, Any]:
    return {"name": name, "type": "Lookup",
            "dependsOn": [{"activity": d, "dependencyConditions": ["Succeeded"]} for d in depends or []],
            "policy": {"timeout": "0.00:10:00", "retry": 1, "retryIntervalInSeconds": 30},
            "userProperties": [],
            "typeProperties": {"source": {"type": source}, "dataset": _ref(dataset, "DatasetReference"),
                               "firstRowOnly": True}}


def artifacts() -> dict[str, dict[str, Any]]:
    """`<folder>/<name>.json` -> document, as Synapse Studio writes them (dev values)."""
    docs: dict[str, dict[str, Any]] = {
        "linkedService/ls_kv.json": {"name": "ls_kv", "properties": {
            "type": "AzureKeyVault", "annotations": [],
            "parameters": {"keyVaultName": {"type": "String", "defaultValue": "kv-retail-dev"}},
            "typeProperties": {"baseUrl": "https://@{linkedService().keyVaultName}.vault.azure.net/"}}},
        "linkedService/ls_lake.json": {"name": "ls_lake", "properties": {
            "type": "AzureBlobFS", "annotations": [],
            "parameters": {"storageAccountName": {"type": "String", "defaultValue": "stretaildev"}},
            "typeProperties": {"url": "https://@{linkedService().storageAccountName}.dfs.core.windows.net"}}},
        "linkedService/ls_sql.json": {"name": "ls_sql", "properties": {
            "type": "AzureSqlDW", "annotations": [],
            "typeProperties": {"connectionString": {"type": "AzureKeyVaultSecret",
                                                    "store": _ref("ls_kv", "LinkedServiceReference"),
                                                    "secretName": "sql-connection-string"}}}},
        "dataset/ds_files.json": {"name": "ds_files", "properties": {
            "type": "DelimitedText", "linkedServiceName": _ref("ls_lake", "LinkedServiceReference"),
            "annotations": [],
            "typeProperties": {"location": {"type": "AzureBlobFSLocation", "fileSystem": "landing",
                                            "folderPath": "_control"},
                               "columnDelimiter": ",", "firstRowAsHeader": True},
            "schema": []}},
        "dataset/ds_table.json": {"name": "ds_table", "properties": {
            "type": "AzureSqlDWTable", "linkedServiceName": _ref("ls_sql", "LinkedServiceReference"),
            "annotations": [], "typeProperties": {"schema": "etl", "table": "load_log"}, "schema": []}},
        "notebook/nb_job.json": {"name": "nb_job", "properties": {
            "nbformat": 4, "nbformat_minor": 2, "bigDataPool": _ref("sparkretail", "BigDataPoolReference"),
            "sessionProperties": {"driverMemory": "28g", "driverCores": 4, "executorMemory": "28g",
                                  "executorCores": 4, "numExecutors": 2},
            "metadata": {"kernelspec": {"name": "synapse_pyspark", "display_name": "Synapse PySpark"},
                         "language_info": {"name": "python"}},
            "cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]},
                       "source": ["env = \"dev\"\n"], "execution_count": None, "outputs": []},
                      {"cell_type": "code", "metadata": {}, "source": ["print(env)\n"],
                       "execution_count": None, "outputs": []}]}},
        "sparkJobDefinition/sjd_stream.json": {"name": "sjd_stream", "properties": {
            "targetBigDataPool": _ref("sparkretail", "BigDataPoolReference"), "requiredSparkVersion": "3.5",
            "language": "python",
            "jobProperties": {"name": "sjd_stream",
                              "file": "abfss://lake@stretaildev.dfs.core.windows.net/_jobs/stream.py",
                              "conf": {}, "args": ["--env", "dev"], "jars": [], "files": [],
                              "driverMemory": "28g", "driverCores": 4, "executorMemory": "28g",
                              "executorCores": 4, "numExecutors": 1}}},
        "pipeline/pl_child.json": {"name": "pl_child", "properties": {
            "activities": [
                _lookup("lookup_log", "ds_table", "SqlDWSource"),
                {"name": "run_notebook", "type": "SynapseNotebook",
                 "dependsOn": [{"activity": "lookup_log", "dependencyConditions": ["Succeeded"]}],
                 "policy": {"timeout": "0.01:00:00", "retry": 0}, "userProperties": [],
                 "typeProperties": {"notebook": _ref("nb_job", "NotebookReference"),
                                    "parameters": {"env": {"value": {"value": "@pipeline().parameters.env",
                                                                     "type": "Expression"}, "type": "string"}},
                                    "sparkPool": _ref("sparkretail", "BigDataPoolReference")}}],
            "parameters": {"env": {"type": "string", "defaultValue": "dev"}},
            "annotations": []}},
        "pipeline/pl_parent.json": {"name": "pl_parent", "properties": {
            "activities": [{"name": "run_child", "type": "ExecutePipeline", "dependsOn": [], "userProperties": [],
                            "typeProperties": {"pipeline": _ref("pl_child", "PipelineReference"),
                                               "waitOnCompletion": True, "parameters": {}}}],
            "annotations": []}},
        "pipeline/pl_other.json": {"name": "pl_other", "properties": {
            "activities": [_lookup("lookup_files", "ds_files", "DelimitedTextSource")], "annotations": []}},
    }
    for trigger, pipeline, hour in (("tr_parent", "pl_parent", 5), ("tr_other", "pl_other", 6)):
        docs[f"trigger/{trigger}.json"] = {"name": trigger, "properties": {
            "annotations": [], "runtimeState": "Stopped",
            "pipelines": [{"pipelineReference": _ref(pipeline, "PipelineReference"), "parameters": {}}],
            "type": "ScheduleTrigger",
            "typeProperties": {"recurrence": {"frequency": "Day", "interval": 1,
                                              "startTime": "2026-01-01T05:00:00Z", "timeZone": "UTC",
                                              "schedule": {"minutes": [0], "hours": [hour]}}}}}
    return docs


def write_workspace(root: Path, docs: dict[str, dict[str, Any]] | None = None) -> Path:
    """Write the synthetic workspace (or `docs`) under `root` as a Synapse Git folder."""
    for file, document in (artifacts() if docs is None else docs).items():
        path = root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")
    return root


def edit(root: Path, file: str, change: Any) -> None:
    """Load `file` of the workspace, let `change(document)` modify it, write it back."""
    path = root / file
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document, indent=4) + "\n", encoding="utf-8")


def override(kind: str, name: str, path: str, value: Any, find: str | None = None) -> OverrideSettings:
    return OverrideSettings(type=kind, name=name, path=path, value=value, find=find)


OVERRIDES = [
    override("linkedService", "ls_kv", "$.properties.parameters.keyVaultName.defaultValue", "{key_vault}"),
    override("linkedService", "ls_lake", "$.properties.parameters.storageAccountName.defaultValue",
             "{synapse.storage_account}"),
    override("pipeline", "pl_child", "$.properties.parameters.env.defaultValue", "{environment.name}"),
    override("notebook", "nb_*", "$.properties.cells[*].source[*]", 'env = "{environment.name}"',
             find='env = "dev"'),
    override("sparkJobDefinition", "sjd_*", "$.properties.jobProperties.file", "{lake.root}/_jobs/stream.py"),
    override("sparkJobDefinition", "sjd_*", "$.properties.jobProperties.args[1]", "{environment.name}"),
]


def settings_for(env: str = "test", overrides: list[OverrideSettings] | None = None, **deploy: Any) -> Settings:
    """The environment's real settings with a [deploy] section for the synthetic workspace."""
    base = load_settings(env)
    section = DeploySettings(overrides=OVERRIDES if overrides is None else overrides, **deploy)
    return base.model_copy(update={"deploy": section})


def deployer(root: Path, fake: Any, settings: Settings | None = None, **options: Any) -> Deployer:
    """A Deployer of the synthetic workspace `root` to the fake, with short polling and backoff."""
    return Deployer(settings or settings_for(), root=root, pools=POOLS, endpoint=fake.endpoint,
                    credential=fake.credential, source_settings=load_settings("dev"), **{**FAST, **options})


@contextmanager
def fake_synapse(folder: Path, **options: Any) -> Iterator[FakeSynapse]:
    """The fake Synapse for a deployer test."""
    with FakeSynapse(folder, **options) as fake:
        yield fake


def test_the_synthetic_workspace_passes_the_workspace_validator(tmp_path: Path) -> None:
    findings = validate(write_workspace(tmp_path), POOLS)
    assert not has_errors(findings), "\n".join(map(str, findings))


def test_the_test_environment_overrides_leave_no_dev_value(tmp_path: Path) -> None:
    release = Deployer(settings_for(), root=write_workspace(tmp_path), pools=POOLS,
                       source_settings=load_settings("dev")).validate()
    assert release.problems == []
    assert len(release.release.applied) == 6
