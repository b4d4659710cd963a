"""Gold built end to end: before any stock count, the last sale is the marts' as-of day."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_pools import lake
from spark_pools.gold.derived import gold_path
from spark_pools.gold.star import is_member
from spark_pools.jobs import run_gold
from spark_pools.silver.build import silver_path
from tests.spark_pools.scenario import Scenario

pytestmark = pytest.mark.spark


@pytest.mark.timeout(300)
def test_gold_builds_before_any_stock_count_with_the_last_sale_as_its_as_of_day(medallion: Scenario,
                                                                                 tmp_path: Path) -> None:
    """A deployment whose inventory feed has not delivered yet: the marts' period is the sales' (no as-of count)."""
    spark, settings = medallion.spark, medallion.full.with_lake(tmp_path / "lake", tmp_path / "landing")
    for folder in ("silver", "_ops"):
        shutil.copytree(Path(lake.root(medallion.full)) / folder, tmp_path / "lake" / folder)
    counts = silver_path(settings, "inventory_counts")
    lake.write(lake.read(spark, counts).limit(0), counts, "overwrite")  # no stock counted yet
    run_gold(settings, full=True, spark=spark)

    def gold(name: str) -> DataFrame:
        return lake.read(spark, gold_path(settings, name))

    assert gold("fact_inventory_snapshot").count() == 0
    assert gold("mart_inventory_position").count() == 0
    performance = gold("mart_stock_performance")
    assert performance.count() > 0
    assert performance.where(F.col("average_on_hand").isNotNull() | F.col("opening_on_hand").isNotNull()).count() == 0
    sales = gold("fact_sales")
    last_sale = sales.agg(F.max(F.to_date("sale_ts"))).first()[0]
    due = gold("fact_purchase_order_line").where(F.col("promised_date") <= F.lit(last_sale)).count()
    assert 0 < due < gold("fact_purchase_order_line").count()  # the as-of day decides which lines are due
    assert gold("mart_supplier_performance").agg(F.sum("lines_due")).first()[0] == due
    known_last = sales.where(is_member(F.col("customer_key"))).agg(F.max(F.to_date("sale_ts"))).first()[0]
    assert gold("mart_customer_rfm").agg(F.min("recency_days")).first()[0] == (last_sale - known_last).days
