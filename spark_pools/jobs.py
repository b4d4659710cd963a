"""Entry points: what a Synapse notebook or Spark job definition calls in one line, and what `retail batch run`
runs locally.

    from spark_pools.jobs import run_batch
    run_batch("prod", load_date="2026-03-01")          # the daily incremental run
    run_batch("prod", full=True)                       # rebuild everything from bronze

Each layer is also callable alone (`run_bronze`, `run_silver`, `run_gold`) with the same parameters. The
streaming job is a long-running Spark job definition:

    from spark_pools.jobs import run_stream
    run_stream("prod")                                 # until the job is stopped
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyspark.sql import SparkSession

from pipelines.catalog import SOURCES
from retail.settings import Settings, load_settings
from spark_pools import ops
from spark_pools.bronze.land import land_sources
from spark_pools.gold.build import build_gold
from spark_pools.ops import Metrics, measured
from spark_pools.parallel import run_all
from spark_pools.session import get_spark
from spark_pools.silver.build import build, mark_processed, pending_loads
from spark_pools.silver.entities import LEVELS, Entity
from spark_pools.streaming.job import StreamJob, StreamRun

LAYERS = ("bronze", "silver", "gold")
Progress = Callable[[str], None]


@dataclass
class BatchRun:
    load_id: str
    load_date: date | None
    mode: str
    metrics: list[Metrics] = field(default_factory=list)


def new_load_id(load_date: date | None, full: bool) -> str:
    """Unique per run, readable: what and when."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    what = "full" if full else f"{load_date:%Y%m%d}"
    return f"{what}-{stamp}-{uuid.uuid4().hex[:6]}"


def _context(env: str | Settings, spark: SparkSession | None) -> tuple[Settings, SparkSession]:
    settings = env if isinstance(env, Settings) else load_settings(env)
    return settings, spark or get_spark(settings)


def _as_date(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def run_bronze(env: str | Settings, load_date: date | str | None = None, full: bool = False,
               spark: SparkSession | None = None, run: BatchRun | None = None) -> BatchRun:
    """Land the delivery of `load_date` (or, with `full`, every delivery not landed yet)."""
    settings, spark = _context(env, spark)
    load_date = _as_date(load_date)
    run = run or BatchRun(new_load_id(load_date, full), load_date, "full" if full else "incremental")
    metrics = land_sources(spark, settings, list(SOURCES.values()), load_date, run.load_id, full)
    ops.record(spark, settings, run.load_id, run.load_date, run.mode, metrics)
    run.metrics += metrics
    return run


def run_silver(env: str | Settings, load_date: date | str | None = None, full: bool = False,
               spark: SparkSession | None = None, run: BatchRun | None = None,
               progress: Progress | None = None) -> BatchRun:
    """Merge the bronze loads silver has not seen (or, with `full`, rebuild silver from all of bronze)."""
    settings, spark = _context(env, spark)
    load_date = _as_date(load_date)
    run = run or BatchRun(new_load_id(load_date, full), load_date, "full" if full else "incremental")
    loads = pending_loads(spark, settings, full)

    def one(entity: Entity) -> Metrics:
        if progress:
            progress(f"silver {entity.name}")
        with measured(spark, "silver", entity.name) as m:
            build(spark, settings, entity, loads[entity.name], full, m)
        return m

    metrics = []
    for level in LEVELS:  # master data before the facts that check their codes against it
        metrics += run_all([lambda e=e: one(e) for e in level], settings.spark.parallel_jobs)
    mark_processed(spark, settings, loads, full)
    ops.record(spark, settings, run.load_id, run.load_date, run.mode, metrics)
    run.metrics += metrics
    return run


def run_gold(env: str | Settings, load_date: date | str | None = None, full: bool = False,
             spark: SparkSession | None = None, run: BatchRun | None = None) -> BatchRun:
    """Bring gold up to date with silver (or, with `full`, rebuild it)."""
    settings, spark = _context(env, spark)
    load_date = _as_date(load_date)
    run = run or BatchRun(new_load_id(load_date, full), load_date, "full" if full else "incremental")
    metrics = build_gold(spark, settings, full)
    ops.record(spark, settings, run.load_id, run.load_date, run.mode, metrics)
    run.metrics += metrics
    return run


def run_batch(env: str | Settings, load_date: date | str | None = None, full: bool = False,
              through: str = "gold", spark: SparkSession | None = None,
              progress: Progress | None = None) -> BatchRun:
    """The daily job: bronze → silver → gold for one delivery date (incremental), or for everything delivered
    up to `load_date` (`full`: silver and gold rebuilt). `through` stops after a layer."""
    if through not in LAYERS:
        raise ValueError(f"through must be one of {', '.join(LAYERS)}")
    settings, spark = _context(env, spark)
    load_date = _as_date(load_date)
    if load_date is None and not full:
        raise ValueError("an incremental run needs a load date")
    run = BatchRun(new_load_id(load_date, full), load_date, "full" if full else "incremental")
    for layer in LAYERS[: LAYERS.index(through) + 1]:
        if progress:
            progress(layer)
        if layer == "bronze":
            run_bronze(settings, load_date, full, spark, run)
        elif layer == "silver":
            run_silver(settings, load_date, full, spark, run, progress)
        else:
            run_gold(settings, load_date, full, spark, run)
    return run


def run_stream(env: str | Settings, seconds: float | None = None, available_now: bool = False,
               spark: SparkSession | None = None) -> StreamRun:
    """The streaming job (spark_pools/streaming/job.py): until stopped, for `seconds`, or (`available_now`)
    through what the topics hold now."""
    settings, spark = _context(env, spark)
    return StreamJob(settings, spark).run(available_now=available_now, seconds=seconds)
