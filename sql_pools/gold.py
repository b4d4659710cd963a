"""Reading the lake's gold tables from outside Spark: the current Delta snapshot as Arrow.

The dedicated pool loads gold from Parquet exports (COPY INTO); locally the warehouse build and the advisor read
the same tables' current Delta version directly, which is what an export of them would hold.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
from deltalake import DeltaTable

from retail.settings import Settings

# The gold tables the warehouse serves, in load order (dimensions first). The streaming job's rt_* tables stay in
# the lake: they change every second, which a columnstore warehouse is the wrong place for.
DIMENSIONS = ("dim_date", "dim_channel", "dim_store", "dim_supplier", "dim_product", "dim_customer")
FACTS = ("fact_sales", "fact_inventory_snapshot", "fact_inventory_movement", "fact_purchase_order_line",
         "fact_feedback")
MARTS = ("mart_sales_daily", "mart_inventory_position", "mart_stock_performance", "mart_supplier_performance",
         "mart_customer_rfm", "mart_feedback")
SERVED = DIMENSIONS + FACTS + MARTS


class GoldMissingError(FileNotFoundError):
    """The lake has no such gold table yet (run the batch first)."""


class GoldUnreadableError(ValueError):
    """The gold table uses a Delta feature this reader does not apply."""


def gold_table_path(settings: Settings, name: str) -> Path:
    if settings.lake.root.startswith("abfss://"):
        raise GoldMissingError("the local warehouse reads a local lake; in Azure the pool loads gold exports")
    return settings.local_path(settings.lake.root) / "gold" / name


def gold_load_id(settings: Settings, name: str) -> str:
    """What a load of the table's current content is recorded as: its version, and its Delta table id, since a
    table deleted and written again (a regenerated lake) starts again at version 0 under a new id."""
    table = _table(settings, name)
    return f"gold/{name}@v{table.version()}#{table.metadata().id[:8]}"


def read_gold(settings: Settings, name: str) -> pa.Table:
    """The table's current version: the Parquet files its Delta log names, read by DuckDB. Partition columns
    come back as data columns, as Spark wrote them. (DuckDB reads the files rather than deltalake's own Arrow
    scanner, whose threads can abort the interpreter at exit.)"""
    table = _table(settings, name)
    features = set(table.protocol().reader_features or [])
    if features:  # deletion vectors or column mapping would change which rows or names the files hold
        raise GoldUnreadableError(f"gold/{name} uses Delta reader features {sorted(features)}; "
                                  "the local warehouse reads plain Delta tables")
    files = table.file_uris()
    if not files:
        return pa.schema(table.schema().to_arrow()).empty_table()
    with duckdb.connect() as connection:
        return connection.read_parquet(files, hive_partitioning=True).to_arrow_table()


def _table(settings: Settings, name: str) -> DeltaTable:
    path = gold_table_path(settings, name)
    if not (path / "_delta_log").is_dir():
        raise GoldMissingError(f"no gold table {name} at {path}: run `retail batch run --full` first")
    return DeltaTable(str(path))
