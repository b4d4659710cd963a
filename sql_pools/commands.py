"""`retail sql ...` (the database project) and `retail warehouse ...` (the local DuckDB warehouse)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from sql_pools.project import DATABASE, ProjectError, ScriptKind, project_scripts

console = Console()


@click.group()
def sql() -> None:
    """The dedicated SQL pool's database project: lint, advise, migrate."""


@sql.command("lint")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=DATABASE,
              show_default="sql_pools/database", help="A database project folder (migrations/, repeatable/, dba/).")
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@click.pass_obj
def sql_lint(obj: object, root: Path, strict: bool) -> None:
    """Check the T-SQL against the pool's rules; exit 1 on an error (or any finding with --strict)."""
    from sql_pools.lint import format_findings, lint

    try:
        findings = lint(project_scripts(root), obj.settings.sql_pool.projected_rows)
    except ProjectError as error:
        raise click.ClickException(str(error)) from error
    if findings:
        click.echo(format_findings(findings))
    errors = sum(f.severity == "error" for f in findings)
    console.print(f"{len(findings)} finding(s), {errors} error(s) in {root}")
    sys.exit(1 if errors or (strict and findings) else 0)


@sql.command("advise")
@click.pass_obj
def sql_advise(obj: object) -> None:
    """Distribution skew, partition sizing and replication advice from the local gold data."""
    from sql_pools.advise import advise, format_advice

    click.echo(format_advice(advise(obj.settings)))


@sql.command("migrate")
@click.pass_obj
def sql_migrate(obj: object) -> None:
    """Apply new versioned and changed repeatable scripts to the environment's warehouse (DuckDB locally, the
    dedicated pool in Azure as your Entra identity)."""
    from sql_pools.migrations import SynapseTarget, migrate, synapse_connection
    from sql_pools.warehouse import connect, database_path

    scripts = project_scripts(kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE))
    pool = obj.settings.sql_pool
    if pool.engine == "duckdb":
        from sql_pools.migrations import DuckDBTarget

        path = database_path(obj.settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        with connect(path) as connection:
            report = migrate(DuckDBTarget(connection), scripts)
    else:
        from azure.identity import DefaultAzureCredential

        connection = synapse_connection(pool.endpoint, pool.database, DefaultAzureCredential())
        report = migrate(SynapseTarget(connection), scripts)
    for name in report.applied:
        console.print(f"[green]applied[/] {name}")
    console.print(f"{len(report.applied)} applied, {len(report.unchanged)} unchanged, {report.statements} "
                  f"statements, {report.skipped_pool_only} pool-only skipped, {report.seconds:.1f} s")


@sql.command("publish-scripts")
@click.option("--workspace", "workspace_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              show_default="workspace", help="The Synapse Git root folder; the scripts go to its sqlscript/.")
def sql_publish_scripts(workspace_dir: Path | None) -> None:
    """Regenerate workspace/sqlscript/dba_*.json (Synapse Studio SQL scripts on the dev pool) from database/dba/."""
    from sql_pools.studio import WORKSPACE, write_all

    for path in write_all(workspace_dir or WORKSPACE):
        console.print(f"[green]wrote[/] {path}")


@click.group()
def warehouse() -> None:
    """The local warehouse: an embedded DuckDB database built from the project's T-SQL and loaded from gold."""


@warehouse.command("build")
@click.pass_obj
def warehouse_build(obj: object) -> None:
    """Apply the migrations, load every served gold table, and reconcile the KPI views with the marts."""
    run_build(obj.settings)


def run_build(settings: object) -> None:
    from sql_pools import reconcile
    from sql_pools.warehouse import build, connect

    report = build(settings)
    table = Table(title=f"Warehouse {report.path}", title_justify="left")
    for column in ("table", "rows", "load", "gold version"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    for load in report.tables:
        table.add_row(load.table, f"{load.rows:,}", "loaded" if load.loaded else "unchanged", load.load_id)
    console.print(table)
    console.print(f"migrations: {len(report.migrations.applied)} applied, {report.migrations.skipped_pool_only} "
                  f"pool-only statements skipped; built in {report.seconds:.1f} s")
    with connect(report.path, read_only=True) as connection:
        results = reconcile.reconcile(connection)
    for result in results:
        state = "[green]agrees[/]" if not result.differences else f"[red]{len(result.differences)} differences[/]"
        console.print(f"rpt.{result.kpi} vs gold mart ({result.rows:,} rows): {state}")
        for difference in result.differences[:5]:
            console.print(f"   {difference}", markup=False)
    if any(r.differences for r in results):
        raise click.ClickException("the warehouse's KPI views disagree with the Spark marts")


@warehouse.command("query")
@click.argument("text")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows to print.")
@click.pass_obj
def warehouse_query(obj: object, text: str, limit: int) -> None:
    """Run a T-SQL query (as the pool would get it) against the local warehouse, e.g.
    "SELECT TOP 5 category, SUM(net_amount) FROM rpt.sales_daily GROUP BY category"."""
    from sql_pools.warehouse import WarehouseError, query

    try:
        result = query(obj.settings, text)
    except WarehouseError as error:
        raise click.ClickException(str(error)) from error
    table = Table(*result.columns)
    for row in result.rows[:limit]:
        table.add_row(*(str(value) for value in row))
    console.print(table)
    console.print(f"{len(result.rows):,} row(s)")
