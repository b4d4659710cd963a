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
from spark_pools import lake

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
def measured(job: str, entity: str) -> Iterator[Metrics]:
    metrics = Metrics(job, entity)
    started = time.perf_counter()
    yield metrics
    metrics.duration_s = round(time.perf_counter() - started, 3)
    metrics.check()


def record(spark: SparkSession, settings: Settings, load_id: str, load_date: object, mode: str,
           metrics: list[Metrics]) -> None:
    """Append the metrics of one job run (every entity) in one Delta commit."""
    if not metrics:
        return
    rows = [(m.job, m.entity, load_id, load_date, mode, m.rows_read, m.rows_written, m.rows_quarantined,
             m.rows_deduplicated, m.rows_rejected, m.quarantined_by_rule, m.warnings_by_rule,
             m.started.replace(tzinfo=None), m.duration_s) for m in metrics]
    spark.createDataFrame(rows, SCHEMA).write.format("delta").mode("append") \
        .save(lake.table_path(settings, "_ops", RUN_METRICS))
