"""The medallion scenario on `tiny` data with the defect manifest, built once per test session.

Lake INC loads everything up to day L in a full run, then day L+1 incrementally, then day L+1 again; lake
INC_SPARK is INC after day L, then day L+1 with no table small enough for the driver's writes; lake FULL loads
everything up to day L+1 in one full run. Day L is the first sale of a product whose master data arrives
on day L+1 (a late-arriving dimension). With day L+1's files a till sends a sale of day L-1 again, its time
corrected to the day before (`send_a_correction`). The medallion tests check the lakes; the warehouse tests load
FULL's gold.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipelines.copy_database import copy_tables
from pipelines.sources.defects import DefectRates
from pipelines.sources.generate import generate
from retail.settings import Settings, load_settings
from spark_pools import lake, small_commits
from spark_pools.gold.star import UNKNOWN
from spark_pools.jobs import BatchRun, run_batch
from spark_pools.session import get_spark
from spark_pools.silver.entities import ENTITIES
from tests.pipelines.sources import oracle

SEED, DAYS = 2, 6  # seed 2: product P00006 first sells on 2026-01-09, its master data arrives 2026-01-10
# Lineage differs between two lakes by nature; so do `_dq_warnings`, which record what was unknown when a row
# was loaded (a late product's first sales carry `known_sku` in the incremental lake, not in the full one).
LINEAGE = ["_load_id", "_ingest_ts", "_source_file", "_delivery_date", "_original", "_dq_warnings"]
GOLD = ["dim_store", "dim_product", "dim_customer", "dim_supplier", "dim_channel", "dim_date", "fact_sales",
        "fact_inventory_snapshot", "fact_inventory_movement", "fact_purchase_order_line", "fact_feedback",
        "mart_sales_daily", "mart_inventory_position", "mart_stock_performance", "mart_supplier_performance",
        "mart_customer_rfm", "mart_feedback", "agg_stock_by_month", "agg_customer_by_month"]

@dataclass
class Scenario:
    spark: SparkSession
    inc: Settings
    inc_spark: Settings  # INC's day L+1 again, from its lake after day L, with every MERGE and rewrite through Spark
    full: Settings
    manifest: dict
    landing: Path
    late_sku: str
    day_l: date
    corrected: str  # the sales line of day L-1 sent again on day L+1, its time moved to day L-2
    unresolved_after_day_l: int
    runs: list[BatchRun]
    before_rerun: dict[str, tuple]
    versions_before_rerun: dict[str, int]


def checksum(frame: DataFrame) -> tuple[int, int]:
    """Order-independent content checksum, lineage excluded."""
    columns = sorted(c for c in frame.columns if c not in LINEAGE)
    row = frame.select(F.count(F.lit(1)), F.sum(F.xxhash64(F.to_json(F.struct(*columns))))).first()
    return int(row[0]), int(row[1] or 0)


def tables(settings: Settings) -> dict[str, str]:
    out = {f"silver/{e.name}": lake.table_path(settings, "silver", e.name) for e in ENTITIES}
    out |= {f"quarantine/{e.name}": lake.table_path(settings, "silver", f"_quarantine/{e.name}") for e in ENTITIES}
    out |= {f"gold/{name}": lake.table_path(settings, "gold", name) for name in GOLD}
    return out


def versions(spark: SparkSession, settings: Settings) -> dict[str, int]:
    return {name: lake.version(spark, path) for name, path in tables(settings).items()}


def checksums(spark: SparkSession, settings: Settings) -> dict[str, tuple]:
    return {name: checksum(lake.read(spark, path)) for name, path in tables(settings).items()
            if lake.exists(spark, path)}


def _settings(base: Path, landing: Path) -> Settings:
    settings = load_settings("local").with_lake(base / "lake", landing)
    spark = settings.spark.model_copy(update={"session_conf": {"spark.sql.shuffle.partitions": "2"}})
    return settings.model_copy(update={"spark": spark})


def build_scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    base = tmp_path_factory.mktemp("medallion")
    landing = base / "landing"
    result = generate(landing, "tiny", seed=SEED, rates=DefectRates.scaled(20), days=DAYS)
    late = result.manifest["late_reference"][0]
    day_l, day_next = date.fromisoformat(late["first_sale_date"]), date.fromisoformat(late["reference_date"])
    # A day whose daily sales nothing else recomputes on day L+1 (day L's change: the late product resolves).
    corrected = send_a_correction(landing, day_l - timedelta(days=1), day_next)
    shutil.copytree(landing, base / "landing_full")
    inc, full = _settings(base / "inc", landing), _settings(base / "full", base / "landing_full")
    spark = get_spark(inc)
    copy_tables(landing, day_l)
    runs = [run_batch(inc, day_l, full=True, spark=spark)]
    shutil.copytree(base / "inc", base / "inc_spark")
    sales = lake.read(spark, lake.table_path(inc, "gold", "fact_sales"))
    unresolved = sales.where((F.col("sku") == late["sku"]) & (F.col("product_key") == UNKNOWN)).count()
    copy_tables(landing, day_next)
    runs.append(run_batch(inc, day_next, spark=spark))
    before, before_versions = checksums(spark, inc), versions(spark, inc)
    runs.append(run_batch(inc, day_next, spark=spark))
    inc_spark = _settings(base / "inc_spark", landing)
    with pytest.MonkeyPatch.context() as patch:  # no table small enough for the driver: every write through Spark
        patch.setattr(small_commits, "DRIVER_ROWS", 0)
        runs.append(run_batch(inc_spark, day_next, spark=spark))
    copy_tables(base / "landing_full", day_next)
    runs.append(run_batch(full, day_next, full=True, spark=spark))
    return Scenario(spark, inc, inc_spark, full, result.manifest, landing, late["sku"], day_l, corrected, unresolved,
                    runs, before, before_versions)


def send_a_correction(landing: Path, sent: date, again: date) -> str:
    """Append to a till file delivered on `again` a clean line first delivered on `sent`, its time moved back a day
    (within the month): the record is sent again with its date corrected, so silver keeps the later version and gold
    moves the sale from one day to another. Its sales line id."""
    stores, skus = oracle.reference(landing)
    for path in sorted(landing.glob(f"pos/{sent:%Y-%m-%d}/*.csv")):
        later = landing / "pos" / f"{again:%Y-%m-%d}" / path.name.replace(f"{sent:%Y%m%d}", f"{again:%Y%m%d}")
        lines = path.read_bytes().split(b"\n")
        if not later.exists() or later.read_bytes().split(b"\n")[0] != lines[0]:
            continue  # that till's next file carries an extra column
        clean = [n for n, verdict in oracle.classify_csv(landing, str(path.relative_to(landing)), stores, skus).items()
                 if verdict is None]
        fields = lines[clean[0] - 1].decode().split(",")
        if len(fields) != lines[0].count(b",") + 1:
            continue
        moved = date.fromisoformat(fields[5][:10]) - timedelta(days=1)
        assert moved.month == sent.month, "the correction must stay within its month"
        fields[5] = f"{moved.isoformat()}{fields[5][10:]}"
        text = later.read_bytes()
        later.write_bytes(text + (b"" if text.endswith(b"\n") else b"\n") + ",".join(fields).encode() + b"\n")
        return f"POS|{fields[0]}|{fields[1]}"
    raise AssertionError(f"no clean till line on {sent} to send again")
