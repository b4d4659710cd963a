"""KPI marts, computed from the gold facts (they are small next to the facts). Each is recomputed whole when
its inputs change, which makes an incremental run and a full rebuild agree by construction; the daily sales
mart, whose rows each depend on one day, is recomputed only on the days that changed, and stock performance is
summed from monthly sums of which only the months that changed are recomputed (`build.py`). Formulas come from
`kpis`."""

from __future__ import annotations

from datetime import date, timedelta

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, DecimalType

from spark_pools.gold import kpis
from spark_pools.gold.star import date_key, is_member, month_of
from spark_pools.silver.entities import INVENTORY_COUNTS, INVENTORY_MOVEMENTS, SALES_LINES

MONEY = ("gross_amount", "discount_amount", "net_amount", "cost_amount")


def sales_daily(sales: DataFrame, products: DataFrame) -> DataFrame:
    """Sales by day × store × category: what the sales dashboards aggregate. Each day's rows depend only on that
    day's sales and the products' categories (`build.py` refreshes only the days that changed).

    Summed per document first, then per day × store × category, each document being one transaction: the same
    result as a distinct count of documents without Spark's expand of every line for it (6.3 M lines: a quarter
    to a third less time on 2 cores). Money is decimal, so the sums are exact in any order."""
    category = products.select("product_key", "category")
    per_document = sales.join(F.broadcast(category), "product_key", "left") \
        .groupBy("date_key", "store_key", "category", "document_id") \
        .agg(F.sum("quantity").alias("units"), *[F.sum(c).alias(c) for c in MONEY], F.count(F.lit(1)).alias("lines"))
    money = {c: _line_sum(c, sales) for c in MONEY}
    return per_document.groupBy("date_key", "store_key", "category").agg(
        F.sum("units").alias("units"), *[total.alias(c) for c, total in money.items()],
        (money["net_amount"] - money["cost_amount"]).alias("gross_margin"),
        F.count(F.lit(1)).alias("transactions"), F.sum("lines").alias("lines"))


def _line_sum(column: str, lines: DataFrame) -> Column:
    """The sum of per-document sums, typed as Spark types a sum over the lines themselves (a decimal sum widens by
    ten digits each time): the marts' column types do not depend on how they were aggregated."""
    line = lines.schema[column].dataType
    if isinstance(line, DecimalType):
        return F.sum(column).cast(DecimalType(min(38, line.precision + 10), line.scale))
    return F.sum(column)


def _daily_demand(sales: DataFrame, as_of: date) -> DataFrame:
    """Per store and product: mean and sample standard deviation of daily units sold over the demand window
    (shortened to the history there is), counting days without sales as zero.

    Only the window's months are read (the fact is partitioned by month); the months before it matter only in
    whether they hold any sale, which a one-row probe answers."""
    sale = F.col("transaction_type") == "SALE"
    window_start = as_of - timedelta(days=kpis.DEMAND_WINDOW_DAYS - 1)
    sold = sales.where(sale & F.col("sale_month").between(month_of(window_start), month_of(as_of))
                       & (F.to_date("sale_ts") <= F.lit(as_of)))
    earlier = sales.where(sale & (F.col("sale_month") < month_of(window_start))).limit(1).count() > 0
    first_day = window_start if earlier else (sold.agg(F.min(F.to_date("sale_ts"))).first()[0] or as_of)
    days = min(kpis.DEMAND_WINDOW_DAYS, (as_of - first_day).days + 1)
    daily = sold.where(F.to_date("sale_ts") >= F.date_sub(F.lit(as_of), days - 1)) \
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
                       suppliers: DataFrame, as_of: date) -> DataFrame:
    """Stock per store × product at the last count (`as_of`) with days of supply, reorder point and a recommended
    order."""
    latest = snapshot.where((F.col("count_month") == month_of(as_of)) & (F.col("count_date") == F.lit(as_of)))
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


# The monthly partition column of each fact stock performance adds up: their silver entities'.
STOCK_FACTS = {"fact_inventory_snapshot": INVENTORY_COUNTS.partition, "fact_sales": SALES_LINES.partition,
               "fact_inventory_movement": INVENTORY_MOVEMENTS.partition}


def stock_by_month(snapshot: DataFrame, sales: DataFrame, movements: DataFrame, first_day: date) -> DataFrame:
    """Per month × store × product, the sums `stock_performance` adds up over the period that starts at `first_day`:
    stock counted (rows, counts, their sum, the opening stock counted on the first day), sales (lines, units sold,
    net amount, its cost) and units received after the first day.

    A month's rows depend only on that month's rows of the three facts, so an incremental run recomputes only the
    months it changed (`build.py`), and stock performance reads a row per month and pair instead of the facts."""
    keys = ["month", "store_key", "product_key"]
    stock = snapshot.groupBy(F.col(STOCK_FACTS["fact_inventory_snapshot"]).alias("month"), "store_key",
                             "product_key").agg(
        F.count(F.lit(1)).alias("stock_rows"), F.count("on_hand_quantity").alias("counts"),
        F.sum("on_hand_quantity").alias("on_hand_sum"),
        F.sum(F.when(F.col("count_date") == F.lit(first_day), F.col("on_hand_quantity"))).alias("opening_on_hand"))
    sold = sales.groupBy(F.col(STOCK_FACTS["fact_sales"]).alias("month"), "store_key", "product_key").agg(
        F.count(F.lit(1)).alias("sales_lines"),
        F.sum(F.when(F.col("transaction_type") == "SALE", F.col("quantity")).otherwise(0)).alias("units_sold"),
        F.sum("net_amount").alias("net_amount"), F.sum("cost_amount").alias("cost_of_goods_sold"))
    received = movements.where(F.col("movement_type").isin("RECEIPT", "INITIAL")) \
        .where(F.col("date_key") > date_key(F.lit(first_day))) \
        .groupBy(F.col(STOCK_FACTS["fact_inventory_movement"]).alias("month"), "store_key", "product_key") \
        .agg(F.sum("quantity").alias("units_received"))
    return stock.join(sold, keys, "full").join(received, keys, "full")


def stock_performance(by_month: DataFrame, products: DataFrame) -> DataFrame:
    """Per store × product counted or sold in the period (`stock_by_month`): stock turnover, GMROI and
    sell-through. The stock figures are empty where the pair was never counted, as they all are before any count.

    Summed over the months, each sum typed as the month's (a sum widens a decimal by ten digits each time); the
    average inventory at cost is the unit cost × the stock summed over the counts, / the counts."""
    summed = by_month.groupBy("store_key", "product_key").agg(*[
        F.sum(c).cast(by_month.schema[c].dataType).alias(c) for c in (
            "stock_rows", "counts", "on_hand_sum", "opening_on_hand", "sales_lines", "units_sold", "net_amount",
            "cost_of_goods_sold", "units_received")])
    frame = summed.where((F.col("stock_rows") > 0) | (F.col("sales_lines") > 0)) \
        .join(F.broadcast(products.select("product_key", "unit_cost")), "product_key", "left") \
        .fillna(0, ["units_sold", "units_received"])
    counted = F.col("counts") > 0
    frame = frame.withColumns({
        "average_on_hand": F.when(counted, F.col("on_hand_sum") / F.col("counts")),
        "average_inventory_cost": F.when(counted, _average(
            F.col("unit_cost") * F.col("on_hand_sum"), F.col("counts"), products.schema["unit_cost"].dataType))})
    margin = F.col("net_amount") - F.col("cost_of_goods_sold")
    return frame.select(
        "store_key", "product_key", "units_sold", "net_amount", "cost_of_goods_sold", margin.alias("gross_margin"),
        "average_on_hand", "average_inventory_cost", "opening_on_hand", "units_received",
        kpis.stock_turnover(F.col("cost_of_goods_sold"), F.col("average_inventory_cost")).alias("stock_turnover"),
        kpis.gmroi(margin, F.col("average_inventory_cost")).alias("gmroi"),
        kpis.sell_through(F.col("units_sold"), F.coalesce(F.col("opening_on_hand"), F.lit(0)),
                          F.col("units_received")).alias("sell_through"))


def _average(total: Column, count: Column, unit: DataType) -> Column:
    """`total` / `count`, typed as Spark's average of int × `unit` values: a double, or for a decimal unit a
    decimal(p + 4, s + 4) of the product's type, rounded half-up. The decimal quotient is taken to 13 places first
    (a 27-digit total over a 10-digit count keeps them all), which changes the rounding only when places 7 to 13
    read 4999999."""
    if not isinstance(unit, DecimalType):
        return total.cast("double") / count
    product = DecimalType(min(38, unit.precision + 11), unit.scale)  # int is decimal(10, 0): p1 + p2 + 1
    average = DecimalType(min(38, product.precision + 4), min(38, product.scale + 4))
    return (total.cast(DecimalType(27, unit.scale)) / count.cast(DecimalType(10, 0))).cast(average)


def supplier_performance(orders: DataFrame, as_of: date) -> DataFrame:
    """Per supplier, over the order lines due by the as-of date: OTIF rate, fill rate and lead time."""
    due = orders.where(F.col("promised_date") <= F.lit(as_of))
    return due.groupBy("supplier_key").agg(
        F.count(F.lit(1)).alias("lines_due"), F.sum(F.col("is_on_time").cast("int")).alias("lines_on_time"),
        F.sum(F.col("is_in_full").cast("int")).alias("lines_in_full"), F.avg("otif").alias("otif_rate"),
        F.sum("quantity_ordered").alias("units_ordered"), F.sum("quantity_received").alias("units_received"),
        kpis.fill_rate(F.sum("quantity_received"), F.sum("quantity_ordered")).alias("fill_rate"),
        F.avg("lead_time_days").alias("average_lead_time_days"))


def customer_by_month(sales: DataFrame) -> DataFrame:
    """Per month × known customer, the sums `customer_rfm` adds up: documents bought, the last day bought on and the
    net amount. A month's rows depend only on that month's sales, so an incremental run recomputes only the months
    it changed (`build.py`), and RFM reads a row per month and customer instead of every sales line.

    Summed per document first (as in `sales_daily`). A document is one purchase in each month it has lines in:
    every line of a transaction or order carries the document's own timestamp, so that is one month."""
    month = F.col(SALES_LINES.partition).alias("month")
    per_document = sales.where(is_member(F.col("customer_key"))).groupBy(month, "customer_key", "document_id").agg(
        F.max(F.to_date("sale_ts")).alias("last_day"), F.sum("net_amount").alias("net_amount"))
    return per_document.groupBy("month", "customer_key").agg(
        F.count(F.lit(1)).alias("documents"), F.max("last_day").alias("last_day"),
        _line_sum("net_amount", sales).alias("net_amount"))


def customer_rfm(by_month: DataFrame, as_of: date) -> DataFrame:
    """Recency, frequency (documents) and monetary value per known customer, summed over the months of
    `customer_by_month` (each sum typed as the month's), then segmented."""
    per_customer = by_month.groupBy("customer_key").agg(
        F.datediff(F.lit(as_of), F.max("last_day")).alias("recency_days"),
        F.sum("documents").alias("frequency"),
        F.sum("net_amount").cast(by_month.schema["net_amount"].dataType).alias("monetary"))
    return kpis.rfm_segments(per_customer)


def feedback_summary(feedback: DataFrame) -> DataFrame:
    """Rating and sentiment by product × store."""
    return feedback.where(F.col("rating").isNotNull()).groupBy("product_key", "store_key").agg(
        F.count(F.lit(1)).alias("responses"), F.avg("rating").alias("average_rating"),
        F.avg((F.col("sentiment") == "positive").cast("int")).alias("positive_share"),
        F.avg((F.col("sentiment") == "negative").cast("int")).alias("negative_share"))
