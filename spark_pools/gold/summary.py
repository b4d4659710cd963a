"""A short KPI summary of the gold marts, for the demo and for a quick look after a run."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake


def kpi_summary(spark: SparkSession, settings: Settings) -> dict[str, list[dict]]:
    def gold(name: str) -> DataFrame:
        return lake.read(spark, lake.table_path(settings, "gold", name))

    regions = gold("mart_sales_daily").join(gold("dim_store").select("store_key", "region"), "store_key") \
        .groupBy("region").agg(F.round(F.sum("net_amount"), 2).cast("double").alias("net_revenue"),
                               F.round(F.sum("gross_margin") / F.sum("net_amount"), 3).cast("double")
                               .alias("margin_rate"), F.sum("units").alias("units")) \
        .orderBy(F.desc("net_revenue"))
    position = gold("mart_inventory_position").agg(
        F.count(F.lit(1)).alias("store_products"),
        F.sum(F.col("below_reorder_point").cast("int")).alias("below_reorder_point"),
        F.sum((F.col("on_hand_quantity") == 0).cast("int")).alias("out_of_stock"),
        F.sum("recommended_order_quantity").alias("units_to_order"),
        F.round(F.expr("percentile_approx(days_of_supply, 0.5)"), 1).cast("double").alias("median_days_of_supply"))
    suppliers = gold("mart_supplier_performance").agg(
        F.sum("lines_due").alias("lines_due"),
        F.round(F.sum(F.col("otif_rate") * F.col("lines_due")) / F.sum("lines_due"), 3).cast("double")
        .alias("otif_rate"),
        F.round(F.sum("units_received") / F.sum("units_ordered"), 3).cast("double").alias("fill_rate"))
    segments = gold("mart_customer_rfm").groupBy("segment").agg(F.count(F.lit(1)).alias("customers")) \
        .orderBy(F.desc("customers"))
    quality = lake.read(spark, lake.table_path(settings, "_ops", "run_metrics")).where("job = 'silver'") \
        .groupBy("entity").agg(F.sum("rows_read").alias("read"), F.sum("rows_written").alias("written"),
                               F.sum("rows_quarantined").alias("quarantined"),
                               F.sum("rows_deduplicated").alias("deduplicated")).orderBy("entity")
    return {
        "Sales by region": [r.asDict() for r in regions.collect()],
        "Inventory and replenishment": [r.asDict() for r in position.collect()],
        "Suppliers": [r.asDict() for r in suppliers.collect()],
        "Customer segments (RFM)": [r.asDict() for r in segments.collect()],
        "Data quality (silver, all loads)": [r.asDict() for r in quality.collect()],
    }
