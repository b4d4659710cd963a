"""Gold exports for the dedicated SQL pool: each served table's current version as Parquet files under
`<lake>/exports/<table>/<load_id>/`, the folder the pool's `COPY INTO` reads (COPY reads files, not a Delta log,
so it must get exactly the current version's rows). Delta partition helper columns (`sale_month`, ...) stay in
the lake: the pool partitions on `date_key`.

The tables are the ones the pool serves (`sql_pools.gold.SERVED`, in load order). The pool loads a load's folders
the day they are written, and a retried load exports again, so the weekly maintenance deletes folders older than
its retention (`prune_exports`).
"""

from __future__ import annotations

import time

from pyspark.sql import SparkSession

from retail.settings import Settings
from spark_pools import lake
from spark_pools.session import get_spark
from sql_pools.gold import SERVED

EXPORTS = "exports"


def export_path(settings: Settings, table: str, load_id: str) -> str:
    return f"{lake.root(settings)}/{EXPORTS}/{table}/{load_id}"


def export_gold(env: str | Settings, load_id: str, spark: SparkSession | None = None) -> dict[str, int]:
    """Write every served gold table for one pool load; returns rows per table. Re-running a load id rewrites
    its folders (overwrite), so a retried pipeline run exports the same rows once."""
    from retail.settings import load_settings

    settings = load_settings(env) if isinstance(env, str) else env
    spark = spark or get_spark(settings)
    exported = {}
    for table in SERVED:
        path = lake.table_path(settings, "gold", table)
        frame = lake.read(spark, path)
        helpers = lake.partition_columns(spark, path)
        frame = frame.drop(*helpers)
        frame.write.mode("overwrite").parquet(export_path(settings, table, load_id))
        exported[table] = spark.read.parquet(export_path(settings, table, load_id)).count()
    return exported


def prune_exports(spark: SparkSession, settings: Settings, retention_hours: int) -> list[str]:
    """Delete the export folders last written more than `retention_hours` ago; returns them as `table/load_id`."""
    cutoff_ms = (time.time() - retention_hours * 3600) * 1000
    prefix = f"{lake.root(settings)}/{EXPORTS}/"
    old = [path for path, modified in lake.folders(spark, f"{prefix}*/*") if modified < cutoff_ms]
    for path in old:
        lake.delete(spark, path)
    return [path.removeprefix(prefix) for path in old]
