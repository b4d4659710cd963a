"""The DBA scripts published as Synapse Studio SQL scripts (workspace/sqlscript/dba_*.json) are generated from the
.sql files and committed: they must match `render_all()`, exist for every script, and carry what the 2020-12-01
data-plane spec requires of a SqlScriptResource. Fast: no Spark, no pool."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from azure.synapse.artifacts.models import SqlScriptResource

from sql_pools import studio

REGENERATE = "retail sql publish-scripts"
SQLSCRIPT = studio.WORKSPACE / studio.SQLSCRIPT_DIR
SCRIPTS = studio.dba_scripts()


@pytest.fixture(scope="module")
def rendered() -> dict[str, str]:
    return studio.render_all()


def _committed() -> dict[str, str]:
    paths = sorted(SQLSCRIPT.glob(f"{studio.NAME_PREFIX}*.json"))
    return {path.name: path.read_text(encoding="utf-8") for path in paths}


def _spec_problems(body: dict[str, Any]) -> list[str]:
    """The required fields of the spec, azure-rest-api-specs specification/synapse/data-plane/Microsoft.Synapse/
    stable/2020-12-01: sqlScripts.json SqlScriptResource requires name and properties; entityTypes/SqlScript.json
    SqlScript requires content (type is the enum ["SqlQuery"]), SqlScriptContent requires query; metadata.language
    and currentConnection are optional there but needed for Studio to open the script as T-SQL on the pool."""
    problems = []
    if not isinstance(body.get("name"), str) or not body["name"]:
        problems.append("name: required, a non-empty string")
    properties = body.get("properties")
    if not isinstance(properties, dict):
        return [*problems, "properties: required, an object"]
    if properties.get("type") != "SqlQuery":
        problems.append("properties.type: must be SqlQuery")
    content = properties.get("content")
    if not isinstance(content, dict):
        return [*problems, "properties.content: required, an object"]
    if not isinstance(content.get("query"), str) or not content["query"].strip():
        problems.append("properties.content.query: required, a non-empty string")
    if (content.get("metadata") or {}).get("language") != "sql":
        problems.append("properties.content.metadata.language: must be sql")
    connection = content.get("currentConnection")
    if not isinstance(connection, dict) or not connection.get("poolName") or not connection.get("databaseName"):
        problems.append("properties.content.currentConnection: needs poolName and databaseName")
    if "resultLimit" in content and not isinstance(content["resultLimit"], int):
        problems.append("properties.content.resultLimit: an integer")
    return problems


def test_the_committed_scripts_match_the_sql_sources(rendered: dict[str, str]) -> None:
    committed = _committed()
    stale = sorted(set(committed) - set(rendered))
    missing = sorted(set(rendered) - set(committed))
    changed = sorted(name for name in set(rendered) & set(committed) if rendered[name] != committed[name])
    assert not (stale or missing or changed), (
        f"workspace/{studio.SQLSCRIPT_DIR} is out of date with sql_pools/database/dba (missing: {missing}, "
        f"changed: {changed}, stale: {stale}); run `{REGENERATE}` and commit the result"
    )


def test_every_dba_script_has_a_studio_script(rendered: dict[str, str]) -> None:
    assert SCRIPTS
    assert sorted(rendered) == sorted(f"{studio.NAME_PREFIX}{path.stem}.json" for path in SCRIPTS)
    assert {f"{studio.NAME_PREFIX}{path.stem}.json" for path in SCRIPTS} <= set(_committed())


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda path: path.name)
def test_each_script_is_a_valid_sql_script_resource(path: Path, rendered: dict[str, str]) -> None:
    name = f"{studio.NAME_PREFIX}{path.stem}"
    text = rendered[f"{name}.json"]
    assert text.endswith("}\n") and "\r" not in text
    body = json.loads(text)
    assert not _spec_problems(body), _spec_problems(body)
    assert body["name"] == name and studio.NAME_PATTERN.fullmatch(name)
    properties = body["properties"]
    assert properties["content"]["query"] == path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    assert properties["folder"] == {"name": studio.SCRIPT_FOLDER}
    assert properties["description"] and properties["description"] in " ".join(
        line.removeprefix("--").strip() for line in properties["content"]["query"].splitlines()
        if line.startswith("--")
    )
    # The SDK generated from the same spec reads it back with every field known: nothing is left over as an
    # additional property, and it writes back the same body.
    resource = SqlScriptResource.deserialize(body)
    assert not resource.properties.additional_properties
    assert not resource.properties.content.additional_properties
    assert not resource.properties.content.current_connection.additional_properties
    assert not resource.properties.content.metadata.additional_properties
    assert resource.serialize(keep_readonly=False) == body


def test_the_scripts_run_on_the_dev_dedicated_pool(rendered: dict[str, str]) -> None:
    from retail.settings import load_settings

    database = load_settings("dev").sql_pool.database
    for text in rendered.values():
        assert json.loads(text)["properties"]["content"]["currentConnection"] == {
            "databaseName": database, "poolName": database,
        }


def test_the_spec_check_catches_a_broken_body() -> None:
    assert _spec_problems({"name": "x", "properties": {"type": "SqlQuery", "content": {}}}) == [
        "properties.content.query: required, a non-empty string",
        "properties.content.metadata.language: must be sql",
        "properties.content.currentConnection: needs poolName and databaseName",
    ]


def test_the_description_is_the_first_sentence_of_the_header() -> None:
    header = studio.header_comment("-- Rows per table (e.g. the fact\n-- tables). More text.\n--\nSELECT 1;\n-- no\n")
    assert header == "Rows per table (e.g. the fact tables). More text."
    assert studio.first_sentence(header) == "Rows per table (e.g. the fact tables)."
    assert studio.first_sentence("Look at sys.tables, e.g. first. Then") == "Look at sys.tables, e.g. first."


def test_crlf_sources_are_normalised(tmp_path: Path) -> None:
    script = tmp_path / "crlf.sql"
    script.write_bytes(b"-- Shows one row.\r\nSELECT 1;\r\n")
    artifact = studio.sql_script_artifact(script, pool="pool1", database="pool1")
    assert artifact["properties"]["content"]["query"] == "-- Shows one row.\nSELECT 1;\n"
    assert artifact["properties"]["description"] == "Shows one row."


def test_a_script_without_a_header_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "bare.sql"
    script.write_text("SELECT 1;\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header comment"):
        studio.sql_script_artifact(script, pool="pool1", database="pool1")


def test_write_all_removes_stale_generated_files_only(tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    shutil.copytree(studio.WORKSPACE, workspace)
    target = workspace / studio.SQLSCRIPT_DIR
    stale = target / f"{studio.NAME_PREFIX}dropped_script.json"
    stale.write_text("{}\n", encoding="utf-8")
    hand_made = target / "ad hoc query.json"
    hand_made.write_text("{}\n", encoding="utf-8")

    written = studio.write_all(workspace)

    assert not stale.exists()
    assert hand_made.read_text(encoding="utf-8") == "{}\n"
    assert sorted(path.name for path in written) == sorted(studio.render_all())
    assert {path.name: path.read_text(encoding="utf-8") for path in written} == studio.render_all()


def test_write_all_follows_a_removed_source(tmp_path: Path) -> None:
    dba = tmp_path / "dba"
    shutil.copytree(studio.DBA, dba)
    workspace = tmp_path / "workspace"
    studio.write_all(workspace, root=dba)
    removed = SCRIPTS[0]
    (dba / removed.name).unlink()

    written = studio.write_all(workspace, root=dba)

    names = sorted(path.name for path in (workspace / studio.SQLSCRIPT_DIR).iterdir())
    assert f"{studio.NAME_PREFIX}{removed.stem}.json" not in names
    assert names == sorted(path.name for path in written) and len(names) == len(SCRIPTS) - 1
