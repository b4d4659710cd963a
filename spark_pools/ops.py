"""The operations table: one row per job, entity and load, and the conservation check every job runs.

read = written + quarantined + deduplicated (+ rejected, at bronze). A load that breaks it fails loudly
before its metrics row says anything else, so a silent loss cannot hide in a green run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from retail.settings import Settings
from spark_pools import lake, small_commits

RUN_METRICS = "run_metrics"
SCHEMA = ("job string, entity string, load_id string, load_date date, mode string, rows_read long, "
          "rows_written long, rows_quarantined long, rows_deduplicated long, rows_rejected long, "
          "quarantined_by_rule map<string,long>, warnings_by_rule map<string,long>, started timestamp, "
          "duration_s double")


class ConservationError(RuntimeError):
    """Rows went missing (or appeared) between what a job read and what it accounted for."""


@dataclass
class Metrics:
    job: str
    entity: str
    rows_read: int = 0
    rows_written: int = 0
    rows_quarantined: int = 0
    rows_deduplicated: int = 0
    rows_rejected: int = 0
    quarantined_by_rule: dict[str, int] = field(default_factory=dict)
    warnings_by_rule: dict[str, int] = field(default_factory=dict)
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_s: float = 0.0

    def check(self) -> None:
        accounted = self.rows_written + self.rows_quarantined + self.rows_deduplicated + self.rows_rejected
        if accounted != self.rows_read:
            raise ConservationError(
                f"{self.job}/{self.entity}: read {self.rows_read:,} rows but accounted for {accounted:,} "
                f"(written {self.rows_written:,}, quarantined {self.rows_quarantined:,}, "
                f"deduplicated {self.rows_deduplicated:,}, rejected {self.rows_rejected:,})")


@contextmanager
def measured(spark: SparkSession, job: str, entity: str) -> Iterator[Metrics]:
    """A job's metrics for one entity, timed and checked for conservation when the block ends. The Spark jobs the
    block runs carry `job/entity` as their job group and description (`labelled`)."""
    metrics = Metrics(job, entity)
    started = time.perf_counter()
    with labelled(spark, f"{job}/{entity}"):
        yield metrics
    metrics.duration_s = round(time.perf_counter() - started, 3)
    metrics.check()


JOB_LABEL_KEYS = ("spark.jobGroup.id", "spark.job.description")  # what SparkContext.setJobGroup sets


@contextmanager
def labelled(spark: SparkSession, label: str) -> Iterator[None]:
    """Label the Spark jobs this thread runs in the block (job group and description; Delta prefixes its own jobs'
    descriptions with it): the Spark UI, the event log and Synapse's monitoring show which table each job worked
    for, `statusTracker().getJobIdsForGroup(label)` counts them, and `cancelJobGroup(label)` stops them. The
    thread's earlier labels are restored after it (a pool thread runs one table after another)."""
    context = spark.sparkContext
    previous = [context.getLocalProperty(key) for key in JOB_LABEL_KEYS]
    for key in JOB_LABEL_KEYS:
        context.setLocalProperty(key, label)
    try:
        yield
    finally:
        for key, value in zip(JOB_LABEL_KEYS, previous, strict=True):
            context.setLocalProperty(key, value)


def record(spark: SparkSession, settings: Settings, load_id: str, load_date: object, mode: str,
           metrics: list[Metrics]) -> None:
    """Append the metrics of one job run (every entity) in one Delta commit, made from the driver."""
    if not metrics:
        return
    rows = [{"job": m.job, "entity": m.entity, "load_id": load_id, "load_date": load_date, "mode": mode,
             "rows_read": m.rows_read, "rows_written": m.rows_written, "rows_quarantined": m.rows_quarantined,
             "rows_deduplicated": m.rows_deduplicated, "rows_rejected": m.rows_rejected,
             "quarantined_by_rule": m.quarantined_by_rule, "warnings_by_rule": m.warnings_by_rule,
             "started": m.started, "duration_s": m.duration_s} for m in metrics]
    small_commits.write_rows(spark, lake.table_path(settings, "_ops", RUN_METRICS), SCHEMA, rows)


QUARANTINE_LIMIT = 0.05  # a load quarantining more than 5 % of an entity's rows is held back from the pool


class QualityGateError(RuntimeError):
    """A load is not fit for the warehouse: a job did not run, or too much of an entity was quarantined."""


def quality_gate(env: str | Settings, load_id: str, spark: SparkSession | None = None,
                 limit: float = QUARANTINE_LIMIT) -> dict[str, float]:
    """The gate between the lake and the SQL pool (the daily pipeline runs it before the pool load): the load's
    metrics hold bronze, silver and gold rows, and no silver entity quarantined more than `limit` of the rows
    it read. Returns each silver entity's quarantined share; raises QualityGateError otherwise."""
    from retail.settings import load_settings
    from spark_pools.session import get_spark

    settings = load_settings(env) if isinstance(env, str) else env
    spark = spark or get_spark(settings)
    rows = lake.read(spark, lake.table_path(settings, "_ops", RUN_METRICS)).where(f"load_id = '{load_id}'") \
        .select("job", "entity", "rows_read", "rows_quarantined").collect()
    missing = {"bronze", "silver", "gold"} - {r.job for r in rows}
    if missing:
        raise QualityGateError(f"load {load_id}: no {', '.join(sorted(missing))} metrics (did every job run?)")
    shares = {r.entity: (r.rows_quarantined / r.rows_read if r.rows_read else 0.0) for r in rows if r.job == "silver"}
    over = {entity: share for entity, share in shares.items() if share > limit}
    if over:
        listed = ", ".join(f"{entity} {share:.1%}" for entity, share in sorted(over.items()))
        raise QualityGateError(f"load {load_id}: quarantined more than {limit:.0%} of {listed}")
    return shares
