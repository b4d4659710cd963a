"""`retail model validate` (the Power BI project) and `retail dashboard` (the local preview)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def model() -> None:
    """The Power BI project (semantic_model/: TMDL model, PBIR report)."""


@model.command("validate")
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@click.option("--explain", is_flag=True, help="Print each rule's explanation under its findings.")
def model_validate(strict: bool, explain: bool) -> None:
    """Read the TMDL, check it against the SQL pool's reporting views, the DirectQuery best-practice rules and the
    PBIP file schemas; exit 1 on an error."""
    from semantic_model.validate import exit_code, format_findings, validate_model

    findings = validate_model()
    if findings:
        click.echo(format_findings(findings, explain=explain))
    click.echo(f"{len(findings)} finding(s)")
    sys.exit(exit_code(findings, strict=strict))


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              show_default="data/dashboard/index.html", help="Where to write the page.")
@click.pass_obj
def dashboard(obj: object, out: Path | None) -> None:
    """Build the local preview dashboard (the report's three pages) from the local warehouse's reporting views."""
    from semantic_model.dashboard import build_dashboard
    from sql_pools.warehouse import WarehouseError

    try:
        path = build_dashboard(obj.settings, out)
    except WarehouseError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"dashboard: {path}")
