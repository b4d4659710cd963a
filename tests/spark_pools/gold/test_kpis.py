"""Each KPI against a value worked out by hand on a small fixture."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from spark_pools.gold import kpis, marts

pytestmark = pytest.mark.spark


def one(spark: SparkSession, **values: float) -> DataFrame:
    frame = spark.createDataFrame([tuple(float(v) for v in values.values())],
                                  ", ".join(f"{k} double" for k in values))
    return frame


def test_replenishment_formulas(spark: SparkSession) -> None:
    f = one(spark, d=10, sd=3, lt=5, lt_sd=1, on_hand=40, on_order=20)
    ss = kpis.safety_stock(F.col("d"), F.col("sd"), F.col("lt"), F.col("lt_sd"))
    rop = kpis.reorder_point(F.col("d"), F.col("lt"), ss)
    row = f.select(ss.alias("ss"), rop.alias("rop"), kpis.days_of_supply(F.col("on_hand"), F.col("d")).alias("dos"),
                   kpis.recommended_order_quantity(rop, F.col("d"), F.col("on_hand"), F.col("on_order")).alias("roq"),
                   kpis.days_of_supply(F.col("on_hand"), F.lit(0.0)).alias("dos_zero")).first()
    # SS = 1.65 * sqrt(5 * 3² + 10² * 1²) = 1.65 * sqrt(145)
    assert row.ss == pytest.approx(1.65 * math.sqrt(145))
    assert row.rop == pytest.approx(50 + 1.65 * math.sqrt(145))  # 10 * 5 + SS = 69.87
    assert row.dos == pytest.approx(4.0)
    assert row.roq == 80  # ceil(69.87 + 10 * 7 - 40 - 20)
    assert row.dos_zero is None


def test_turnover_gmroi_and_sell_through(spark: SparkSession) -> None:
    row = one(spark, cogs=600, inv=200, margin=300, sold=30, opening=20, received=40).select(
        kpis.stock_turnover(F.col("cogs"), F.col("inv")).alias("turnover"),
        kpis.gmroi(F.col("margin"), F.col("inv")).alias("gmroi"),
        kpis.sell_through(F.col("sold"), F.col("opening"), F.col("received")).alias("sell_through"),
        kpis.stock_turnover(F.col("cogs"), F.lit(0.0)).alias("no_stock")).first()
    assert (row.turnover, row.gmroi, row.sell_through, row.no_stock) == (3.0, 1.5, 0.5, None)


def test_supplier_on_time_in_full_and_fill_rate(spark: SparkSession) -> None:
    rows = [  # supplier, promised, first received, ordered, received
        (1, date(2026, 1, 10), date(2026, 1, 9), 10, 10),   # on time, in full
        (1, date(2026, 1, 10), date(2026, 1, 12), 10, 10),  # late
        (1, date(2026, 1, 10), date(2026, 1, 10), 10, 6),   # short
        (1, date(2026, 1, 11), None, 10, 0),                # due, nothing came
        (1, date(2026, 2, 1), None, 10, 0),                 # not due yet: left out
    ]
    frame = spark.createDataFrame(rows, "supplier_key long, promised_date date, first_received_date date, "
                                        "quantity_ordered int, quantity_received int")
    on_time = F.col("first_received_date").isNotNull() & (F.col("first_received_date") <= F.col("promised_date"))
    in_full = F.col("quantity_received") >= F.col("quantity_ordered")
    frame = frame.withColumns({"is_on_time": on_time, "is_in_full": in_full,
                               "otif": kpis.on_time_in_full(on_time, in_full),
                               "lead_time_days": F.lit(None).cast("int")})
    row = marts.supplier_performance(frame, date(2026, 1, 20)).first()
    assert row.lines_due == 4
    assert (row.lines_on_time, row.lines_in_full) == (2, 2)
    assert row.otif_rate == pytest.approx(0.25)
    assert row.fill_rate == pytest.approx(26 / 40)


def test_inventory_position(spark: SparkSession) -> None:
    as_of = date(2026, 1, 4)
    snapshot = spark.createDataFrame([(20260103, 1, 7, date(2026, 1, 3), 12, "2026-01"),
                                      (20260104, 1, 7, as_of, 10, "2026-01")],
                                     "date_key int, store_key long, product_key long, count_date date, "
                                     "on_hand_quantity int, count_month string")
    sales = spark.createDataFrame(
        [(1, 7, datetime(2026, 1, day, 12), "SALE", units, "2026-01")
         for day, units in ((1, 2), (2, 4), (3, 2), (4, 4))]
        + [(1, 7, datetime(2026, 1, 5, 9), "SALE", 50, "2026-01")],  # after the last count: not demand yet
        "store_key long, product_key long, sale_ts timestamp, transaction_type string, quantity int, "
        "sale_month string")
    orders = spark.createDataFrame(
        [(1, 7, 3, date(2025, 12, 1), 4, 12), (1, 7, 3, date(2025, 12, 1), 6, 12),
         (1, 7, 3, None, None, 12)],
        "store_key long, product_key long, supplier_key long, first_received_date date, lead_time_days int, "
        "quantity_ordered int")
    products = spark.createDataFrame([(7, 3)], "product_key long, supplier_key long")
    suppliers = spark.createDataFrame([(3, 9)], "supplier_key long, promised_lead_time_days int")
    [row] = marts.inventory_position(snapshot, sales, orders, products, suppliers, as_of).collect()
    # demand 2,4,2,4 over 4 days of history: mean 3, sample sd sqrt(4/3); lead times 4 and 6: mean 5, sd sqrt(2)
    ss = 1.65 * math.sqrt(5 * 4 / 3 + 9 * 2)
    assert row.avg_daily_demand == pytest.approx(3.0)
    assert row.demand_sd == pytest.approx(math.sqrt(4 / 3))
    assert (row.lead_time_days, row.lead_time_sd) == (pytest.approx(5.0), pytest.approx(math.sqrt(2)))
    assert row.on_order == 12
    assert row.safety_stock == pytest.approx(ss)
    assert row.reorder_point == pytest.approx(15 + ss)
    assert row.days_of_supply == pytest.approx(10 / 3)
    assert row.recommended_order_quantity == math.ceil(15 + ss + 21 - 10 - 12)
    assert row.below_reorder_point  # 10 + 12 < 23.2


@pytest.mark.parametrize("december", [True, False])
def test_demand_window_reads_its_months_and_knows_older_history(spark: SparkSession, december: bool) -> None:
    as_of = date(2026, 2, 10)  # the 28-day window starts on 14 January
    snapshot = spark.createDataFrame([(20260210, store, 7, as_of, 5, "2026-02") for store in (1, 2)],
                                     "date_key int, store_key long, product_key long, count_date date, "
                                     "on_hand_quantity int, count_month string")
    sales = spark.createDataFrame(
        [(1, datetime(2025, 12, 20, 10), 9)] * december
        + [(1, datetime(2026, 1, 13, 10), 9), (1, datetime(2026, 1, 14, 10), 7),
         (1, datetime(2026, 2, 10, 10), 7), (1, datetime(2026, 2, 11, 10), 9),
         (2, datetime(2026, 1, 2, 10), 9), (2, datetime(2026, 2, 10, 10), 14)],
        "store_key long, sale_ts timestamp, quantity int") \
        .select("store_key", F.lit(7).cast("long").alias("product_key"), "sale_ts", F.lit("SALE").alias(
            "transaction_type"), "quantity", F.date_format("sale_ts", "yyyy-MM").alias("sale_month"))
    orders = spark.createDataFrame([], "store_key long, product_key long, supplier_key long, "
                                       "first_received_date date, lead_time_days int, quantity_ordered int")
    products = spark.createDataFrame([(7, 3)], "product_key long, supplier_key long")
    suppliers = spark.createDataFrame([(3, 9)], "supplier_key long, promised_lead_time_days int")
    demand = {r.store_key: r.avg_daily_demand for r in marts.inventory_position(
        snapshot, sales, orders, products, suppliers, as_of).collect()}
    # History starts in December, a month before the window's, or on 2 January, in its first month but before its
    # first day: either way both stores' demand is over the full 28 days, of the sales on the window's days only.
    assert demand == {1: pytest.approx(14 / 28), 2: pytest.approx(14 / 28)}


def test_stock_performance(spark: SparkSession) -> None:
    """Over two months, summed from the monthly sums: store 1 counts product 7 on 1 January and 1 February, sells it
    in both months and has it returned once; product 8 sells without a count; store 2 only receives product 7."""
    snapshot = spark.createDataFrame([(1, 7, date(2026, 1, 1), 10, "2026-01"), (1, 7, date(2026, 2, 1), 6, "2026-02")],
                                     "store_key long, product_key long, count_date date, on_hand_quantity int, "
                                     "count_month string")
    sales = spark.createDataFrame(
        [(1, 7, "SALE", 8, 40.0, 16.0, "2026-01"), (1, 7, "SALE", 2, 10.0, 4.0, "2026-02"),
         (1, 7, "RETURN", 1, -5.0, -2.0, "2026-02"), (1, 8, "SALE", 1, 3.0, 1.0, "2026-02")],
        "store_key long, product_key long, transaction_type string, quantity int, net_amount double, "
        "cost_amount double, sale_month string")
    movements = spark.createDataFrame(
        [(1, 7, 20260102, "RECEIPT", 4, "2026-01"), (1, 7, 20260101, "RECEIPT", 99, "2026-01"),
         (1, 7, 20260203, "RECEIPT", 2, "2026-02"), (1, 7, 20260204, "TRANSFER", 50, "2026-02"),
         (2, 7, 20260203, "RECEIPT", 5, "2026-02")],
        "store_key long, product_key long, date_key int, movement_type string, quantity int, movement_month string")
    products = spark.createDataFrame([(7, 2.0), (8, 1.0)], "product_key long, unit_cost double")
    by_month = marts.stock_by_month(snapshot, sales, movements, date(2026, 1, 1))
    rows = {(r.store_key, r.product_key): r for r in marts.stock_performance(by_month, products).collect()}
    assert set(rows) == {(1, 7), (1, 8)}  # received but neither counted nor sold: not in the mart
    row = rows[1, 7]
    assert row.average_inventory_cost == pytest.approx(16.0)  # (10 + 6) / 2 units at 2.00
    assert row.units_sold == 10 and row.cost_of_goods_sold == pytest.approx(18.0)  # the return is not a unit sold
    assert row.stock_turnover == pytest.approx(18 / 16)
    assert row.gmroi == pytest.approx((45 - 18) / 16)
    assert row.opening_on_hand == 10
    assert row.units_received == 6  # 4 + 2 after the first count: not the initial 99, not the transfer
    assert row.sell_through == pytest.approx(10 / 16)  # 10 / (10 opening + 6 received)
    unsold = rows[1, 8]
    assert (unsold.average_on_hand, unsold.average_inventory_cost, unsold.stock_turnover) == (None, None, None)
    assert unsold.units_received == 0 and unsold.net_amount == pytest.approx(3.0)


def test_average_inventory_at_cost_is_typed_and_rounded_as_a_decimal_average(spark: SparkSession) -> None:
    counts = [(date(2026, 1, 1), 1), (date(2026, 1, 2), 2), (date(2026, 1, 3), 3), (date(2026, 1, 4), 0),
              (date(2026, 2, 1), 2), (date(2026, 2, 2), 2), (date(2026, 2, 3), 1)]
    snapshot = spark.createDataFrame([(1, 7, day, on_hand, f"{day:%Y-%m}") for day, on_hand in counts],
                                     "store_key long, product_key long, count_date date, on_hand_quantity int, "
                                     "count_month string")
    none = spark.createDataFrame([], "store_key long, product_key long, transaction_type string, quantity int, "
                                     "net_amount decimal(14,2), cost_amount decimal(14,2), sale_month string")
    moved = spark.createDataFrame([], "store_key long, product_key long, date_key int, movement_type string, "
                                      "quantity int, movement_month string")
    products = spark.createDataFrame([(7, Decimal("3.00"))], "product_key long, unit_cost decimal(12,2)")
    mart = marts.stock_performance(marts.stock_by_month(snapshot, none, moved, date(2026, 1, 1)), products)
    direct = snapshot.join(products, "product_key").agg(F.avg(F.col("on_hand_quantity") * F.col("unit_cost")))
    assert mart.schema["average_inventory_cost"].dataType == direct.schema[0].dataType
    # 11 units × 3.00 / 7 counts = 4.714285|714…: rounded up at the sixth place
    assert mart.first().average_inventory_cost == direct.first()[0] == Decimal("4.714286")


def test_sales_daily_and_feedback(spark: SparkSession) -> None:
    sales = spark.createDataFrame(
        [(20260101, 1, 7, "A", 2, 10.0, 0.0, 10.0, 6.0), (20260101, 1, 8, "A", 1, 5.0, 1.0, 4.0, 2.0),
         (20260101, 1, 7, "B", 1, 5.0, 0.0, 5.0, 3.0)],
        "date_key int, store_key long, product_key long, document_id string, quantity int, gross_amount double, "
        "discount_amount double, net_amount double, cost_amount double")
    products = spark.createDataFrame([(7, "Toys"), (8, "Toys")], "product_key long, category string")
    row = marts.sales_daily(sales, products).first()
    assert (row.units, row.net_amount, row.gross_margin, row.transactions, row.lines) == (4, 19.0, 8.0, 2, 3)
    feedback = spark.createDataFrame([(7, 1, 5), (7, 1, 4), (7, 1, 2)], "product_key long, store_key long, rating int")
    feedback = feedback.withColumn("sentiment", kpis.sentiment(F.col("rating")))
    summary = marts.feedback_summary(feedback).first()
    assert summary.responses == 3
    assert summary.average_rating == pytest.approx(11 / 3)
    assert (summary.positive_share, summary.negative_share) == (pytest.approx(2 / 3), pytest.approx(1 / 3))


def test_rfm_segments(spark: SparkSession) -> None:
    as_of = date(2026, 3, 1)
    rows = []
    for c in range(1, 11):  # customer 10 bought most recently and most often; customer 1 long ago, once
        for n in range(c):
            day = as_of - timedelta(days=100 - 10 * c + n)
            rows.append((c, f"D{c}-{n}", datetime.combine(day, datetime.min.time()), 10.0 * c, f"{day:%Y-%m}"))
    rows.append((1, "D1-0", rows[0][2], 5.0, rows[0][4]))  # a second line of customer 1's one purchase
    rows.append((-1, "D0", datetime.combine(as_of, datetime.min.time()), 99.0, "2026-03"))  # an unknown customer
    sales = spark.createDataFrame(rows, "customer_key long, document_id string, sale_ts timestamp, net_amount double, "
                                        "sale_month string")
    by_month = marts.customer_by_month(sales)
    assert {r.month for r in by_month.where("customer_key = 10").collect()} == {"2026-02", "2026-03"}
    segments = {r.customer_key: r for r in marts.customer_rfm(by_month, as_of).collect()}
    assert set(segments) == set(range(1, 11))
    assert segments[10].segment == "Champions" and segments[10].r_score == 5
    assert segments[1].segment == "Hibernating" and segments[1].f_score == 1
    assert segments[10].recency_days == 0 and segments[10].frequency == 10 and segments[10].monetary == 1000.0
    assert segments[1].recency_days == 90 and segments[1].frequency == 1 and segments[1].monetary == 15.0
