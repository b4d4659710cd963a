"""Real-time inventory position per store × product, and low-stock alerts.

A position is the last batch stock count (`mart_inventory_position`, counted at the end of its as-of day)
plus the stock change of every accepted event after that day; events on or before the count's day are
already in the count and are not added again. Without batch gold yet, positions start from zero and have no
reorder point. A micro-batch moves on only the positions its new events touch (`advance`); when the batch
marts bring a new stock count, every position is rebuilt from silver (`recompute`). Sums commute, so late and
out-of-order events give the same number, and the job's idempotent commits keep a replayed batch from
adding anything twice.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake

POSITIONS = "rt_inventory_position"
ALERTS = "rt_low_stock_alerts"
KEY = ["store_code", "sku"]
BASELINE_SCHEMA = "store_code string, sku string, base_on_hand long, base_as_of date, reorder_point double"
POSITION_SCHEMA = ("store_code string, sku string, base_on_hand long, base_as_of date, stock_change long, "
                   "on_hand long, events_applied long, last_event_ts timestamp, reorder_point double, "
                   "below_reorder_point boolean, updated_batch long, updated_at timestamp")
ALERT_COLUMNS = ("store_code", "sku", "on_hand", "reorder_point", "last_event_ts")
ALERT_SCHEMA = ("store_code string, sku string, on_hand long, reorder_point double, last_event_ts timestamp, "
                "batch_id long, alert_ts timestamp")


def baseline(spark: SparkSession, settings: Settings) -> DataFrame:
    """The batch marts' latest stock count and reorder point per store code × SKU (empty before batch gold)."""
    paths = {name: lake.table_path(settings, "gold", name)
             for name in ("mart_inventory_position", "dim_store", "dim_product")}
    if not all(lake.exists(spark, path) for path in paths.values()):
        return spark.createDataFrame([], BASELINE_SCHEMA)
    mart = lake.read(spark, paths["mart_inventory_position"])
    stores = lake.read(spark, paths["dim_store"]).select("store_key", "store_code")
    products = lake.read(spark, paths["dim_product"]).select("product_key", "sku")
    return mart.join(F.broadcast(stores), "store_key").join(F.broadcast(products), "product_key").select(
        "store_code", "sku", F.col("on_hand_quantity").cast("long").alias("base_on_hand"),
        F.to_date(F.col("date_key").cast("string"), "yyyyMMdd").alias("base_as_of"),
        F.col("reorder_point").cast("double").alias("reorder_point"))


def _applied(events: DataFrame, base: DataFrame) -> DataFrame:
    """Per store × SKU: the stock change of the events after the baseline's count day (all of them without one)."""
    return events.where("stock_change <> 0").join(F.broadcast(base.select(*KEY, "base_as_of")), KEY, "left") \
        .where(F.col("base_as_of").isNull() | (F.col("event_date") > F.col("base_as_of"))) \
        .groupBy(*KEY).agg(F.sum("stock_change").cast("long").alias("stock_change"),
                           F.count(F.lit(1)).alias("events_applied"), F.max("event_ts").alias("last_event_ts"))


def _position(frame: DataFrame) -> DataFrame:
    on_hand = F.coalesce(F.col("base_on_hand"), F.lit(0)) + F.col("stock_change")
    return frame.select(
        *KEY, F.coalesce("base_on_hand", F.lit(0)).cast("long").alias("base_on_hand"), "base_as_of",
        F.col("stock_change").cast("long").alias("stock_change"), on_hand.cast("long").alias("on_hand"),
        F.col("events_applied").cast("long").alias("events_applied"), "last_event_ts", "reorder_point",
        (on_hand < F.col("reorder_point")).alias("below_reorder_point"))


def recompute(events: DataFrame, base: DataFrame) -> DataFrame:
    """Every position from scratch: the baseline plus every accepted event after its count day. Used when the
    baseline changes (a new batch stock count) and as the reference the incremental path must equal."""
    frame = _applied(events, base).join(F.broadcast(base), KEY, "full")
    return _position(frame.fillna(0, ["stock_change", "events_applied"]))


def advance(before: DataFrame, new_events: DataFrame, base: DataFrame) -> DataFrame:
    """The positions a micro-batch touches, moved on by its new events: additions commute, so the order in
    which events arrive (late, out of order) cannot change the result."""
    change = _applied(new_events, base)
    previous = before.select(*KEY, F.col("stock_change").alias("_previous"),
                             F.col("events_applied").alias("_previous_events"),
                             F.col("last_event_ts").alias("_previous_last"))
    frame = change.join(F.broadcast(base), KEY, "left").join(previous, KEY, "left").select(
        *KEY, "base_on_hand", "base_as_of", "reorder_point",
        (F.col("stock_change") + F.coalesce("_previous", F.lit(0))).alias("stock_change"),
        (F.col("events_applied") + F.coalesce("_previous_events", F.lit(0))).alias("events_applied"),
        F.greatest("last_event_ts", "_previous_last").alias("last_event_ts"))
    return _position(frame)


def flag_new_alerts(before: DataFrame, after: DataFrame) -> DataFrame:
    """`after` with `_alert`: the position is now below its reorder point and was not before this batch (or did
    not exist)."""
    was_below = before.select(*KEY, F.col("below_reorder_point").alias("_was_below"))
    return after.join(was_below, KEY, "left").withColumn(
        "_alert", F.coalesce("below_reorder_point", F.lit(False)) & ~F.coalesce("_was_below", F.lit(False))) \
        .drop("_was_below")
