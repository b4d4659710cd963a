"""Migrations on the local DuckDB target: applied once, re-runs change nothing, edits to applied versioned
scripts are refused, changed repeatable scripts re-apply, and a failing script leaves nothing behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from sql_pools.dialect import Synapse, pool_only
from sql_pools.migrations import HISTORY, DuckDBTarget, MigrationError, migrate
from sql_pools.project import DATABASE, ScriptKind, project_scripts

APPLIED = (ScriptKind.VERSIONED, ScriptKind.REPEATABLE)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "database"
    shutil.copytree(DATABASE, root)
    return root


def _catalog(connection: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Every object and column the database holds, with view definitions (what a re-run could change)."""
    columns = connection.execute("SELECT table_schema, table_name, column_name, data_type FROM "
                                 "information_schema.columns ORDER BY ALL").fetchall()
    views = connection.execute("SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal "
                               "ORDER BY ALL").fetchall()
    return columns + views


def _migrate(connection: duckdb.DuckDBPyConnection, root: Path):
    return migrate(DuckDBTarget(connection), project_scripts(root, APPLIED))


def test_a_second_run_applies_nothing_and_changes_nothing(project: Path) -> None:
    connection = duckdb.connect()
    first = _migrate(connection, project)
    scripts = project_scripts(project, APPLIED)
    assert first.applied == [s.path.name for s in scripts]
    assert first.skipped_pool_only == sum(pool_only(s) for script in scripts for s in script.statements)
    before = _catalog(connection)
    history = connection.execute(f"SELECT COUNT(*) FROM {HISTORY}").fetchone()[0]
    second = _migrate(connection, project)
    assert second.applied == [] and second.statements == 0
    assert len(second.unchanged) == len(scripts)
    assert _catalog(connection) == before
    assert connection.execute(f"SELECT COUNT(*) FROM {HISTORY}").fetchone()[0] == history


def test_an_edited_versioned_script_is_refused(project: Path) -> None:
    connection = duckdb.connect()
    _migrate(connection, project)
    facts = project / "migrations" / "V003__facts.sql"
    facts.write_text(facts.read_text().replace("promo_code NVARCHAR(32)", "promo_code NVARCHAR(64)"))
    with pytest.raises(MigrationError, match=r"V003__facts\.sql was edited after it was applied"):
        _migrate(connection, project)


def test_removed_or_out_of_order_versioned_scripts_are_refused(project: Path) -> None:
    connection = duckdb.connect()
    _migrate(connection, project)
    (project / "migrations" / "V000__late.sql").write_text("CREATE TABLE dbo.late (x INT);\n")
    with pytest.raises(MigrationError, match=r"V000__late\.sql sorts before V006"):
        _migrate(connection, project)
    (project / "migrations" / "V000__late.sql").unlink()
    (project / "migrations" / "V005__staging.sql").unlink()
    with pytest.raises(MigrationError, match=r"V005__staging\.sql was applied but is no longer in the project"):
        _migrate(connection, project)


def test_a_changed_repeatable_script_and_a_new_version_apply_alone(project: Path) -> None:
    connection = duckdb.connect()
    _migrate(connection, project)
    views = project / "repeatable" / "R__10_reporting_views.sql"
    views.write_text(views.read_text() + "\nGO\nCREATE VIEW rpt.channels AS SELECT channel FROM dbo.dim_channel;\n")
    (project / "migrations" / "V007__store_manager.sql").write_text(
        "ALTER TABLE dbo.dim_store ADD store_manager NVARCHAR(100);\n")
    report = _migrate(connection, project)
    assert report.applied == ["V007__store_manager.sql", "R__10_reporting_views.sql"]
    assert connection.execute("SELECT COUNT(*) FROM rpt.channels").fetchone()[0] == 0
    assert "store_manager" in [c[0] for c in connection.execute("DESCRIBE dbo.dim_store").fetchall()]
    assert _migrate(connection, project).applied == []


def test_a_failing_script_leaves_no_trace(project: Path) -> None:
    connection = duckdb.connect()
    _migrate(connection, project)
    (project / "migrations" / "V007__half.sql").write_text(
        "CREATE TABLE dbo.half_done (x INT);\nGO\nCREATE VIEW rpt.broken AS SELECT no_such_column FROM dbo.dim_date;\n")
    with pytest.raises(MigrationError, match=r"V007__half\.sql"):
        _migrate(connection, project)
    assert not connection.execute("SELECT * FROM information_schema.tables WHERE table_name = 'half_done'").fetchall()
    assert "half" not in {row[0] for row in connection.execute(f"SELECT script FROM {HISTORY}").fetchall()}


def test_the_local_target_runs_the_dialects_duckdb_sql_not_the_pools_text() -> None:
    """The physical options a pool needs are gone locally, on purpose: the columns are all there."""
    connection = duckdb.connect()
    _migrate(connection, DATABASE)
    facts = next(s for s in project_scripts(kinds=(ScriptKind.VERSIONED,)) if s.name == "facts")
    create = facts.statements[0]
    declared = [c.name for c in create.this.expressions]
    assert [r[0] for r in connection.execute("DESCRIBE dbo.fact_sales").fetchall()] == declared
    assert "DISTRIBUTION" in create.sql(Synapse)
