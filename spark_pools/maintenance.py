"""Table maintenance: compact and Z-order the large tables, then vacuum every table's files no longer referenced.

Z-order columns are the ones queries filter and join on besides the partition column (which cannot be
Z-ordered). VACUUM keeps 7 days of history by default, so time travel, running readers and an incremental
run that lags a day keep working; Delta refuses anything shorter unless its safety check is disabled.
"""

from __future__ import annotations

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


def run_maintenance(env: str | Settings, retention_hours: int = SAFE_RETENTION_HOURS,
                    spark: SparkSession | None = None) -> list[str]:
    """OPTIMIZE ... ZORDER BY each large table that exists, then VACUUM every Delta table in the lake: the tables
    rewritten whole or in part every day (dimensions, marts, the monthly stock sums, silver's MERGE targets) leave
    a day's files behind each time. Export folders older than the retention go too. Returns the tables vacuumed,
    as `layer/table`; the weekly pipeline (workspace/pipeline/pl_weekly_maintenance.json) runs it on the pool."""
    if retention_hours < SAFE_RETENTION_HOURS:
        raise ValueError(f"retention below {SAFE_RETENTION_HOURS} hours can delete files readers still need")
    settings = env if isinstance(env, Settings) else load_settings(env)
    spark = spark or get_spark(settings)
    for t in TABLES:
        path = lake.table_path(settings, t.layer, t.table)
        if lake.exists(spark, path):
            spark.sql(f"OPTIMIZE delta.`{path}` ZORDER BY ({', '.join(t.zorder)})")
    tables = lake.delta_tables(spark, settings)
    run_all([lambda path=path: spark.sql(f"VACUUM delta.`{path}` RETAIN {retention_hours} HOURS") for path in tables],
            settings.spark.parallel_jobs)  # independent, and on small tables mostly the driver's latency
    prune_exports(spark, settings, retention_hours)
    return [path.removeprefix(f"{lake.root(settings)}/") for path in tables]
