"""`retail workspace ...`: the Synapse Studio Git folder (`workspace/`) checked before any release."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.group()
def workspace() -> None:
    """The Synapse workspace artifacts (workspace/, Synapse Studio's Git layout)."""


@workspace.command("validate")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              show_default="workspace", help="A Synapse Git root folder.")
@click.option("--pools", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              show_default="spark_pools/pools", help="The Spark pool definitions notebooks may reference.")
def workspace_validate(root: Path | None, pools: Path | None) -> None:
    """Check every artifact: SDK round trip, names, references (down to the SQL pool's procedures),
    expressions, secrets, cycles. Exit 1 on an error."""
    from deploy.validate import POOLS, WORKSPACE, format_findings, has_errors, validate

    findings = validate(root or WORKSPACE, pools or POOLS)
    if findings:
        click.echo(format_findings(findings))
    errors = has_errors(findings)
    click.echo(f"{len(findings)} finding(s) in {root or WORKSPACE}")
    sys.exit(1 if errors else 0)
