"""`retail deploy ...`: validate, plan and apply the workspace to one environment, and the release steps.

Exit codes (constants.Exit): 0 done, 1 an operation failed in Azure, 2 the input is invalid (settings,
overrides, workspace files, filters, a plan that cannot be applied) and nothing was sent.

    retail deploy validate --env test
    retail deploy plan --env prod --json --include 'pipeline:pl_*'
    retail deploy apply --env prod --delete-orphans --parallel 8
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from deploy.constants import Exit

SYNAPSE_ENVIRONMENTS = ("dev", "test", "prod")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _env_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--env", "env", type=click.Choice(SYNAPSE_ENVIRONMENTS), default=None,
                        help="Environment to release to (default: retail's --env / $RETAIL_ENV).")(command)


def _filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--delete-orphans", is_flag=True, help="Delete live artifacts that are not in Git "
                           "(within the filter), dependents first.")(command)
    command = click.option("--exclude", multiple=True, metavar="TYPE:NAME",
                           help="Leave these out (e.g. 'trigger:*'); wins over --include. Repeatable.")(command)
    return click.option("--include", multiple=True, metavar="TYPE:NAME",
                        help="Only these artifacts (e.g. 'pipeline:pl_*', '*:ds_*'). Repeatable.")(command)


def _environment(env: str | None) -> str:
    if env is None:
        parent = click.get_current_context().find_root().obj
        env = getattr(parent, "env", None)
    if env not in SYNAPSE_ENVIRONMENTS:
        err.print(f"[red]choose the environment to release to: --env {'|'.join(SYNAPSE_ENVIRONMENTS)}[/]")
        sys.exit(Exit.INVALID)
    return env


@contextmanager
def _exits() -> Iterator[None]:
    """Turn the deployer's errors into the documented exit codes, with every problem on its own line."""
    from deploy.deployer import InvalidReleaseError
    from deploy.filters import FilterError
    from retail.settings import SettingsError

    try:
        yield
    except InvalidReleaseError as error:
        for problem in error.problems:
            err.print(f"[red]invalid:[/] {problem}", markup=True, highlight=False)
        err.print(f"[red]{len(error.problems)} problem(s); nothing was sent to Azure[/]")
        sys.exit(Exit.INVALID)
    except (SettingsError, FilterError) as error:
        err.print(f"[red]invalid:[/] {error}", markup=True, highlight=False)
        sys.exit(Exit.INVALID)
    except Exception as error:  # Azure refused, the connection failed, the credential has no token
        err.print(f"[red]failed:[/] {type(error).__name__}: {error}", markup=True, highlight=False)
        sys.exit(Exit.FAILED)


def _deployer(env: str, **options: Any) -> Any:
    from deploy.deployer import Deployer
    from retail.settings import load_settings

    return Deployer(load_settings(env), **options)


@click.group()
def deploy() -> None:
    """Release workspace/ to a Synapse environment: validate, plan, apply, and the release steps."""


@deploy.command("validate")
@_env_option
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="A Synapse Git root folder (default: workspace/).")
@click.option("--json", "as_json", is_flag=True, help="Problems as JSON.")
def validate_command(env: str | None, root: Path | None, as_json: bool) -> None:
    """Check the workspace files and the environment (settings, overrides, dev values left) without Azure."""
    env = _environment(env)
    with _exits():
        options = {"root": root} if root else {}
        validation = _deployer(env, **options).validate()
        problems = validation.problems
        warnings = [str(f) for f in validation.findings if f.severity.value == "warning"]
        if as_json:
            out.print_json(json.dumps({"environment": env, "ok": not problems, "problems": problems,
                                       "warnings": warnings, "overrides_applied": len(validation.release.applied),
                                       "artifacts": len(validation.release.artifacts)}))
        else:
            for line in problems:
                err.print(f"[red]invalid:[/] {line}", markup=True, highlight=False)
            for line in warnings:
                err.print(f"[yellow]warning:[/] {line}", markup=True, highlight=False)
            verdict = "[green]valid[/]" if not problems else f"[red]{len(problems)} problem(s)[/]"
            out.print(f"{env}: {len(validation.release.artifacts)} artifacts, "
                      f"{len(validation.release.applied)} override values applied: {verdict}")
    sys.exit(Exit.INVALID if problems else Exit.DONE)


@deploy.command("plan")
@_env_option
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="The plan as JSON (for CI).")
@click.option("--diff", "diffs", is_flag=True, help="Show what changes in each updated artifact.")
@click.option("--changes-only", is_flag=True, help="Leave unchanged artifacts out of the table.")
def plan_command(env: str | None, include: tuple[str, ...], exclude: tuple[str, ...], delete_orphans: bool,
                 as_json: bool, diffs: bool, changes_only: bool) -> None:
    """Compare Git (after the environment's overrides) with the live workspace; write nothing."""
    from deploy.filters import Selection
    from deploy.render import plan_json, plan_table

    env = _environment(env)
    with _exits():
        selection = Selection.parse(include, exclude)
        with _deployer(env) as deployer:
            plan = deployer.plan(selection, delete_orphans)
        if as_json:
            click.echo(plan_json(plan, diffs=diffs))
        else:
            plan_table(plan, out, diffs=diffs, show_unchanged=not changes_only)
    sys.exit(Exit.INVALID if plan.problems else Exit.DONE)


@deploy.command("apply")
@_env_option
@_filter_options
@click.option("--parallel", type=click.IntRange(1, 32), default=None,
              help="Writes in flight within a dependency level (default: deploy.parallel, 8).")
@click.option("--dry-run", is_flag=True, help="Only show the plan (same as `plan`).")
@click.option("--json", "as_json", is_flag=True, help="The plan and the outcome as JSON.")
@click.option("--powerbi", is_flag=True, help="Then publish the Power BI model and report (as `deploy powerbi`).")
def apply_command(env: str | None, include: tuple[str, ...], exclude: tuple[str, ...], delete_orphans: bool,
                  parallel: int | None, dry_run: bool, as_json: bool, powerbi: bool) -> None:
    """Plan, then write what differs in dependency order, handling triggers; safe to re-run."""
    from deploy.filters import Selection
    from deploy.render import plan_json, plan_table

    env = _environment(env)

    def progress(step: str, kind: str, name: str, seconds: float, error: str | None) -> None:
        if error is None:
            err.print(f"[green]✓[/] {step} {kind} {name} ({seconds:.1f} s)")
        else:
            err.print(f"[red]✗ {step} {kind} {name}[/] ({seconds:.1f} s): {error}", markup=True, highlight=False)

    with _exits():
        selection = Selection.parse(include, exclude)
        with _deployer(env, parallel=parallel) as deployer:
            plan = deployer.plan(selection, delete_orphans)
            if not as_json:
                plan_table(plan, out, show_unchanged=False)
            if dry_run:
                if as_json:
                    click.echo(plan_json(plan))
                sys.exit(Exit.INVALID if plan.problems else Exit.DONE)
            plan, outcome = deployer.apply(plan=plan, report=progress)
        if as_json:
            click.echo(plan_json(plan, outcome=outcome))
        elif outcome.ok:
            out.print(f"[green]applied[/]: {len(outcome.done)} operation(s) in {outcome.seconds:.1f} s"
                      if outcome.done else "[green]nothing to do[/]: the workspace matches the release")
        else:
            out.print(f"[red]failed[/]: {len(outcome.failed)} operation(s) failed, {len(outcome.done)} done; "
                      "fix the cause and run apply again (it picks up what is still different)")
        if outcome.ok and powerbi:  # after the workspace: the DirectQuery model needs the pool's views in place
            from deploy.steps.powerbi import REPORT_DIR, publish_powerbi
            from retail.settings import load_settings

            settings = load_settings(env)
            for item in publish_powerbi(settings, _credential(), report_dir=REPORT_DIR,
                                        poll_interval=settings.deploy.poll_interval_seconds).items:
                out.print(f"{item.action} {item.type} {item.display_name} ({item.id}) in {item.seconds:.1f} s")
    sys.exit(Exit.DONE if outcome.ok else Exit.FAILED)


@deploy.command("package")
@_env_option
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("dist"), show_default=True,
              help="Where the wheel is written.")
@click.option("--replace", is_flag=True, help="Replace a workspace package of the same file name.")
@click.option("--build-only", is_flag=True, help="Build the wheel, upload nothing.")
def package_command(env: str | None, output: Path, replace: bool, build_only: bool) -> None:
    """Build the project's code (spark_pools and what it imports) as a wheel; upload it as a workspace package."""
    from deploy.steps.package import PackageError, build_wheel, upload_library

    env = _environment(env)
    try:
        wheel = build_wheel(output)
    except PackageError as error:
        err.print(f"[red]{error}[/]")
        sys.exit(Exit.FAILED)
    out.print(f"built {wheel}")
    if build_only:
        sys.exit(Exit.DONE)
    with _exits(), _deployer(env) as deployer:
        upload = upload_library(deployer.endpoint(), wheel, replace=replace)
    note = "; bump the version to release new code, or --replace" if upload.status == "exists" else ""
    out.print(f"workspace package {upload.name}: {upload.status}{note}")
    sys.exit(Exit.DONE)


@deploy.command("sql")
@_env_option
def sql_command(env: str | None) -> None:
    """Run the SQL pool migrations (new versioned scripts, changed repeatable ones)."""
    from deploy.steps.sql import run_migrations
    from retail.settings import load_settings

    env = _environment(env)
    with _exits():
        report = run_migrations(load_settings(env), _credential())
    out.print(f"{len(report.applied)} script(s) applied, {len(report.unchanged)} unchanged, "
              f"{report.statements} statement(s) in {report.seconds:.1f} s")
    sys.exit(Exit.DONE)


@deploy.command("upload-entries")
@_env_option
def upload_entries_command(env: str | None) -> None:
    """Upload the Spark job entry files, the source catalog and missing watermark seeds to the lake."""
    from deploy.steps.lake import upload_release_files
    from retail.settings import load_settings

    env = _environment(env)
    with _exits():
        uploaded = upload_release_files(load_settings(env), _credential())
    for path in uploaded.written:
        out.print(f"wrote {path}")
    for path in uploaded.kept:
        out.print(f"kept {path} (the pipeline's watermark)")
    sys.exit(Exit.DONE)


@deploy.command("powerbi")
@_env_option
@click.option("--model-only", is_flag=True, help="Publish the semantic model without its report.")
def powerbi_command(env: str | None, model_only: bool) -> None:
    """Publish the Power BI semantic model (bound to the environment's SQL pool), then the report bound to it."""
    from deploy.steps.powerbi import REPORT_DIR, publish_powerbi
    from retail.settings import load_settings

    env = _environment(env)
    with _exits():
        settings = load_settings(env)
        result = publish_powerbi(settings, _credential(), report_dir=None if model_only else REPORT_DIR,
                                 poll_interval=settings.deploy.poll_interval_seconds)
    for item in result.items:
        out.print(f"{item.action} {item.type} {item.display_name} ({item.id}) in {item.seconds:.1f} s")
    sys.exit(Exit.DONE)


def _credential() -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()

