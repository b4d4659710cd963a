"""The star schema: conformed dimensions with unknown members, and the facts keyed to them.

Surrogate keys are `xxhash64` of the business key: stable across runs and environments, computed without a
lookup table, and bigint like the SQL pool's distribution columns. Two reserved members exist in every
dimension: -1 "Unknown" (the code is not in the master data yet: a late-arriving dimension, resolved by a
later run) and -2 "Not applicable" (no code at all, such as an anonymous till sale). Facts keep their codes,
so a later run can resolve their -1 keys, and Power BI's "assume referential integrity" holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_pools.gold import kpis

UNKNOWN, NOT_APPLICABLE = -1, -2


def surrogate(*codes: Column) -> Column:
    return F.xxhash64(*codes)


def is_member(key: Column) -> Column:
    """A real member, not one of the reserved ones (surrogates are signed: never test `key >= 0`)."""
    return ~key.isin(UNKNOWN, NOT_APPLICABLE)


@dataclass(frozen=True)
class Dimension:
    name: str
    key: str
    code: str


DIM_STORE = Dimension("dim_store", "store_key", "store_code")
DIM_PRODUCT = Dimension("dim_product", "product_key", "sku")
DIM_CUSTOMER = Dimension("dim_customer", "customer_key", "customer_id")
DIM_SUPPLIER = Dimension("dim_supplier", "supplier_key", "supplier_code")
CHANNELS = (("store", "Physical"), ("web", "Online"), ("app", "Online"))
BY_KEY = {d.key: d for d in (DIM_STORE, DIM_PRODUCT, DIM_CUSTOMER, DIM_SUPPLIER)}


def _with_members(frame: DataFrame, dim: Dimension, labels: dict[str, str]) -> DataFrame:
    """Append the -1 and -2 members; text attributes get a label, others NULL."""
    rows = []
    for key, text in ((UNKNOWN, "Unknown"), (NOT_APPLICABLE, "Not applicable")):
        values = {c: F.lit(None).cast(t) for c, t in frame.dtypes}
        values[dim.key] = F.lit(key).cast("bigint")
        values[dim.code] = F.lit(f"#{text.upper().replace(' ', '_')}")
        values.update({c: F.lit(text) for c in labels})
        rows.append(frame.sparkSession.range(1).select(*[values[c].alias(c) for c in frame.columns]))
    return frame.unionByName(rows[0]).unionByName(rows[1])


def dim_store(stores: DataFrame) -> DataFrame:
    frame = stores.select(surrogate(F.col("store_code")).alias("store_key"), "store_code", "store_name",
                          "store_type", "region", "city", "opened_date", "floor_area_sqm")
    return _with_members(frame, DIM_STORE, {"store_name": "", "store_type": "", "region": "", "city": ""})


def dim_supplier(suppliers: DataFrame) -> DataFrame:
    frame = suppliers.select(surrogate(F.col("supplier_code")).alias("supplier_key"), "supplier_code",
                             "supplier_name", "country", "promised_lead_time_days")
    return _with_members(frame, DIM_SUPPLIER, {"supplier_name": "", "country": ""})


def dim_product(products: DataFrame) -> DataFrame:
    """Current version of each product (silver keeps the full SCD2 history)."""
    current = products.where("is_current")
    frame = current.select(
        surrogate(F.col("sku")).alias("product_key"), "sku", "product_name", "category", "subcategory", "brand",
        "supplier_code", surrogate(F.col("supplier_code")).alias("supplier_key"), "unit_cost", "unit_price",
        "launch_date")
    return _with_members(frame, DIM_PRODUCT, {"product_name": "", "category": "", "subcategory": "", "brand": ""})


def dim_customer(customers: DataFrame) -> DataFrame:
    """Current version, pseudonymised: no name, e-mail or phone in clear past silver."""
    current = customers.where("is_current")
    frame = current.select(surrogate(F.col("customer_id")).alias("customer_key"), "customer_id", "city", "region",
                           "loyalty_tier", "signup_date", "email_hash")
    return _with_members(frame, DIM_CUSTOMER, {"city": "", "region": "", "loyalty_tier": ""})


def dim_channel(spark: SparkSession) -> DataFrame:
    known = spark.createDataFrame(list(CHANNELS), "channel string, channel_group string") \
        .select(surrogate(F.col("channel")).alias("channel_key"), "channel", "channel_group")
    members = spark.createDataFrame(
        [(UNKNOWN, "#UNKNOWN", "Unknown"), (NOT_APPLICABLE, "#NOT_APPLICABLE", "Not applicable")],
        "channel_key bigint, channel string, channel_group string")
    return known.unionByName(members)


def dim_date(spark: SparkSession, first: object, last: object) -> DataFrame:
    days = spark.sql(f"SELECT explode(sequence(DATE'{first}', DATE'{last}', INTERVAL 1 DAY)) AS date")
    return days.select(
        date_key(F.col("date")).alias("date_key"), "date", F.year("date").alias("year"),
        F.quarter("date").alias("quarter"), F.month("date").alias("month"),
        F.date_format("date", "MMMM").alias("month_name"), F.date_format("date", "yyyy-MM").alias("year_month"),
        F.weekofyear("date").alias("iso_week"), F.dayofweek("date").alias("day_of_week"),
        F.date_format("date", "EEEE").alias("day_name"), F.dayofweek("date").isin(1, 7).alias("is_weekend"))


def date_key(value: Column) -> Column:
    """yyyymmdd as an int: readable, sortable, and the SQL pool's partition column."""
    return F.date_format(value, "yyyyMMdd").cast("int")


def month_of(day: date) -> str:
    """A day's monthly partition value in the daily facts: what silver's `date_format(…, 'yyyy-MM')` gives it."""
    return f"{day:%Y-%m}"


def key_of(code: Column, dim: Dimension) -> Column:
    """The surrogate key when the code exists in the dimension, -1 when not (yet), -2 when there is no code.
    The rows must have been through `flag_codes` for this dimension."""
    return (F.when(code.isNull(), F.lit(NOT_APPLICABLE)).when(F.col(f"_has_{dim.code}"), surrogate(code))
            .otherwise(F.lit(UNKNOWN)).cast("bigint"))


def flag_codes(frame: DataFrame, column: str, dim_frame: DataFrame, dim: Dimension) -> DataFrame:
    """Mark whether each row's code exists in the dimension (broadcast: dimensions are small)."""
    codes = dim_frame.where(is_member(F.col(dim.key))).select(F.col(dim.code).alias(f"_c_{column}")).distinct() \
        .withColumn(f"_has_{dim.code}_{column}", F.lit(True))
    joined = frame.join(F.broadcast(codes), frame[column] == codes[f"_c_{column}"], "left").drop(f"_c_{column}")
    return joined.withColumn(f"_has_{dim.code}", F.coalesce(F.col(f"_has_{dim.code}_{column}"), F.lit(False))) \
        .drop(f"_has_{dim.code}_{column}")


def with_unknown_code(fact: DataFrame, keys: tuple[str, ...]) -> DataFrame:
    """Fact rows holding an unknown (-1) key that has a code: the rows that may resolve on a later run. Rows
    without a code (an anonymous sale's customer) never resolve."""
    return fact.where(" OR ".join(f"({k} = {UNKNOWN} AND {BY_KEY[k].code} IS NOT NULL)" for k in keys))


def now_resolvable(fact: DataFrame, keys: tuple[str, ...], dims: dict[str, DataFrame]) -> DataFrame:
    """Fact rows holding an unknown (-1) key whose code the dimension knows by now: the rows a later run
    re-derives. Rows whose code is still unknown are left alone (rewriting them would change nothing)."""
    frame = with_unknown_code(fact, keys)
    resolves = F.lit(False)
    for key in keys:
        dim = BY_KEY[key]
        frame = flag_codes(frame, dim.code, dims[dim.name], dim)
        resolves = resolves | ((F.col(key) == UNKNOWN) & F.col(f"_has_{dim.code}"))
    return frame.where(resolves)


def resolvable_rows(rows: pa.Table, keys: tuple[str, ...], dims: dict[str, pa.Table]) -> pa.Table:
    """`now_resolvable` for few rows held in the driver, against each dimension's key and code (read there too):
    the same rule, without a Spark job."""
    resolves = pa.repeat(pa.scalar(False), rows.num_rows)
    for key in keys:
        dim = BY_KEY[key]
        table = dims[dim.name]
        members = table.filter(pc.invert(pc.is_in(table[dim.key], pa.array([UNKNOWN, NOT_APPLICABLE], pa.int64()))))
        known = pc.is_in(rows[dim.code], value_set=members[dim.code].drop_null())  # a NULL code is never known
        resolves = pc.or_(resolves, pc.and_(pc.equal(rows[key], UNKNOWN), known).fill_null(False))
    return rows.filter(resolves)


def fact_sales(lines: DataFrame, products_history: DataFrame, dims: dict[str, DataFrame]) -> DataFrame:
    """One row per sales line (till and online), with the product cost valid when it was sold."""
    frame = flag_codes(lines, "store_code", dims["dim_store"], DIM_STORE)
    frame = flag_codes(frame, "sku", dims["dim_product"], DIM_PRODUCT)
    frame = flag_codes(frame, "customer_id", dims["dim_customer"], DIM_CUSTOMER)
    cost = _cost_at_sale(frame, products_history)
    channel = F.when(F.col("channel").isin([c for c, _ in CHANNELS]), surrogate(F.col("channel"))) \
        .otherwise(F.lit(UNKNOWN))
    gross = (F.col("quantity") * F.col("unit_price")).cast("decimal(14,2)")
    return cost.select(
        "sales_line_id", date_key(F.col("sale_ts")).alias("date_key"),
        key_of(F.col("store_code"), DIM_STORE).alias("store_key"),
        key_of(F.col("sku"), DIM_PRODUCT).alias("product_key"),
        key_of(F.col("customer_id"), DIM_CUSTOMER).alias("customer_key"),
        channel.cast("bigint").alias("channel_key"), "store_code", "sku", "customer_id", "channel", "document_id",
        "line_number", "transaction_type", "sale_ts", "quantity", "unit_price", gross.alias("gross_amount"),
        F.col("discount_amount").cast("decimal(14,2)").alias("discount_amount"),
        (gross - F.col("discount_amount")).cast("decimal(14,2)").alias("net_amount"),
        (F.col("quantity") * F.col("_unit_cost")).cast("decimal(14,2)").alias("cost_amount"), "promo_code",
        "sale_month")


def _cost_at_sale(frame: DataFrame, products_history: DataFrame) -> DataFrame:
    """The product version valid at the sale, or its first version when the sale came before the master data
    (a late-arriving product); NULL while the product is unknown."""
    versions = products_history.select(F.col("sku").alias("_sku"), "unit_cost", "valid_from", "valid_to")
    first = products_history.groupBy(F.col("sku").alias("_sku_first")).agg(
        F.min_by("unit_cost", "valid_from").alias("_first_cost"))
    at_time = frame.join(F.broadcast(versions), (frame["sku"] == versions["_sku"])
                         & (frame["sale_ts"] >= versions["valid_from"])
                         & (versions["valid_to"].isNull() | (frame["sale_ts"] < versions["valid_to"])), "left")
    with_first = at_time.join(F.broadcast(first), at_time["sku"] == first["_sku_first"], "left")
    return with_first.withColumn("_unit_cost", F.coalesce("unit_cost", "_first_cost")) \
        .drop("_sku", "unit_cost", "valid_from", "valid_to", "_sku_first", "_first_cost")


def fact_inventory_snapshot(counts: DataFrame, dims: dict[str, DataFrame]) -> DataFrame:
    frame = flag_codes(counts, "store_code", dims["dim_store"], DIM_STORE)
    frame = flag_codes(frame, "sku", dims["dim_product"], DIM_PRODUCT)
    return frame.select(
        date_key(F.col("count_date")).alias("date_key"),
        key_of(F.col("store_code"), DIM_STORE).alias("store_key"),
        key_of(F.col("sku"), DIM_PRODUCT).alias("product_key"),
        "store_code", "sku", "count_date", "on_hand_quantity", "count_month")


def fact_inventory_movement(movements: DataFrame, dims: dict[str, DataFrame]) -> DataFrame:
    frame = flag_codes(movements, "store_code", dims["dim_store"], DIM_STORE)
    frame = flag_codes(frame, "sku", dims["dim_product"], DIM_PRODUCT)
    return frame.select(
        "movement_id", date_key(F.col("movement_ts")).alias("date_key"),
        key_of(F.col("store_code"), DIM_STORE).alias("store_key"),
        key_of(F.col("sku"), DIM_PRODUCT).alias("product_key"),
        "store_code", "sku", "movement_ts", "movement_type", "quantity", "reference", "movement_month")


def fact_purchase_order_line(orders: DataFrame, lines: DataFrame, receipts: DataFrame,
                             dims: dict[str, DataFrame]) -> DataFrame:
    """One row per order line with what was received against it: the source of OTIF and fill rate."""
    received = receipts.groupBy("po_number", "line_number").agg(
        F.sum("quantity_received").alias("quantity_received"), F.min("received_date").alias("first_received_date"),
        F.max("received_date").alias("last_received_date"), F.count(F.lit(1)).alias("deliveries"))
    frame = lines.join(orders.select("po_number", "supplier_code", "store_code", "order_date", "promised_date",
                                     "status"), "po_number", "left") \
        .join(received, ["po_number", "line_number"], "left")
    frame = flag_codes(frame, "store_code", dims["dim_store"], DIM_STORE)
    frame = flag_codes(frame, "sku", dims["dim_product"], DIM_PRODUCT)
    frame = flag_codes(frame, "supplier_code", dims["dim_supplier"], DIM_SUPPLIER)
    qty = F.coalesce(F.col("quantity_received"), F.lit(0))
    on_time = F.col("first_received_date").isNotNull() & (F.col("first_received_date") <= F.col("promised_date"))
    in_full = qty >= F.col("quantity_ordered")
    return frame.select(
        "po_number", "line_number", date_key(F.col("order_date")).alias("order_date_key"),
        date_key(F.col("promised_date")).alias("promised_date_key"),
        date_key(F.col("first_received_date")).alias("received_date_key"),
        key_of(F.col("supplier_code"), DIM_SUPPLIER).alias("supplier_key"),
        key_of(F.col("store_code"), DIM_STORE).alias("store_key"),
        key_of(F.col("sku"), DIM_PRODUCT).alias("product_key"),
        "supplier_code", "store_code", "sku", "order_date", "promised_date", "first_received_date",
        "last_received_date", "status", "quantity_ordered", "unit_cost", qty.alias("quantity_received"),
        F.coalesce(F.col("deliveries"), F.lit(0)).alias("deliveries"),
        on_time.alias("is_on_time"), in_full.alias("is_in_full"),
        kpis.on_time_in_full(on_time, in_full).alias("otif"),
        F.datediff("first_received_date", "order_date").alias("lead_time_days"))


def fact_feedback(feedback: DataFrame, dims: dict[str, DataFrame]) -> DataFrame:
    frame = flag_codes(feedback, "store_code", dims["dim_store"], DIM_STORE)
    frame = flag_codes(frame, "sku", dims["dim_product"], DIM_PRODUCT)
    frame = flag_codes(frame, "customer_id", dims["dim_customer"], DIM_CUSTOMER)
    channel = F.when(F.col("channel").isin([c for c, _ in CHANNELS]), surrogate(F.col("channel"))) \
        .otherwise(F.lit(UNKNOWN))
    return frame.select(
        "feedback_id", date_key(F.col("submitted_at")).alias("date_key"),
        key_of(F.col("store_code"), DIM_STORE).alias("store_key"),
        key_of(F.col("sku"), DIM_PRODUCT).alias("product_key"),
        key_of(F.col("customer_id"), DIM_CUSTOMER).alias("customer_key"),
        channel.cast("bigint").alias("channel_key"), "order_id", "transaction_id", "store_code", "sku",
        "customer_id", "submitted_at", "rating", kpis.sentiment(F.col("rating")).alias("sentiment"), "comment")
