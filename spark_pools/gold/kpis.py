"""Every KPI formula of the platform, in one place, each documented where it is defined.

Functions take and return Spark Columns (or, for RFM, a DataFrame), so the marts and tests derive from these
definitions. The SQL pool's reporting views (sql_pools/database/repeatable/R__10_reporting_views.sql) restate
them in T-SQL, and `retail warehouse build` checks both computations give the same values.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

SERVICE_LEVEL_Z = 1.65  # one-sided z for a 95 % cycle service level
DEMAND_WINDOW_DAYS = 28  # average daily demand and its variability are measured over the last 4 weeks
REVIEW_PERIOD_DAYS = 7  # stores are replenished weekly: an order must cover demand until the next review


def average_daily_demand(units_in_window: Column, window_days: int = DEMAND_WINDOW_DAYS) -> Column:
    """Units sold in the window / days in the window (days without sales count as zero demand)."""
    return units_in_window / F.lit(window_days)


def safety_stock(avg_demand: Column, demand_sd: Column, avg_lead_days: Column, lead_sd_days: Column,
                 z: float = SERVICE_LEVEL_Z) -> Column:
    """z × sqrt(L × σd² + d² × σL²): covers demand variability over the lead time and lead-time variability
    at the average demand (both independent, normally distributed)."""
    demand_term = avg_lead_days * demand_sd * demand_sd
    lead_term = avg_demand * avg_demand * lead_sd_days * lead_sd_days
    return F.lit(z) * F.sqrt(demand_term + lead_term)


def reorder_point(avg_demand: Column, avg_lead_days: Column, safety: Column) -> Column:
    """Average daily demand × average lead time + safety stock: reorder when stock position falls below it."""
    return avg_demand * avg_lead_days + safety


def days_of_supply(on_hand: Column, avg_demand: Column) -> Column:
    """On hand / average daily demand; NULL when nothing sells (supply is not finite then)."""
    return F.when(avg_demand > 0, on_hand / avg_demand)


def recommended_order_quantity(reorder: Column, avg_demand: Column, on_hand: Column, on_order: Column,
                               review_days: int = REVIEW_PERIOD_DAYS) -> Column:
    """Order up to (reorder point + demand over one review period) minus the stock position (on hand + on
    order), rounded up to whole units; zero when the position already covers it."""
    target = reorder + avg_demand * F.lit(review_days)
    return F.greatest(F.lit(0), F.ceil(target - on_hand - on_order)).cast("long")


def stock_turnover(cost_of_goods_sold: Column, average_inventory_cost: Column) -> Column:
    """Cost of goods sold / average inventory at cost, over the same period."""
    return F.when(average_inventory_cost > 0, cost_of_goods_sold / average_inventory_cost)


def gmroi(gross_margin: Column, average_inventory_cost: Column) -> Column:
    """Gross margin return on inventory investment: gross margin / average inventory at cost."""
    return F.when(average_inventory_cost > 0, gross_margin / average_inventory_cost)


def sell_through(units_sold: Column, opening_on_hand: Column, units_received: Column) -> Column:
    """Units sold / units available (opening stock + units received in the period)."""
    available = opening_on_hand + units_received
    return F.when(available > 0, units_sold / available)


def on_time_in_full(on_time: Column, in_full: Column) -> Column:
    """A purchase order line is OTIF when its first delivery came by the promised date and the quantity
    received reached the quantity ordered. Rate = OTIF lines / lines due (averaging this 0/1 column)."""
    return (on_time & in_full).cast("int")


def fill_rate(units_received: Column, units_ordered: Column) -> Column:
    """Units received / units ordered, over the lines that were due."""
    return F.when(units_ordered > 0, units_received / units_ordered)


def sentiment(rating: Column) -> Column:
    """Ratings 4-5 are positive, 3 neutral, 1-2 negative."""
    return F.when(rating >= 4, "positive").when(rating == 3, "neutral").otherwise("negative")


def rfm_segments(customers: DataFrame) -> DataFrame:
    """Recency (days since the last purchase), frequency (purchases) and monetary (net spend) scored 1-5 by
    quintile (5 best), then named segments:
    Champions R≥4 F≥4 · Loyal F≥4 · New R≥4 F≤2 · At risk R≤2 F≥3 · Hibernating R≤2 F≤2 · Promising (the rest).
    Expects columns recency_days, frequency, monetary."""
    score = {
        "r_score": F.ntile(5).over(Window.orderBy(F.col("recency_days").desc(), "customer_key")),
        "f_score": F.ntile(5).over(Window.orderBy(F.col("frequency").asc(), "customer_key")),
        "m_score": F.ntile(5).over(Window.orderBy(F.col("monetary").asc(), "customer_key")),
    }
    scored = customers.withColumns(score)
    r, f = F.col("r_score"), F.col("f_score")
    segment = (F.when((r >= 4) & (f >= 4), "Champions").when(f >= 4, "Loyal").when((r >= 4) & (f <= 2), "New")
               .when((r <= 2) & (f >= 3), "At risk").when((r <= 2) & (f <= 2), "Hibernating").otherwise("Promising"))
    return scored.withColumn("segment", segment)
