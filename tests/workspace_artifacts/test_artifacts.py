"""Artifact-level sanity checks of the Synapse Studio Git folder (`workspace/`) and the Spark pool definition.

Each artifact file parses, is named after its file, deserializes into its `azure-synapse-artifacts` model (by
folder) and serializes back without losing anything it says: the SDK silently drops properties it does not
model, so a property that does not survive the round trip would never reach the service through the SDK. The
full workspace validation (`retail workspace validate`) lives in deploy/validate; this is the quick check.
No Spark, no network.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from azure.synapse.artifacts import models

from pipelines.catalog import SOURCES
from pipelines.catalog_export import (
    CATALOG_FILE,
    WATERMARK_FOLDER,
    catalog_records,
    write_catalog,
    write_watermark_seeds,
)

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = ROOT / "workspace"
POOLS = ROOT / "spark_pools" / "pools"
SKIPPED = {"sqlscript"}  # owned and checked elsewhere
MODELS: dict[str, type] = {
    "linkedService": models.LinkedServiceResource,
    "dataset": models.DatasetResource,
    "pipeline": models.PipelineResource,
    "trigger": models.TriggerResource,
    "notebook": models.NotebookResource,
    "sparkJobDefinition": models.SparkJobDefinitionResource,
    "integrationRuntime": models.IntegrationRuntimeResource,
    "dataflow": models.DataFlowResource,
}
# The base classes a polymorphic `type` falls back to when the SDK does not know the discriminator value.
BASES = (models.LinkedService, models.Dataset, models.Trigger, models.IntegrationRuntime, models.Activity,
         models.CopySource, models.CopySink, models.StoreReadSettings, models.StoreWriteSettings)
# Credentials have no model in the SDK (no operation either): the spec's shape (entityTypes/Credential.json).
CREDENTIAL_TYPES = {"ManagedIdentity": {"resourceId"}, "ServicePrincipal": {"servicePrincipalId",
                                                                            "servicePrincipalKey", "tenant"}}
REFERENCE_KINDS = {
    "LinkedServiceReference": "linkedService",
    "DatasetReference": "dataset",
    "PipelineReference": "pipeline",
    "NotebookReference": "notebook",
    "IntegrationRuntimeReference": "integrationRuntime",
    "CredentialReference": "credential",
    "SparkJobDefinitionReference": "sparkJobDefinition",
}
SQL_POOL = "sqlpool_retail"
# The ARM contract of a Spark pool (resource-manager/Microsoft.Synapse/stable/2021-06-01/bigDataPool.json): the
# writable properties of BigDataPoolResourceProperties and of its nested objects.
POOL_PROPERTIES = {
    "autoScale": {"enabled", "minNodeCount", "maxNodeCount"},
    "autoPause": {"enabled", "delayInMinutes"},
    "dynamicExecutorAllocation": {"enabled", "minExecutors", "maxExecutors"},
    "libraryRequirements": {"content", "filename"},
    "customLibraries": {"name", "path", "containerName", "type"},
    "sparkConfigProperties": {"content", "filename", "configurationType"},
    "isComputeIsolationEnabled": None, "sessionLevelPackagesEnabled": None, "cacheSize": None,
    "sparkEventsFolder": None, "nodeCount": None, "sparkVersion": None, "defaultSparkLogFolder": None,
    "nodeSize": None, "nodeSizeFamily": None,
}


def artifact_files() -> list[Path]:
    return sorted(p for p in WORKSPACE.glob("*/*.json") if p.parent.name not in SKIPPED)


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _same_instant(a: str, b: str) -> bool:
    """The SDK re-writes date-times (`2026-01-01T05:00:00Z` comes back as `...05:00:00.000Z`)."""
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return False


def lost(written: Any, returned: Any, path: str = "$") -> list[str]:
    """Every place where `written` says something `returned` does not (key order ignored; `returned` may add)."""
    if isinstance(written, dict):
        if not isinstance(returned, dict):
            return [f"{path}: came back as {type(returned).__name__}"]
        problems = []
        for key, value in written.items():
            if key not in returned:
                problems.append(f"{path}.{key}: dropped")
            else:
                problems += lost(value, returned[key], f"{path}.{key}")
        return problems
    if isinstance(written, list):
        if not isinstance(returned, list) or len(returned) != len(written):
            return [f"{path}: list came back as {returned!r}"]
        return [p for i, (w, r) in enumerate(zip(written, returned, strict=True)) for p in lost(w, r, f"{path}[{i}]")]
    if written == returned and type(written) is type(returned):
        return []
    if isinstance(written, str) and isinstance(returned, str) and _same_instant(written, returned):
        return []
    return [f"{path}: {written!r} came back as {returned!r}"]


def unmodelled(model: Any, path: str = "$") -> list[str]:
    """Polymorphic parts that fell back to their base class (an unknown `type`)."""
    found = []
    if type(model) in BASES:
        found.append(f"{path}: fell back to {type(model).__name__} (its type is unknown to the SDK)")
    if hasattr(model, "_attribute_map"):
        for attribute in model._attribute_map:
            found += unmodelled(getattr(model, attribute, None), f"{path}.{attribute}")
    elif isinstance(model, list):
        for i, item in enumerate(model):
            found += unmodelled(item, f"{path}[{i}]")
    return found


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def references(value: Any) -> list[tuple[str, str]]:
    """(type, referenceName) of every `{"referenceName", "type"}` object."""
    found = []
    if isinstance(value, dict):
        if isinstance(value.get("referenceName"), str) and isinstance(value.get("type"), str):
            found.append((value["type"], value["referenceName"]))
        for inner in value.values():
            found += references(inner)
    elif isinstance(value, list):
        for inner in value:
            found += references(inner)
    return found


FILES = artifact_files()


def test_the_workspace_holds_the_artifacts() -> None:
    kinds = {p.parent.name for p in FILES}
    assert {"linkedService", "dataset", "pipeline", "trigger", "notebook", "sparkJobDefinition",
            "integrationRuntime", "credential"} <= kinds


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_artifact_round_trips_through_the_sdk(path: Path) -> None:
    data = load(path)
    assert set(data) == {"name", "properties"}, "Studio writes {name, properties} and nothing else"
    assert data["name"] == path.stem
    kind = path.parent.name
    if kind == "credential":
        properties = data["properties"]
        assert not hasattr(models, "CredentialResource"), "the SDK models credentials now: check it instead"
        assert properties["type"] in CREDENTIAL_TYPES
        assert set(properties.get("typeProperties", {})) <= CREDENTIAL_TYPES[properties["type"]]
        assert set(properties) <= {"type", "description", "annotations", "typeProperties"}
        return
    model = MODELS[kind].deserialize(data)
    assert unmodelled(model) == []
    assert lost(data, model.serialize(keep_readonly=True)) == []


def test_references_resolve() -> None:
    names = {(p.parent.name, p.stem) for p in WORKSPACE.glob("*/*.json")}
    pools = {p.stem for p in POOLS.glob("*.json")}
    for path in FILES:
        for kind, name in references(load(path)):
            if kind == "BigDataPoolReference":
                assert name in pools, f"{path.name}: no Spark pool {name} in spark_pools/pools/"
            elif kind == "SqlPoolReference":
                assert name == SQL_POOL, f"{path.name}: unknown SQL pool {name}"
            elif kind in REFERENCE_KINDS:
                assert (REFERENCE_KINDS[kind], name) in names, f"{path.name}: {kind} {name} does not exist"


def test_triggers_are_stopped_in_git() -> None:
    for path in WORKSPACE.glob("trigger/*.json"):
        assert load(path)["properties"]["runtimeState"] == "Stopped", path.name


def test_no_secret_literals() -> None:
    secret = re.compile(r"(AccountKey=|SharedAccessKey=|SharedAccessSignature|[?&]sig=|Password=|password\"|"
                        r"-----BEGIN)", re.IGNORECASE)
    for path in FILES:
        assert not secret.search(path.read_text(encoding="utf-8")), path.name


def _declared(kind: str, name: str) -> dict[str, Any]:
    return load(WORKSPACE / kind / f"{name}.json")["properties"].get("parameters", {})


def _used(pattern: str, value: Any) -> set[str]:
    return {name for s in strings(value) for name in re.findall(pattern, s)}


def test_expressions_use_only_declared_parameters_and_variables() -> None:
    for path in WORKSPACE.glob("pipeline/*.json"):
        properties = load(path)["properties"]
        assert _used(r"pipeline\(\)\.parameters\.(\w+)", properties) <= set(properties.get("parameters", {})), path.name
        assert _used(r"variables\('(\w+)'\)", properties) <= set(properties.get("variables", {})), path.name
    for kind, pattern in (("dataset", r"dataset\(\)\.(\w+)"), ("linkedService", r"linkedService\(\)\.(\w+)")):
        for path in WORKSPACE.glob(f"{kind}/*.json"):
            properties = load(path)["properties"]
            assert _used(pattern, properties) <= set(properties.get("parameters", {})), path.name


def _activity_lists(activities: list[dict[str, Any]], outer: set[str]) -> list[tuple[dict[str, Any], set[str]]]:
    """(activity, the activities whose output it may read): its transitive dependsOn siblings plus what its
    enclosing container may read."""
    by_name = {a["name"]: a for a in activities}

    def upstream(name: str) -> set[str]:
        seen: set[str] = set()
        pending = [d["activity"] for d in by_name[name].get("dependsOn", [])]
        while pending:
            current = pending.pop()
            if current not in seen:
                seen.add(current)
                pending += [d["activity"] for d in by_name[current].get("dependsOn", [])]
        return seen

    found = []
    for activity in activities:
        readable = outer | upstream(activity["name"])
        found.append((activity, readable))
        properties = activity.get("typeProperties", {})
        inner = [properties.get(k, []) for k in ("activities", "ifTrueActivities", "ifFalseActivities",
                                                 "defaultActivities")]
        inner += [case["activities"] for case in properties.get("cases", [])]
        for activities_inside in inner:
            found += _activity_lists(activities_inside, readable)
    return found


def test_activities_read_only_what_ran_before_them() -> None:
    for path in WORKSPACE.glob("pipeline/*.json"):
        for activity, readable in _activity_lists(load(path)["properties"]["activities"], set()):
            for dependency in activity.get("dependsOn", []):
                assert dependency["dependencyConditions"], f"{path.name}: {activity['name']}"
            own = {k: v for k, v in activity.items() if k not in {"typeProperties"}}
            properties = activity.get("typeProperties", {})
            own_properties = {k: v for k, v in properties.items()
                              if k not in {"activities", "ifTrueActivities", "ifFalseActivities",
                                           "defaultActivities", "cases"}}
            read = _used(r"activity\('(\w+)'\)", [own, own_properties])
            assert read <= readable, f"{path.name}: {activity['name']} reads {sorted(read - readable)}"


def test_references_pass_the_parameters_their_targets_declare() -> None:
    def check(where: str, passed: dict[str, Any], declared: dict[str, Any]) -> None:
        assert set(passed) <= set(declared), f"{where}: passes undeclared {sorted(set(passed) - set(declared))}"
        required = {name for name, spec in declared.items() if "defaultValue" not in spec}
        assert required <= set(passed), f"{where}: misses {sorted(required - set(passed))}"

    for path in FILES:
        data = load(path)
        stack: list[Any] = [data]
        while stack:
            value = stack.pop()
            if isinstance(value, list):
                stack += value
            elif isinstance(value, dict):
                stack += list(value.values())
                kind = REFERENCE_KINDS.get(value.get("type")) if isinstance(value.get("type"), str) else None
                if kind in {"dataset", "linkedService"} and isinstance(value.get("referenceName"), str):
                    check(f"{path.name} -> {value['referenceName']}", value.get("parameters", {}),
                          _declared(kind, value["referenceName"]))
                if value.get("type") == "ExecutePipeline":
                    child = value["typeProperties"]["pipeline"]["referenceName"]
                    check(f"{path.name} -> {child}", value["typeProperties"].get("parameters", {}),
                          _declared("pipeline", child))
        if path.parent.name == "trigger":
            for reference in data["properties"]["pipelines"]:
                name = reference["pipelineReference"]["referenceName"]
                check(f"{path.name} -> {name}", reference.get("parameters", {}), _declared("pipeline", name))


def test_notebook_activities_set_the_notebooks_parameters() -> None:
    for path in WORKSPACE.glob("pipeline/*.json"):
        for activity, _ in _activity_lists(load(path)["properties"]["activities"], set()):
            if activity["type"] != "SynapseNotebook":
                continue
            notebook = load(WORKSPACE / "notebook" / f"{activity['typeProperties']['notebook']['referenceName']}.json")
            cell = next(c for c in notebook["properties"]["cells"] if "parameters" in c["metadata"].get("tags", []))
            names = {line.split("=")[0].strip() for line in cell["source"] if "=" in line and not line.startswith("#")}
            assert set(activity["typeProperties"]["parameters"]) == names, activity["name"]


# ---------------------------------------------------------------------------------------------- the catalog


def test_catalog_records_cover_every_source() -> None:
    records = catalog_records()
    assert [r["name"] for r in records] == list(SOURCES)
    for record in records:
        source = SOURCES[record["name"]]
        assert record["columns"] == list(source.column_names)
        assert f"{record['folder']}/{record['file']}".lstrip("/") == source.path
        assert f"{record['landed_folder']}/{record['landed_file']}".lstrip("/") == source.landed_path
        if record["ingest"] == "database":
            assert record["table"] and record["schema"] and record["watermark"] in record["columns"]
        if record["ingest"] == "api":
            assert "{date}" in record["api_path"]
    assert {r["ingest"] for r in records} == {"files", "database", "api"}
    json.dumps(records)  # plain JSON values only


def _item_fields(pipeline: dict[str, Any]) -> set[str]:
    return {field for s in strings(pipeline) for field in re.findall(r"item\(\)\.(\w+)", s)}


def test_ingest_pipeline_reads_only_catalog_fields() -> None:
    used = _item_fields(load(WORKSPACE / "pipeline" / "pl_ingest_sources.json"))
    assert used, "the pipeline reads its sources from the catalog"
    for record in catalog_records():
        assert used <= set(record), f"{record['name']}: the pipeline reads {sorted(used - set(record))}"


def test_ingest_pipeline_switch_covers_every_ingest_kind() -> None:
    pipeline = load(WORKSPACE / "pipeline" / "pl_ingest_sources.json")
    loop = next(a for a in pipeline["properties"]["activities"] if a["type"] == "ForEach")
    switch = next(a for a in loop["typeProperties"]["activities"] if a["type"] == "Switch")
    cases = {case["value"] for case in switch["typeProperties"]["cases"]}
    assert {r["ingest"] for r in catalog_records()} | {"skip"} == cases


def test_write_catalog_and_seeds(tmp_path: Path) -> None:
    written = write_catalog(tmp_path / CATALOG_FILE)
    assert json.loads(written.read_text(encoding="utf-8")) == catalog_records()
    seeds = write_watermark_seeds(tmp_path / WATERMARK_FOLDER)
    database = [r["name"] for r in catalog_records() if r["ingest"] == "database"]
    assert sorted(p.stem for p in seeds) == sorted(database)
    state = seeds[0]
    state.write_text('{"source": "x", "watermark": "2026-01-01T00:00:00"}\n', encoding="utf-8")
    assert write_watermark_seeds(tmp_path / WATERMARK_FOLDER) == []  # the pipeline's state is never overwritten
    assert "2026" in state.read_text(encoding="utf-8")


def test_daily_pipeline_expects_every_served_table() -> None:
    from sql_pools.gold import SERVED

    pipeline = load(WORKSPACE / "pipeline" / "pl_daily.json")
    assert pipeline["properties"]["parameters"]["expected_tables"]["defaultValue"] == len(SERVED)


# ---------------------------------------------------------------------------------------------- the Spark pool


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_pool_definition_matches_the_project() -> None:
    pool = load(POOLS / "sparkretail.json")
    properties = pool["properties"]
    assert pool["name"] == "sparkretail"
    from retail.versions import SYNAPSE_RUNTIME

    assert properties["sparkVersion"] == SYNAPSE_RUNTIME
    project = _pyproject()["project"]
    wheel = f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"
    assert [library["name"] for library in properties["customLibraries"]] == [wheel]
    pinned = set(project["dependencies"])
    for line in properties["libraryRequirements"]["content"].splitlines():
        assert line in pinned, f"{line}: not the project's own requirement"
    assert properties["dynamicExecutorAllocation"]["maxExecutors"] < properties["autoScale"]["maxNodeCount"]


def test_pool_definition_follows_the_arm_contract() -> None:
    pool = load(POOLS / "sparkretail.json")
    assert set(pool) <= {"name", "type", "location", "tags", "properties"}
    for key, value in pool["properties"].items():
        assert key in POOL_PROPERTIES, f"{key}: not a property of a Spark pool"
        allowed = POOL_PROPERTIES[key]
        for item in value if isinstance(value, list) else [value] if isinstance(value, dict) else []:
            assert allowed is not None and set(item) <= allowed, f"{key}: {sorted(set(item) - (allowed or set()))}"
