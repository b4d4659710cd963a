"""Table maintenance: compact and Z-order the large tables, then vacuum every table's files no longer referenced.

Z-order columns are the ones queries filter and join on besides the partition column (which cannot be
Z-ordered). VACUUM keeps 7 days of history by default, so time travel, running readers and an incremental
run that lags a day keep working; Delta refuses anything shorter unless its safety check is disabled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pyspark.sql import SparkSession

from retail.settings import Settings, load_settings
from spark_pools import lake
from spark_pools.gold.export import prune_exports
from spark_pools.parallel import run_all
from spark_pools.session import get_spark

SAFE_RETENTION_HOURS = 168


@dataclass(frozen=True)
class Maintained:
    layer: str
    table: str
    zorder: tuple[str, ...]


TABLES = (
    Maintained("silver", "sales_lines", ("store_code", "sku")),
    Maintained("silver", "inventory_counts", ("store_code", "sku")),
    Maintained("silver", "inventory_movements", ("store_code", "sku")),
    Maintained("gold", "fact_sales", ("store_key", "product_key")),
    Maintained("gold", "fact_inventory_snapshot", ("store_key", "product_key")),
    Maintained("gold", "fact_inventory_movement", ("store_key", "product_key")),
)


def zorder_columns(layer: str, table: str) -> tuple[str, ...]:
    """The columns a table is Z-ordered by (none for a table not maintained): it keeps Delta statistics on them."""
    return next((t.zorder for t in TABLES if (t.layer, t.table) == (layer, table)), ())


def check_retention(retention_hours: int) -> None:
    """Refuse a VACUUM retention shorter than the safe one (ValueError)."""
    if retention_hours < SAFE_RETENTION_HOURS:
        raise ValueError(f"retention below {SAFE_RETENTION_HOURS} hours can delete files readers still need")


@dataclass(frozen=True)
class MaintenanceReport:
    """What a maintenance run did, tables named `layer/table`."""
    optimized: list[str]
    vacuumed: list[str]
    nothing_to_vacuum: list[str]


def run_maintenance(env: str | Settings, retention_hours: int = SAFE_RETENTION_HOURS,
                    spark: SparkSession | None = None) -> MaintenanceReport:
    """OPTIMIZE ... ZORDER BY each large table that exists, then VACUUM every Delta table in the lake that has
    files to delete: the tables rewritten whole or in part every day (dimensions, marts, the monthly stock sums,
    silver's MERGE targets) leave a day's files behind each time. Export folders older than the retention go too.
    The weekly pipeline (workspace/pipeline/pl_weekly_maintenance.json) runs it on the pool."""
    check_retention(retention_hours)
    settings = env if isinstance(env, Settings) else load_settings(env)
    spark = spark or get_spark(settings)
    optimized = []
    for t in TABLES:
        path = lake.table_path(settings, t.layer, t.table)
        if lake.exists(spark, path):
            spark.sql(f"OPTIMIZE delta.`{path}` ZORDER BY ({', '.join(t.zorder)})")
            optimized.append(f"{t.layer}/{t.table}")
    cutoff_ms = int((time.time() - retention_hours * 3600) * 1000)

    def vacuum(path: str) -> bool:
        if not vacuum_would_delete(spark, path, cutoff_ms):
            return False
        spark.sql(f"VACUUM delta.`{path}` RETAIN {retention_hours} HOURS")
        return True

    tables = lake.delta_tables(spark, settings)
    done = run_all([lambda path=path: vacuum(path) for path in tables],
                   settings.spark.parallel_jobs)  # independent, and on small tables mostly the driver's latency
    prune_exports(spark, settings, retention_hours)
    names = [path.removeprefix(f"{lake.root(settings)}/") for path in tables]
    return MaintenanceReport(optimized, [n for n, d in zip(names, done, strict=True) if d],
                             [n for n, d in zip(names, done, strict=True) if not d])


def vacuum_would_delete(spark: SparkSession, path: str, cutoff_ms: int) -> bool:
    """Whether VACUUM could delete anything from the table: a file its latest version does not reference, last
    modified before the retention cutoff, or an empty folder. VACUUM deletes a subset of those (a file removed
    from the table after the cutoff is kept, and a file is removed only after it was written), and costs some 25
    Spark jobs and two commits even when it deletes nothing: 2-5 s a small table locally, where this check takes
    a listing and the table's current file list."""
    files, empty = lake.files_under(spark, path)
    if empty:
        return True
    old = [file for file, modified in files if modified < cutoff_ms]
    return bool(old) and not set(old) <= lake.current_files(spark, path)
