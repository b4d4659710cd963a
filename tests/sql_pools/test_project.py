"""The database project itself: every script parses into real Synapse statements, generates back stably, and
keeps the physical design a DBA wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from sql_pools.dialect import Synapse, physical_options, pool_only, to_duckdb
from sql_pools.dialect import expressions as nodes
from sql_pools.gold import DIMENSIONS, FACTS, MARTS, SERVED
from sql_pools.project import ProjectError, ScriptKind, created_tables, load_script, project_scripts, split_batches

SCRIPTS = project_scripts()
BATCHES = [pytest.param(batch, id=f"{script.path.name}:{batch.line}") for script in SCRIPTS for batch in script.batches]
TABLES = created_tables(SCRIPTS)


def test_the_project_has_every_kind_of_script() -> None:
    kinds = {script.kind for script in SCRIPTS}
    assert kinds == set(ScriptKind)
    versions = [s.version for s in SCRIPTS if s.kind is ScriptKind.VERSIONED]
    assert versions == sorted(versions) == list(range(1, len(versions) + 1))


@pytest.mark.parametrize("batch", BATCHES)
def test_every_statement_is_a_real_ast_that_generates_back_stably(batch) -> None:
    for statement in batch.statements:
        opaque = [node.sql(Synapse)[:80] for node in statement.walk() if isinstance(node, exp.Command)]
        assert not opaque, f"{batch.script.name}:{batch.line} falls back to an opaque command: {opaque}"
        text = statement.sql(Synapse, unsupported_level=sqlglot.ErrorLevel.RAISE)
        assert sqlglot.parse_one(text, read=Synapse).sql(Synapse) == text


def test_every_served_table_is_declared_with_its_physical_design() -> None:
    assert {name.split(".")[1] for name in TABLES if name.startswith("dbo.")} == set(SERVED)
    for name in SERVED:
        options = {type(o) for o in physical_options(TABLES[f"dbo.{name}"])}
        assert nodes.DistributionProperty in options, name
        distribution = next(o for o in physical_options(TABLES[f"dbo.{name}"])
                            if isinstance(o, nodes.DistributionProperty))
        if name in FACTS:
            assert distribution.args["kind"] == "HASH" and nodes.ColumnstoreIndexProperty in options, name
        if name in DIMENSIONS:
            assert distribution.args["kind"] == "REPLICATE", name
    partitioned = {n for n in FACTS if any(isinstance(o, nodes.PartitionRangeProperty)
                                           for o in physical_options(TABLES[f"dbo.{n}"]))}
    assert partitioned == {"fact_sales", "fact_inventory_snapshot", "fact_inventory_movement"}
    assert set(MARTS) <= {n.split(".")[1] for n in TABLES}


def test_staging_tables_take_their_shape_from_their_targets() -> None:
    staged = {name.split(".")[1]: create for name, create in TABLES.items() if name.startswith("stg.")}
    assert set(staged) == set(SERVED)
    for name, create in staged.items():
        source = create.expression.find(exp.Table)
        assert f"{source.db}.{source.name}" == f"dbo.{name}"
        kinds = {type(o) for o in physical_options(create)}
        assert kinds == {nodes.DistributionProperty, exp.HeapProperty}


def test_pool_only_statements_are_exactly_security_workload_statistics_and_procedures() -> None:
    skipped = [s for script in SCRIPTS if script.kind is not ScriptKind.DBA for s in script.statements if pool_only(s)]
    kinds = {type(s).__name__ if not isinstance(s, exp.Create | exp.Drop) else f"{type(s).__name__} {s.kind}"
             for s in skipped}
    assert kinds == {"Create PROCEDURE", "Drop PROCEDURE", "Create FUNCTION", "Drop FUNCTION", "CreateRole",
                     "SecurityPolicy", "DropPoolObject", "Alter", "Permission", "Workload", "IfBlock"}
    kept = [s for script in SCRIPTS if script.kind is not ScriptKind.DBA for s in script.statements
            if not pool_only(s)]
    assert all(to_duckdb(s.sql(Synapse)) for s in kept)  # everything else transpiles (RAISE on anything lost)


def test_batches_split_on_go_lines_and_know_where_they_start(tmp_path: Path) -> None:
    text = "-- header\nCREATE SCHEMA a;\nGO\n\n  go  \nCREATE VIEW a.v AS SELECT 1 AS x;\nGO\n-- only a comment\n"
    batches = split_batches(tmp_path / "x.sql", text)
    assert [(b.line, b.text.splitlines()[-1]) for b in batches] == [(1, "CREATE SCHEMA a;"),
                                                                    (6, "CREATE VIEW a.v AS SELECT 1 AS x;")]


def test_misnamed_or_broken_scripts_are_refused_with_their_location(tmp_path: Path) -> None:
    bad_name = tmp_path / "v1_tables.sql"
    bad_name.write_text("SELECT 1;")
    with pytest.raises(ProjectError, match=r"V<nnn>__<what>\.sql"):
        load_script(bad_name, ScriptKind.VERSIONED)
    broken = tmp_path / "V001__broken.sql"
    broken.write_text("CREATE SCHEMA a;\nGO\nCREATE TABLE a.t (x INT) WITH (DISTRIBUTION = SIDEWAYS);\n")
    script = load_script(broken, ScriptKind.VERSIONED)
    with pytest.raises(ProjectError, match=r"V001__broken.sql \(batch at line 3\)"):
        _ = script.statements
