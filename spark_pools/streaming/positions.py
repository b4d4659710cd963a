"""Real-time inventory position per store × product, and low-stock alerts.

A position is the last batch stock count (`mart_inventory_position`, counted at the end of its as-of day)
plus the stock change of every accepted event after that day; events on or before the count's day are
already in the count and are not added again. Without batch gold yet, positions start from zero and have no
reorder point.

A micro-batch moves positions on with one Delta MERGE (`merge`): its events' stock change per store × SKU
(`changes`, computed by Spark) is added to the position the table holds, or inserted as a new one, so the
table is never read beforehand. The MERGE is a small commit made from the driver (spark_pools/small_commits.py):
milliseconds where a Spark MERGE takes seconds, which is what a 1 s trigger needs. Sums commute, so late and
out-of-order events give the same number, and a batch whose transaction the table already holds is not added
again. When the batch marts bring a new stock count, every position is rebuilt from silver by Spark
(`rebuilt`). Each write keeps whether the position was below its reorder point before it
(`was_below_reorder_point`), so the alerts of a batch are read back from the table itself (`new_alerts`): the
same rows whether the batch ran once or was replayed after a crash.

The two formulas (`on_hand`, `below`) are SQL text, so Spark and the driver-side MERGE evaluate the same words.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.compute as pc
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake, small_commits

POSITIONS = "rt_inventory_position"
ALERTS = "rt_low_stock_alerts"
KEY = ["store_code", "sku"]
BASELINE_SCHEMA = "store_code string, sku string, base_on_hand long, base_as_of date, reorder_point double"
POSITION_SCHEMA = ("store_code string, sku string, base_on_hand long, base_as_of date, stock_change long, "
                   "on_hand long, events_applied long, last_event_ts timestamp, reorder_point double, "
                   "below_reorder_point boolean, was_below_reorder_point boolean, updated_batch long, "
                   "updated_at timestamp")
COLUMNS = [column.split()[0] for column in POSITION_SCHEMA.split(", ")]
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
    # Joined with the whole baseline (not a projection of it), so a plan that joins it again broadcasts it once.
    return events.where("stock_change <> 0").join(F.broadcast(base), KEY, "left") \
        .where(F.col("base_as_of").isNull() | (F.col("event_date") > F.col("base_as_of"))) \
        .groupBy(*KEY).agg(F.sum("stock_change").cast("long").alias("stock_change"),
                           F.count(F.lit(1)).alias("events_applied"), F.max("event_ts").alias("last_event_ts"))


def on_hand(base_on_hand: str, stock_change: str) -> str:
    """The position: the stock count (0 without one) plus the stock change applied since."""
    return f"CAST(coalesce({base_on_hand}, 0) + {stock_change} AS BIGINT)"


def below(on_hand_: str, reorder_point: str) -> str:
    """Low stock: under the reorder point of the batch marts (unknown without one)."""
    return f"({on_hand_}) < {reorder_point}"


def _position(frame: DataFrame) -> DataFrame:
    return frame.select(
        *KEY, F.coalesce("base_on_hand", F.lit(0)).cast("long").alias("base_on_hand"), "base_as_of",
        F.col("stock_change").cast("long").alias("stock_change"),
        F.expr(on_hand("base_on_hand", "stock_change")).alias("on_hand"),
        F.col("events_applied").cast("long").alias("events_applied"), "last_event_ts", "reorder_point",
    ).withColumn("below_reorder_point", F.expr(below("on_hand", "reorder_point")))


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
    return _stamped(frame, batch_id).select(*COLUMNS)


def changes(new_events: DataFrame, base: DataFrame) -> DataFrame:
    """A micro-batch's events as position rows per store × SKU they touch: what `merge` adds (or inserts)."""
    return _position(_applied(new_events, base).join(F.broadcast(base), KEY, "left"))


def merge(path: str, change: DataFrame, app_id: str, batch_id: int) -> bool:
    """Move the positions a micro-batch touches on by its `changes`, in one MERGE that reads nothing first;
    False (and nothing written) when the table already holds this batch's transaction."""
    table = small_commits.table(path)
    if small_commits.committed(table, app_id, batch_id):
        return False
    source = small_commits.frame_for(table, change, {"was_below_reorder_point": False, "updated_batch": batch_id,
                                                     "updated_at": datetime.now(UTC)})
    if not source.num_rows:
        return True  # no stock moved: nothing to commit
    moved = "t.stock_change + s.stock_change"
    now = on_hand("t.base_on_hand", moved)
    table.merge(source, " AND ".join(f"t.{k} = s.{k}" for k in KEY), source_alias="s", target_alias="t",
                commit_properties=small_commits.transaction(app_id, batch_id)).when_matched_update({
                    "stock_change": moved, "on_hand": now,
                    "events_applied": "t.events_applied + s.events_applied",
                    "last_event_ts": "greatest(t.last_event_ts, s.last_event_ts)",
                    "below_reorder_point": below(now, "t.reorder_point"),
                    "was_below_reorder_point": "coalesce(t.below_reorder_point, false)",
                    "updated_batch": "s.updated_batch", "updated_at": "s.updated_at",
                }).when_not_matched_insert_all().execute()
    return True


def new_alerts(path: str, batch_id: int) -> list[dict]:
    """The positions this batch moved below their reorder point (they were not below before it), as alert rows."""
    moved_below = (pc.field("updated_batch") == batch_id) & pc.field("below_reorder_point") \
        & ~pc.field("was_below_reorder_point")
    found = small_commits.table(path).to_pyarrow_dataset().to_table(
        filter=moved_below, columns=[*ALERT_COLUMNS, "updated_batch", "updated_at"])
    return [{**{c: row[c] for c in ALERT_COLUMNS}, "batch_id": row["updated_batch"], "alert_ts": row["updated_at"]}
            for row in found.to_pylist()]
