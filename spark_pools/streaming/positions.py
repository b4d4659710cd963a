"""Real-time inventory position per store × product, and low-stock alerts.

A position is the last batch stock count (`mart_inventory_position`, counted at the end of its as-of day)
plus the stock change of every accepted event after that day; events on or before the count's day are
already in the count and are not added again. Without batch gold yet, positions start from zero and have no
reorder point.

A micro-batch moves positions on with one Delta MERGE (`merge`): its events' stock change per store × SKU is
added to the position the table holds (or inserted as a new one), so the table is never read beforehand.
Sums commute, so late and out-of-order events give the same number, and the job's idempotent commits keep a
replayed batch from adding anything twice. When the batch marts bring a new stock count, every position is
rebuilt from silver (`rebuilt`). Each write keeps whether the position was below its reorder point before
it (`was_below_reorder_point`), so the alerts of a batch are read back from the table itself (`new_alerts`):
the same rows whether the batch ran once or was replayed after a crash.
"""

from __future__ import annotations

from delta.tables import DeltaTable
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake

POSITIONS = "rt_inventory_position"
ALERTS = "rt_low_stock_alerts"
KEY = ["store_code", "sku"]
BASELINE_SCHEMA = "store_code string, sku string, base_on_hand long, base_as_of date, reorder_point double"
POSITION_SCHEMA = ("store_code string, sku string, base_on_hand long, base_as_of date, stock_change long, "
                   "on_hand long, events_applied long, last_event_ts timestamp, reorder_point double, "
                   "below_reorder_point boolean, was_below_reorder_point boolean, updated_batch long, "
                   "updated_at timestamp")
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


def on_hand(base_on_hand: Column, stock_change: Column) -> Column:
    """The position: the stock count (0 without one) plus the stock change applied since."""
    return (F.coalesce(base_on_hand, F.lit(0)) + stock_change).cast("long")


def below(on_hand_: Column, reorder_point: Column) -> Column:
    """Low stock: under the reorder point of the batch marts (unknown without one)."""
    return on_hand_ < reorder_point


def _position(frame: DataFrame) -> DataFrame:
    return frame.select(
        *KEY, F.coalesce("base_on_hand", F.lit(0)).cast("long").alias("base_on_hand"), "base_as_of",
        F.col("stock_change").cast("long").alias("stock_change"),
        on_hand(F.col("base_on_hand"), F.col("stock_change")).alias("on_hand"),
        F.col("events_applied").cast("long").alias("events_applied"), "last_event_ts", "reorder_point",
        below(on_hand(F.col("base_on_hand"), F.col("stock_change")), F.col("reorder_point"))
        .alias("below_reorder_point"))


def recompute(events: DataFrame, base: DataFrame) -> DataFrame:
    """Every position from scratch: the baseline plus every accepted event after its count day. Used when the
    baseline changes (a new batch stock count) and as the reference the incremental path must equal."""
    frame = _applied(events, base).join(F.broadcast(base), KEY, "full")
    return _position(frame.fillna(0, ["stock_change", "events_applied"]))


def _stamped(frame: DataFrame, batch_id: int) -> DataFrame:
    return frame.withColumns({"updated_batch": F.lit(batch_id).cast("long"), "updated_at": F.current_timestamp()})


def rebuilt(previous: DataFrame, events: DataFrame, base: DataFrame, batch_id: int) -> DataFrame:
    """Every position recomputed, remembering whether the table held it below its reorder point before."""
    was = previous.select(*KEY, F.col("below_reorder_point").alias("was_below_reorder_point"))
    frame = recompute(events, base).join(was, KEY, "left").fillna(False, ["was_below_reorder_point"])
    return _stamped(frame, batch_id).select(*[c.split()[0] for c in POSITION_SCHEMA.split(", ")])


def merge(table: DeltaTable, new_events: DataFrame, base: DataFrame, batch_id: int) -> None:
    """Move the positions a micro-batch touches on by its events, in one MERGE that reads nothing first."""
    change = _stamped(_position(_applied(new_events, base).join(F.broadcast(base), KEY, "left")), batch_id) \
        .withColumn("was_below_reorder_point", F.lit(False))
    t, s = (lambda c: F.col(f"t.{c}")), (lambda c: F.col(f"s.{c}"))
    moved = t("stock_change") + s("stock_change")
    now = on_hand(t("base_on_hand"), moved)
    table.alias("t").merge(change.alias("s"), " AND ".join(f"t.{k} = s.{k}" for k in KEY)).whenMatchedUpdate(set={
        "stock_change": moved, "on_hand": now,
        "events_applied": t("events_applied") + s("events_applied"),
        "last_event_ts": F.greatest(t("last_event_ts"), s("last_event_ts")),
        "below_reorder_point": below(now, t("reorder_point")),
        "was_below_reorder_point": F.coalesce(t("below_reorder_point"), F.lit(False)),
        "updated_batch": s("updated_batch"), "updated_at": s("updated_at"),
    }).whenNotMatchedInsertAll().execute()


def new_alerts(positions: DataFrame, batch_id: int) -> DataFrame:
    """The positions this batch moved below their reorder point (they were not below before it)."""
    return positions.where((F.col("updated_batch") == batch_id) & F.col("below_reorder_point")
                           & ~F.col("was_below_reorder_point")) \
        .select(*ALERT_COLUMNS, F.col("updated_batch").alias("batch_id"), F.col("updated_at").alias("alert_ts"))
