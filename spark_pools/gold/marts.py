"""KPI marts, recomputed from the gold facts on every run (they are small next to the facts, and a full
recompute makes an incremental run and a full rebuild agree by construction). Formulas come from `kpis`."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_pools.gold import kpis
from spark_pools.gold.star import date_key, is_member


def sales_daily(sales: DataFrame, products: DataFrame) -> DataFrame:
    """Sales by day × store × category: what the sales dashboards aggregate."""
    category = products.select("product_key", "category")
    return sales.join(F.broadcast(category), "product_key", "left").groupBy("date_key", "store_key", "category") \
        .agg(F.sum("quantity").alias("units"), F.sum("gross_amount").alias("gross_amount"),
             F.sum("discount_amount").alias("discount_amount"), F.sum("net_amount").alias("net_amount"),
             F.sum("cost_amount").alias("cost_amount"),
             (F.sum("net_amount") - F.sum("cost_amount")).alias("gross_margin"),
             F.countDistinct("document_id").alias("transactions"), F.count(F.lit(1)).alias("lines"))


def _as_of(snapshot: DataFrame) -> object:
    return snapshot.agg(F.max("count_date")).first()[0]


def _daily_demand(sales: DataFrame, as_of: object) -> DataFrame:
    """Per store and product: mean and sample standard deviation of daily units sold over the demand window
    (shortened to the history there is), counting days without sales as zero."""
    sold = sales.where((F.col("transaction_type") == "SALE") & (F.to_date("sale_ts") <= F.lit(as_of)))
    first_day = sold.agg(F.min(F.to_date("sale_ts"))).first()[0] or as_of
    days = min(kpis.DEMAND_WINDOW_DAYS, (as_of - first_day).days + 1)
    window_start = F.date_sub(F.lit(as_of), days - 1)
    daily = sold.where(F.to_date("sale_ts") >= window_start) \
        .groupBy("store_key", "product_key", F.to_date("sale_ts").alias("day")).agg(F.sum("quantity").alias("units"))
    stats = daily.groupBy("store_key", "product_key").agg(F.sum("units").alias("s1"),
                                                          F.sum(F.col("units") * F.col("units")).alias("s2"))
    n = float(days)
    mean = F.col("s1") / n
    variance = F.greatest(F.lit(0.0), F.col("s2") / n - mean * mean) * n / max(n - 1, 1.0)
    return stats.select("store_key", "product_key",
                        kpis.average_daily_demand(F.col("s1"), days).alias("avg_daily_demand"),
                        F.sqrt(variance).alias("demand_sd"))


def _lead_times(orders: DataFrame) -> DataFrame:
    """Per supplier: mean and standard deviation of the actual lead time (order date to first delivery)."""
    return orders.where(F.col("lead_time_days").isNotNull()).groupBy("supplier_key").agg(
        F.avg("lead_time_days").alias("lead_time_days"),
        F.coalesce(F.stddev_samp("lead_time_days"), F.lit(0.0)).alias("lead_time_sd"))


def inventory_position(snapshot: DataFrame, sales: DataFrame, orders: DataFrame, products: DataFrame,
                       suppliers: DataFrame) -> DataFrame:
    """Latest stock per store × product with days of supply, reorder point and a recommended order."""
    as_of = _as_of(snapshot)
    latest = snapshot.where(F.col("count_date") == F.lit(as_of))
    on_order = orders.where(F.col("first_received_date").isNull()).groupBy("store_key", "product_key") \
        .agg(F.sum("quantity_ordered").alias("on_order"))
    supplier_of = products.select("product_key", "supplier_key")
    promised = suppliers.select("supplier_key", F.col("promised_lead_time_days").cast("double").alias("promised"))
    frame = latest.join(_daily_demand(sales, as_of), ["store_key", "product_key"], "left") \
        .join(on_order, ["store_key", "product_key"], "left") \
        .join(F.broadcast(supplier_of), "product_key", "left") \
        .join(F.broadcast(_lead_times(orders)), "supplier_key", "left") \
        .join(F.broadcast(promised), "supplier_key", "left")
    demand = F.coalesce(F.col("avg_daily_demand"), F.lit(0.0))
    demand_sd = F.coalesce(F.col("demand_sd"), F.lit(0.0))
    lead = F.coalesce(F.col("lead_time_days"), F.col("promised"), F.lit(0.0))
    lead_sd = F.coalesce(F.col("lead_time_sd"), F.lit(0.0))
    on_hand, open_orders = F.col("on_hand_quantity"), F.coalesce(F.col("on_order"), F.lit(0))
    safety = kpis.safety_stock(demand, demand_sd, lead, lead_sd)
    reorder = kpis.reorder_point(demand, lead, safety)
    return frame.select(
        "date_key", "store_key", "product_key", on_hand.alias("on_hand_quantity"), open_orders.alias("on_order"),
        demand.alias("avg_daily_demand"), demand_sd.alias("demand_sd"), lead.alias("lead_time_days"),
        lead_sd.alias("lead_time_sd"), safety.alias("safety_stock"), reorder.alias("reorder_point"),
        kpis.days_of_supply(on_hand, demand).alias("days_of_supply"),
        kpis.recommended_order_quantity(reorder, demand, on_hand, open_orders).alias("recommended_order_quantity"),
        ((on_hand + open_orders) < reorder).alias("below_reorder_point"))


def stock_performance(snapshot: DataFrame, sales: DataFrame, movements: DataFrame, products: DataFrame) -> DataFrame:
    """Per store × product over the whole period: stock turnover, GMROI and sell-through."""
    cost = products.select("product_key", "unit_cost")
    first_day = snapshot.agg(F.min("count_date")).first()[0]
    stock = snapshot.join(F.broadcast(cost), "product_key", "left").groupBy("store_key", "product_key").agg(
        F.avg(F.col("on_hand_quantity") * F.col("unit_cost")).alias("average_inventory_cost"),
        F.avg("on_hand_quantity").alias("average_on_hand"),
        F.sum(F.when(F.col("count_date") == F.lit(first_day), F.col("on_hand_quantity"))).alias("opening_on_hand"))
    sold = sales.groupBy("store_key", "product_key").agg(
        F.sum(F.when(F.col("transaction_type") == "SALE", F.col("quantity")).otherwise(0)).alias("units_sold"),
        F.sum("net_amount").alias("net_amount"), F.sum("cost_amount").alias("cost_of_goods_sold"))
    received = movements.where(F.col("movement_type").isin("RECEIPT", "INITIAL")) \
        .where(F.col("date_key") > date_key(F.lit(first_day))) \
        .groupBy("store_key", "product_key").agg(F.sum("quantity").alias("units_received"))
    frame = stock.join(sold, ["store_key", "product_key"], "full") \
        .join(received, ["store_key", "product_key"], "left").fillna(0, ["units_sold", "units_received"])
    margin = F.col("net_amount") - F.col("cost_of_goods_sold")
    return frame.select(
        "store_key", "product_key", "units_sold", "net_amount", "cost_of_goods_sold", margin.alias("gross_margin"),
        "average_on_hand", "average_inventory_cost", "opening_on_hand", "units_received",
        kpis.stock_turnover(F.col("cost_of_goods_sold"), F.col("average_inventory_cost")).alias("stock_turnover"),
        kpis.gmroi(margin, F.col("average_inventory_cost")).alias("gmroi"),
        kpis.sell_through(F.col("units_sold"), F.coalesce(F.col("opening_on_hand"), F.lit(0)),
                          F.col("units_received")).alias("sell_through"))


def supplier_performance(orders: DataFrame, as_of: object) -> DataFrame:
    """Per supplier, over the order lines due by the as-of date: OTIF rate, fill rate and lead time."""
    due = orders.where(F.col("promised_date") <= F.lit(as_of))
    return due.groupBy("supplier_key").agg(
        F.count(F.lit(1)).alias("lines_due"), F.sum(F.col("is_on_time").cast("int")).alias("lines_on_time"),
        F.sum(F.col("is_in_full").cast("int")).alias("lines_in_full"), F.avg("otif").alias("otif_rate"),
        F.sum("quantity_ordered").alias("units_ordered"), F.sum("quantity_received").alias("units_received"),
        kpis.fill_rate(F.sum("quantity_received"), F.sum("quantity_ordered")).alias("fill_rate"),
        F.avg("lead_time_days").alias("average_lead_time_days"))


def customer_rfm(sales: DataFrame, as_of: object) -> DataFrame:
    known = sales.where(is_member(F.col("customer_key")))
    per_customer = known.groupBy("customer_key").agg(
        F.datediff(F.lit(as_of), F.max(F.to_date("sale_ts"))).alias("recency_days"),
        F.countDistinct("document_id").alias("frequency"), F.sum("net_amount").alias("monetary"))
    return kpis.rfm_segments(per_customer)


def feedback_summary(feedback: DataFrame) -> DataFrame:
    """Rating and sentiment by product × store."""
    return feedback.where(F.col("rating").isNotNull()).groupBy("product_key", "store_key").agg(
        F.count(F.lit(1)).alias("responses"), F.avg("rating").alias("average_rating"),
        F.avg((F.col("sentiment") == "positive").cast("int")).alias("positive_share"),
        F.avg((F.col("sentiment") == "negative").cast("int")).alias("negative_share"))
