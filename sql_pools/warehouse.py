"""The local warehouse: an embedded DuckDB database built from the project's T-SQL and loaded from gold.

`build` applies the migrations (the same scripts a dedicated pool gets, through the Synapse dialect), then
replaces each served table with its gold table's current Delta version. A table whose gold version was already
loaded is left alone, so a re-run is fast and changes nothing. Every load checks that the rows read from gold
are the rows in the table, and records itself in `etl.load_log`, the table the pool's load procedures write.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from retail.settings import Settings
from sql_pools.dialect import to_duckdb
from sql_pools.gold import SERVED, gold_load_id, read_gold
from sql_pools.migrations import DuckDBTarget, MigrationReport, migrate
from sql_pools.project import ScriptKind, project_scripts


class WarehouseError(RuntimeError):
    """The warehouse cannot be built or queried: gold and the DDL disagree, rows went missing, or no database."""


@dataclass(frozen=True)
class TableLoad:
    table: str
    load_id: str
    rows: int
    loaded: bool  # False when this gold version was already in the warehouse
    lake_only: tuple[str, ...] = ()  # gold columns the warehouse does not serve (Delta partition helpers)


@dataclass
class BuildReport:
    path: Path
    migrations: MigrationReport
    tables: list[TableLoad] = field(default_factory=list)
    seconds: float = 0.0


def database_path(settings: Settings) -> Path:
    if settings.sql_pool.engine != "duckdb":
        raise WarehouseError(f"environment {settings.environment.name} serves from a dedicated SQL pool; "
                             "the local warehouse is the `local` environment's")
    return settings.local_path(settings.sql_pool.endpoint)


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(path), read_only=read_only)
    connection.execute("SET TimeZone = 'UTC'")  # gold timestamps are UTC; DATETIME2 columns hold them as such
    return connection


def build(settings: Settings, tables: tuple[str, ...] = SERVED) -> BuildReport:
    started = time.perf_counter()
    path = database_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with connect(path) as connection:
        migrations = migrate(DuckDBTarget(connection),
                             project_scripts(kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE)))
        report = BuildReport(path, migrations)
        for table in tables:
            report.tables.append(_load(connection, settings, table))
    report.seconds = time.perf_counter() - started
    return report


def _load(connection: duckdb.DuckDBPyConnection, settings: Settings, table: str) -> TableLoad:
    load_id = gold_load_id(settings, table)
    last = connection.execute("SELECT load_id, rows_loaded FROM etl.load_log WHERE table_name = ? "
                              "ORDER BY loaded_at DESC LIMIT 1", [table]).fetchone()
    if last and last[0] == load_id:
        return TableLoad(table, load_id, last[1], loaded=False)
    data = read_gold(settings, table)
    columns = [row[0] for row in connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'dbo' AND table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall()]
    if not columns:
        raise WarehouseError(f"dbo.{table} is not in the database project")
    missing = [c for c in columns if c not in data.column_names]
    if missing:
        raise WarehouseError(f"gold/{table} lacks {', '.join(missing)}, which dbo.{table} declares")
    lake_only = tuple(c for c in data.column_names if c not in columns)
    connection.register("gold_rows", data.select(columns))
    try:
        connection.execute("BEGIN TRANSACTION")
        connection.execute(f"DELETE FROM dbo.{table}")
        connection.execute(f"INSERT INTO dbo.{table} SELECT * FROM gold_rows")
        loaded = connection.execute(f"SELECT COUNT(*) FROM dbo.{table}").fetchone()[0]
        if loaded != data.num_rows:
            raise WarehouseError(f"dbo.{table}: read {data.num_rows} rows from gold, the table holds {loaded}")
        connection.execute("INSERT INTO etl.load_log VALUES (?, ?, 'replace', ?, ?)",
                           [table, load_id, loaded, datetime.now(UTC).replace(tzinfo=None)])
        connection.execute("COMMIT")
    except Exception:
        connection.execute("ROLLBACK")
        raise
    finally:
        connection.unregister("gold_rows")
    return TableLoad(table, load_id, data.num_rows, loaded=True, lake_only=lake_only)


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    sql: str  # the DuckDB SQL that ran


def query(settings: Settings, sql: str) -> QueryResult:
    """Run one T-SQL query (what the pool would be sent) on the local warehouse, read-only."""
    path = database_path(settings)
    if not path.exists():
        raise WarehouseError(f"no local warehouse at {path}: run `retail warehouse build` first")
    statements = to_duckdb(sql)
    if len(statements) != 1:
        raise WarehouseError(f"expected one statement, got {len(statements)}")
    with connect(path, read_only=True) as connection:
        try:
            cursor = connection.execute(statements[0])
        except duckdb.Error as error:
            raise WarehouseError(f"{error}\n(ran as DuckDB SQL: {statements[0]})") from error
        return QueryResult([d[0] for d in cursor.description or []], cursor.fetchall(), statements[0])
