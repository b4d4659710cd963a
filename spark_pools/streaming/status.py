"""What `retail stream status` shows: the streaming tables' sizes and the last micro-batches' metrics."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import functions as F
from pyspark.sql.window import Window

from retail.settings import Settings
from spark_pools import lake
from spark_pools.session import get_spark
from spark_pools.streaming.job import STREAM_METRICS, path
from spark_pools.streaming.positions import ALERTS, POSITIONS

TABLES = ("events", "events_silver", "events_quarantine", POSITIONS, ALERTS)
COLUMNS = ("query", "batch_id", "batch_ts", "input_rows", "processed_rows_per_s", "batch_duration_ms",
           "offsets_behind_latest", "accepted", "quarantined", "duplicates")


@dataclass
class StreamStatus:
    tables: dict[str, int | None]
    columns: tuple[str, ...]
    batches: list[tuple]


def stream_status(settings: Settings, last: int = 5) -> StreamStatus:
    spark = get_spark(settings)
    tables = {name: lake.read(spark, path(settings, name)).count() if lake.exists(spark, path(settings, name))
              else None for name in TABLES}
    metrics = lake.table_path(settings, "_ops", STREAM_METRICS)
    batches: list[tuple] = []
    if lake.exists(spark, metrics):
        newest = Window.partitionBy("query").orderBy(F.desc("batch_id"))
        rows = lake.read(spark, metrics).withColumn("_n", F.row_number().over(newest)).where(F.col("_n") <= last) \
            .orderBy("query", "batch_id").select(*COLUMNS).collect()
        batches = [tuple(row) for row in rows]
    return StreamStatus(tables, COLUMNS, batches)
