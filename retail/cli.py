"""`retail`: one command for the whole platform. Each concern adds its own subcommand group."""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from retail import jars
from retail.settings import ENVIRONMENTS, Settings, SettingsError, load_settings

console = Console(stderr=False)
err = Console(stderr=True)


class Context:
    """What every subcommand needs: the chosen environment, loaded once, lazily."""

    def __init__(self, env: str | None) -> None:
        self.env = env
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.env)
            if self._settings.is_local:
                from retail.broker import LocalBroker

                self._settings = LocalBroker().bind(self._settings)
        return self._settings


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--env", type=click.Choice(ENVIRONMENTS), envvar="RETAIL_ENV", default="local", show_default=True,
              help="Environment whose settings file (retail/environments/ENV.toml) to use. Also $RETAIL_ENV.")
@click.pass_context
def cli(ctx: click.Context, env: str) -> None:
    """A Synapse-native retail data platform.

    Ingest POS, e-commerce, supplier and feedback data; run bronze/silver/gold on Delta with Spark; serve a
    dedicated SQL pool and a Power BI model. Everything also runs on this machine with embedded stand-ins.
    """
    ctx.obj = Context(env)


@cli.command()
@click.option("--force", is_flag=True, help="Fetch again even when the cache is current.")
def setup(force: bool) -> None:
    """Fetch the JVM jars (Delta, the Kafka source, a Kafka broker) from Maven Central into .cache/jars/."""
    for name in jars.JAR_SETS:
        fresh = force or not jars.is_current(name)
        with console.status(f"Resolving the {name} jars with Maven ..."):
            found = jars.fetch(name, force=force)
        state = "fetched" if fresh else "already current"
        console.print(f"[green]✓[/] {name} jars {state}: {len(found)} in {jars.jar_dir(name)}")


@cli.group()
def config() -> None:
    """Inspect environment settings."""


@config.command("show")
@click.pass_obj
def config_show(obj: Context) -> None:
    """Print the validated settings of the environment (secrets appear only as references)."""
    console.print_json(obj.settings.model_dump_json(exclude_none=True))


@config.command("check")
def config_check() -> None:
    """Validate every environment file; exit 2 if any is invalid."""
    failed = False
    for env in ENVIRONMENTS:
        try:
            load_settings(env)
            console.print(f"[green]✓[/] {env}")
        except SettingsError as error:
            failed = True
            err.print(f"[red]✗[/] {error}")
    sys.exit(2 if failed else 0)


def _parse_defects(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for value in values:
        name, _, rate = value.partition("=")
        try:
            out[name] = float(rate)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected NAME=RATE, e.g. duplicate=0.01") from None
    return out


@cli.command()
@click.option("--scale", type=click.Choice(["tiny", "demo", "bench"]), default="demo", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same bytes.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder. Default: the environment's landing folder.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None, help="First business day (2026-01-05).")
@click.option("--days", type=click.IntRange(1, 3660), default=None, help="Override the scale's number of days.")
@click.option("--defect-scale", type=click.FloatRange(0, 100), default=1.0, show_default=True,
              help="Multiply every default defect rate.")
@click.option("--defect", "defects", multiple=True, metavar="NAME=RATE", help="Set one defect rate exactly.")
@click.option("--drop/--no-drop", default=True, show_default=True,
              help="Leave the file deliveries in OUT/drop/ as the source systems do, for `retail batch run` to "
                   "ingest; --no-drop writes them straight to where bronze reads them.")
@click.pass_obj
def generate(obj: Context, scale: str, seed: int, out: Path | None, start: date | None, days: int | None,
             defect_scale: float, defects: tuple[str, ...], drop: bool) -> None:
    """Generate the synthetic source systems' deliveries, with injected defects and a manifest."""
    run_generation(obj, scale, seed, out, start.date() if start else None, days, defect_scale,
                   _parse_defects(defects), drop=drop)


def run_generation(obj: Context, scale: str, seed: int, out: Path | None, start: date | None, days: int | None,
                   defect_scale: float, defects: dict[str, float], drop: bool = False) -> dict:
    from pipelines.sources.defects import DefectRates
    from pipelines.sources.generate import DEFAULT_START
    from pipelines.sources.generate import generate as run
    from pipelines.sources.scales import SCALES

    target = out or obj.settings.local_path(obj.settings.lake.landing)
    try:
        rates = DefectRates.scaled(defect_scale, defects)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    total = days or SCALES[scale].days
    started = time.perf_counter()
    with Progress(TextColumn("[bold]generate[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(scale, total=total)
        result = run(target, scale, seed=seed, start=start or DEFAULT_START, rates=rates, days=days,
                     progress=lambda label: bar.update(task, advance=1, description=f"{scale} {label}"), drop=drop)
    seconds = time.perf_counter() - started
    _print_generation(result.manifest, target, seconds, result.sales_lines)
    if drop:
        console.print(f"The file deliveries wait in {target / 'drop'}; `retail batch run` ingests them.")
    return result.manifest


def _print_generation(manifest: dict, out: Path, seconds: float, sales_lines: int) -> None:
    table = Table(title=f"Source deliveries in {out}", title_justify="left")
    table.add_column("source")
    table.add_column("files / tables", justify="right")
    table.add_column("records", justify="right")
    for name, counts in manifest["sources"].items():
        if name == "all":
            continue
        table.add_row(name, str(counts.get("files", counts.get("tables", 0))), f"{counts.get('lines', 0):,}")
    console.print(table)
    defects = Table(title="Injected defects (details in manifest.json)", title_justify="left")
    defects.add_column("defect")
    defects.add_column("count", justify="right")
    defects.add_column("expected handling")
    for name, info in manifest["defects"].items():
        defects.add_row(name, str(info["count"]), info["expected"])
    console.print(defects)
    console.print(f"{sales_lines:,} sales lines in {seconds:.1f} s ({sales_lines / seconds:,.0f} lines/s); "
                  f"{len(manifest['late_reference'])} products whose master data arrives a day after their first sale")


@cli.group()
def stream() -> None:
    """Real-time: the local Kafka broker that stands in for Event Hubs."""


@stream.command("produce")
@click.option("--rate", type=click.FloatRange(min=0.1), default=100, show_default=True, help="Events per second.")
@click.option("--duration", type=click.FloatRange(min=0.1), default=10, show_default=True, help="Seconds.")
@click.option("--feedback/--no-feedback", default=True, show_default=True, help="Include customer feedback events.")
@click.option("--seed", type=int, default=7, show_default=True)
@click.pass_obj
def stream_produce(obj: Context, rate: float, duration: float, feedback: bool, seed: int) -> None:
    """Simulate store tills and stock rooms: JSON events keyed by store to the environment's topics (the local
    broker, or Event Hubs' Kafka endpoint with only the environment changed)."""
    from pipelines.sources.events import produce

    with console.status(f"producing {rate:g} events/s for {duration:g} s ..."):
        result = produce(obj.settings, rate, duration, seed, feedback)
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(result.by_type.items()))
    console.print(f"sent {result.sent:,} events in {result.seconds:.1f} s ({result.rate:,.0f}/s): {kinds}")
    if result.failed:
        raise click.ClickException(f"{result.failed:,} events were not delivered")


@stream.command("run")
@click.option("--once", is_flag=True, help="Process what the topics hold now, then stop.")
@click.option("--seconds", type=click.FloatRange(min=1), default=None, help="Stop after this long (default: Ctrl-C).")
@click.pass_obj
def stream_run(obj: Context, once: bool, seconds: float | None) -> None:
    """The streaming job: the topics → bronze, and → silver → real-time inventory positions and low-stock
    alerts, exactly once (checkpoints under the lake's _ops/checkpoints/)."""
    from spark_pools.jobs import run_stream

    mode = "what the topics hold" if once else (f"{seconds:g} s" if seconds else "until Ctrl-C")
    console.print(f"streaming from {obj.settings.streaming.bootstrap_servers} ({mode}) ...")
    with contextlib.suppress(KeyboardInterrupt):
        run = run_stream(obj.settings, seconds=seconds, available_now=once)
        for query, batches in sorted(run.batches.items()):
            console.print(f"{query}: {batches:,} micro-batches, {run.rows.get(query, 0):,} events read")


@stream.command("status")
@click.option("--last", type=click.IntRange(1, 1000), default=5, show_default=True, help="Micro-batches per query.")
@click.pass_obj
def stream_status(obj: Context, last: int) -> None:
    """The broker, the streaming tables' sizes and the last micro-batches' metrics (_ops/stream_metrics)."""
    from spark_pools.streaming.status import stream_status as read_status

    status = read_status(obj.settings, last)
    console.print(f"endpoint {obj.settings.streaming.bootstrap_servers}")
    for name, rows in status.tables.items():
        console.print(f"  {name}: {rows:,} rows" if rows is not None else f"  {name}: not created yet")
    table = Table(title="Last micro-batches", title_justify="left")
    titles = {"batch_id": "batch", "batch_ts": "started (UTC)", "input_rows": "events",
              "processed_rows_per_s": "events/s", "batch_duration_ms": "ms", "offsets_behind_latest": "behind",
              "quarantined": "quarant.", "duplicates": "dupl."}
    for column in status.columns:
        table.add_column(titles.get(column, column), justify="left" if column in ("query", "batch_ts") else "right")
    for row in status.batches:
        table.add_row(*[f"{v:,.0f}" if isinstance(v, float) else f"{v:%H:%M:%S}" if isinstance(v, datetime)
                        else str(v) for v in row])
    console.print(table)


@stream.group()
def broker() -> None:
    """A single-node Apache Kafka broker in KRaft mode, state and log under .cache/broker/."""


@broker.command("start")
def broker_start() -> None:
    from retail.broker import BrokerError, LocalBroker

    local = LocalBroker()
    with console.status("starting the Kafka broker ..."):
        try:
            info = local.start()
        except BrokerError as error:
            raise click.ClickException(str(error)) from None
    console.print(f"[green]✓[/] Kafka broker running: bootstrap servers {info.bootstrap_servers} (pid {info.pid}); "
                  f"log {local.log}")


@broker.command("stop")
def broker_stop() -> None:
    from retail.broker import LocalBroker

    console.print("Kafka broker stopped" if LocalBroker().stop() else "no Kafka broker was running")


@broker.command("status")
def broker_status() -> None:
    """Exit code 0 when a broker runs, 1 when none does."""
    from retail.broker import LocalBroker

    info = LocalBroker().status()
    if info is None:
        console.print("no Kafka broker running")
        raise SystemExit(1)
    console.print(f"Kafka broker running: bootstrap servers {info.bootstrap_servers} (pid {info.pid})")


@cli.group()
def batch() -> None:
    """The medallion batch: bronze, silver and gold on Delta with Spark."""


@batch.command("run")
@click.option("--date", "load_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Delivery date to load. Incremental runs need it; with --full, load everything up to it.")
@click.option("--full", is_flag=True, help="Rebuild silver and gold from every bronze load.")
@click.option("--through", type=click.Choice(["bronze", "silver", "gold"]), default="gold", show_default=True)
@click.pass_obj
def batch_run(obj: Context, load_date: datetime | None, full: bool, through: str) -> None:
    """Ingest as the ingestion pipeline does (move the dropped files up to the date into place, copy the supplier
    database by watermark), then run the Spark layers."""
    if load_date is None and not full:
        raise click.UsageError("give --date for an incremental run, or --full")
    run_local_batch(obj, load_date.date() if load_date else None, full, through)


@batch.command("maintain")
@click.option("--retention-hours", type=int, default=None,
              help="History VACUUM keeps (default and minimum: the safe retention, 168 hours).")
@click.pass_obj
def batch_maintain(obj: Context, retention_hours: int | None) -> None:
    """What the weekly maintenance pipeline runs: OPTIMIZE … ZORDER BY the large tables, VACUUM every Delta table
    in the lake, and prune old export folders."""
    from spark_pools.maintenance import SAFE_RETENTION_HOURS, check_retention, run_maintenance

    retention = SAFE_RETENTION_HOURS if retention_hours is None else retention_hours
    try:
        check_retention(retention)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--retention-hours") from None
    started = time.perf_counter()
    with console.status("Spark: OPTIMIZE and VACUUM ..."):
        report = run_maintenance(obj.settings, retention)

    def by_layer(tables: list[str]) -> str:
        layers = Counter(table.split("/", 1)[0] for table in tables)
        return f"{len(tables)} tables" + (f" ({', '.join(f'{k} {n}' for k, n in sorted(layers.items()))})"
                                          if tables else "")

    console.print(f"OPTIMIZE ... ZORDER BY: {by_layer(report.optimized)}")
    console.print(f"VACUUM: {by_layer(report.vacuumed)}; nothing older than {retention} hours to delete in "
                  f"{by_layer(report.nothing_to_vacuum)}")
    console.print(f"done in {time.perf_counter() - started:.1f} s")


def run_local_batch(obj: Context, load_date: date | None, full: bool, through: str = "gold") -> list:
    from pipelines.ingest import ingest
    from spark_pools.jobs import run_batch

    settings = obj.settings
    ingested = ingest(settings.local_path(settings.lake.landing), load_date)
    moved = ", ".join(f"{name} {m.files:,}" for name, m in ingested.files.items() if m.files)
    console.print(f"files moved from drop/: {ingested.files_moved:,} ({ingested.bytes_moved / 1e6:,.1f} MB)"
                  + (f": {moved}" if moved else ""))
    console.print(f"supplier database copied: {ingested.rows_copied:,} changed rows")
    with console.status("Spark ...") as status:
        run = run_batch(settings, load_date, full, through, progress=lambda step: status.update(f"Spark: {step}"))
    table = Table(title=f"Load {run.load_id} ({run.mode})", title_justify="left")
    for column in ("layer", "table", "read", "written", "quarantined", "deduplicated", "rejected", "seconds"):
        table.add_column(column, justify="left" if column in ("layer", "table") else "right")
    for m in run.metrics:
        if m.rows_read or m.rows_written:
            table.add_row(m.job, m.entity, f"{m.rows_read:,}", f"{m.rows_written:,}", f"{m.rows_quarantined:,}",
                          f"{m.rows_deduplicated:,}", f"{m.rows_rejected:,}", f"{m.duration_s:.1f}")
    console.print(table)
    return run.metrics


@cli.command()
@click.option("--scale", type=click.Choice(["tiny", "demo", "bench"]), default="demo", show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.pass_obj
def demo(obj: Context, scale: str, seed: int) -> None:
    """The local end-to-end run (what `make demo` does): sources dropped, ingested as the Synapse pipeline does,
    then bronze → silver → gold, then KPIs."""
    from spark_pools.lake import root

    console.rule("[bold]1. Source systems")
    run_generation(obj, scale, seed, None, None, None, 1.0, {}, drop=True)
    landing = obj.settings.local_path(obj.settings.lake.landing)
    console.print(f"\nThe sources are in [bold]{landing}[/] (files in drop/ until ingested); manifest: "
                  f"{landing / 'manifest.json'}")
    lake_root = Path(root(obj.settings))
    if lake_root.exists():
        shutil.rmtree(lake_root)  # the demo starts from an empty lake: it replays the sources it just made
    console.rule("[bold]2. Ingestion and medallion batch (full load)")
    run_local_batch(obj, None, full=True)
    console.rule("[bold]3. KPIs")
    from spark_pools.gold.summary import kpi_summary
    from spark_pools.session import get_spark

    for title, rows in kpi_summary(get_spark(obj.settings), obj.settings).items():
        table = Table(title=title, title_justify="left")
        for column in rows[0] if rows else []:
            table.add_column(column)
        for row in rows:
            table.add_row(*[f"{v:,.2f}" if isinstance(v, float) else str(v) for v in row.values()])
        console.print(table)
    console.print(f"\nThe lake is in [bold]{lake_root}[/] (bronze/, silver/, gold/, _ops/).")
    console.rule("[bold]4. Warehouse (the SQL pool's T-SQL on a local DuckDB database)")
    from sql_pools.commands import run_build

    run_build(obj.settings)
    console.rule("[bold]5. Dashboard (a local preview of the Power BI report's pages)")
    from semantic_model.dashboard import build_dashboard

    console.print(f"Open [bold]{build_dashboard(obj.settings)}[/] in a browser.")


def _register_rooms() -> None:
    """Command groups that live with their concern."""
    from deploy.cli import deploy
    from deploy.commands import workspace
    from semantic_model.commands import dashboard, model
    from sql_pools.commands import sql, warehouse

    cli.add_command(sql)
    cli.add_command(warehouse)
    cli.add_command(workspace)
    cli.add_command(deploy)
    cli.add_command(model)
    cli.add_command(dashboard)


_register_rooms()


def main() -> None:
    try:
        cli(standalone_mode=True)
    except SettingsError as error:
        err.print(f"[red]settings error[/]\n{error}")
        sys.exit(2)
    except (jars.JarFetchError, RuntimeError) as error:
        err.print(f"[red]error[/] {error}")
        sys.exit(2)
