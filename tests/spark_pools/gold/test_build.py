"""Gold's incremental steps: the daily sales mart refreshed day by day (equal to a full recompute, only the changed
days rewritten), the monthly sums behind stock performance and RFM recomputed only in the months that changed, the
order lines and feedback facts re-derived only for the documents a load changed, and a fact MERGE moving a record
whose date changed month or day. Gold built before any stock count."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import reduce
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings, load_settings
from spark_pools import lake, small_commits
from spark_pools.gold import marts, star
from spark_pools.gold.build import (
    CUSTOMER_BY_MONTH,
    DAY_STATS,
    MOVEMENTS,
    SNAPSHOT,
    STOCK_BY_MONTH,
    FactChange,
    RederivedFact,
    _customer_rfm,
    _days_covered,
    _incremental_fact,
    _keep_unresolved,
    _rederive,
    _sales_daily,
    _stock_performance,
    _unresolved,
    gold_path,
    unresolved_path,
)
from spark_pools.gold.build import FEEDBACK as FEEDBACK_FACT
from spark_pools.gold.build import ORDER_LINES as ORDER_LINES_FACT
from spark_pools.gold.build import SALES as SALES_FACT
from spark_pools.gold.star import UNKNOWN, is_member
from spark_pools.jobs import run_gold
from spark_pools.ops import Metrics
from spark_pools.silver.build import silver_path
from tests.spark_pools.scenario import Scenario

pytestmark = pytest.mark.spark

SALES = ("date_key int, store_key bigint, product_key bigint, document_id string, quantity int, "
         "gross_amount decimal(14,2), discount_amount decimal(14,2), net_amount decimal(14,2), "
         "cost_amount decimal(14,2), sale_month string")
PRODUCTS = "product_key bigint, category string"


def _line(day: int, product: int, document: str, net: str) -> tuple:
    amount = Decimal(net)
    return 20260100 + day, 1, product, document, 1, amount, Decimal("0.00"), amount, amount / 2, "2026-01"


def _table(spark: SparkSession, settings: Settings, name: str, rows: list[tuple], schema: str, mode: str) -> int:
    lake.write(spark.createDataFrame(rows, schema), gold_path(settings, name), mode)
    return lake.version(spark, gold_path(settings, name))


def _mart(spark: SparkSession, settings: Settings) -> DataFrame:
    return lake.read(spark, gold_path(settings, "mart_sales_daily"))


@pytest.fixture
def built(spark: SparkSession, tmp_path: Path) -> tuple[Settings, int]:
    """A mart built in full from three days of sales of products 1 (Food) and 2 (Toys); the fact's version."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    _table(spark, settings, "dim_product", [(1, "Food"), (2, "Toys")], PRODUCTS, "overwrite")
    sales = [_line(1, 1, "D1", "10.00"), _line(1, 2, "D1", "4.50"), _line(2, 1, "D2", "3.00"),
             _line(3, 2, "D3", "7.25")]
    version = _table(spark, settings, "fact_sales", sales, SALES, "append")
    products = lake.read(spark, gold_path(settings, "dim_product"))
    assert _sales_daily(spark, settings, products, FactChange(-1, None), full=True).rows_written == 4
    return settings, version


def _refresh(spark: SparkSession, settings: Settings, change: FactChange) -> int:
    products = lake.read(spark, gold_path(settings, "dim_product"))
    metrics = _sales_daily(spark, settings, products, change, full=False)
    expected = marts.sales_daily(lake.read(spark, gold_path(settings, "fact_sales")), products)
    mart = _mart(spark, settings)
    assert sorted(mart.collect()) == sorted(expected.select(*mart.columns).collect())
    return metrics.rows_written


def test_only_the_days_the_fact_changed_and_the_days_of_recategorised_products_are_recomputed(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    settings, before = built
    _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    _table(spark, settings, "dim_product", [(1, "Food"), (2, "Games"), (3, "New")], PRODUCTS, "overwrite")
    # Day 4 (new sale) and days 1 and 3 (product 2 moved to Games) are recomputed; day 2 is kept as it was.
    assert _refresh(spark, settings, FactChange(before, {20260104: "2026-01"})) == 4
    commit = lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]
    assert re.findall(r"\d{8}", commit["operationParameters"]["predicate"]) == ["20260101", "20260103", "20260104"]
    assert json.loads(commit["userMetadata"])["gold/fact_sales"] == before + 1
    assert _sales_daily(spark, settings, lake.read(spark, gold_path(settings, "dim_product")),
                        FactChange(before + 1, {}), full=False).rows_written == 0  # nothing new: no commit


def test_a_mart_whose_products_version_was_vacuumed_is_rebuilt_whole(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    """The categories the mart was built with cannot be read any more: which days they changed is not known."""
    settings, before = built
    products = gold_path(settings, "dim_product")
    _table(spark, settings, "dim_product", [(1, "Food"), (2, "Games")], PRODUCTS, "overwrite")
    current = lake.current_files(spark, products)
    gone = [f for f in Path(products).glob("*.parquet") if str(f) not in current]
    assert gone
    for file in gone:  # what VACUUM deletes once the retention has passed
        file.unlink()
    _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    assert _refresh(spark, settings, FactChange(before, {20260104: "2026-01"})) == 5  # days 1-4, day 1 twice
    assert "predicate" not in lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]["operationParameters"]


def test_a_mart_not_built_from_the_version_the_run_started_from_is_rebuilt_whole(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    settings, _ = built
    _table(spark, settings, "fact_sales", [_line(2, 2, "D5", "1.00")], SALES, "append")  # a run the mart missed
    after = _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    assert _refresh(spark, settings, FactChange(after - 1, {20260104: "2026-01"})) == 6
    assert "predicate" not in lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]["operationParameters"]


MOVEMENT_SCHEMA = ("movement_id string, store_code string, sku string, movement_ts timestamp, movement_type string, "
                   "quantity int, reference string, movement_month string, _load_id string")


def _moving(spark: SparkSession, tmp_path: Path) -> tuple[Settings, Callable[[list[str], set[str], bool], FactChange],
                                                          Callable[[str, str, str], DataFrame]]:
    """The movements fact over a silver table written by hand: its settings, a MERGE of loads into it (with the
    months silver says records left, full or not), and a silver row (id, time, load)."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    dims = {"dim_store": spark.createDataFrame([(7, "S1")], "store_key bigint, store_code string"),
            "dim_product": spark.createDataFrame([(8, "P1")], "product_key bigint, sku string")}
    for name, frame in dims.items():  # the gold dimensions: `dims` are their reads, as in a run
        lake.write(frame, gold_path(settings, name), "overwrite")

    def merge(loads: list[str], moved_from: set[str], full: bool) -> FactChange:
        return _incremental_fact(spark, settings, MOVEMENTS, dims, None, loads, moved_from, full,
                                 Metrics("gold", MOVEMENTS.name))

    def movement(identifier: str, ts: str, load: str) -> DataFrame:
        return spark.createDataFrame([(identifier, "S1", "P1", None, "RECEIPT", 5, None, ts[:7], load)],
                                     MOVEMENT_SCHEMA).withColumn("movement_ts", F.to_timestamp(F.lit(ts)))

    return settings, merge, movement


def _facts(spark: SparkSession, settings: Settings) -> list[tuple]:
    fact = lake.read(spark, gold_path(settings, MOVEMENTS.name))
    return sorted(fact.select("movement_id", "date_key", "movement_month").collect())


def test_a_fact_merge_moves_a_record_silver_moved_to_another_month(spark: SparkSession, tmp_path: Path) -> None:
    """Silver names the month a record left (`_ops/silver_moves`); the MERGE covers it, and the daily marts are
    rebuilt whole since the day the record left changed too."""
    settings, merge, movement = _moving(spark, tmp_path)
    silver = silver_path(settings, MOVEMENTS.entity.name)
    lake.write(movement("M1", "2026-01-31 22:00:00", "L1").unionByName(movement("M2", "2026-01-31 23:00:00", "L1")),
               silver, "overwrite", MOVEMENTS.partition)
    merge(["L1"], set(), True)
    lake.write(movement("M1", "2026-02-01 09:00:00", "L2"), silver, "overwrite", MOVEMENTS.partition,
               replaceWhere="movement_id = 'M1'")  # silver moved M1: its date was corrected
    change = merge(["L2"], {"2026-01"}, False)
    assert _facts(spark, settings) == [("M1", 20260201, "2026-02"), ("M2", 20260131, "2026-01")]
    assert change.moved_from == {"2026-01"} and change.months == {"2026-01", "2026-02"}


@pytest.mark.parametrize("driver_rows", [small_commits.DRIVER_ROWS, 0], ids=["driver", "spark"])
def test_the_day_a_record_left_within_its_month_changed_too(spark: SparkSession, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, driver_rows: int) -> None:
    """A record sent again with its date corrected within its month stays in its partition, but leaves a day whose
    daily sales a mart must recompute: the change names that day as well as the day it moved to."""
    monkeypatch.setattr(small_commits, "DRIVER_ROWS", driver_rows)  # the rows MERGEd from the driver, or by Spark
    settings, merge, movement = _moving(spark, tmp_path)
    silver = silver_path(settings, MOVEMENTS.entity.name)
    lake.write(reduce(DataFrame.unionByName, [movement("M1", "2026-01-29 22:00:00", "L1"),
                                              movement("M2", "2026-01-31 23:00:00", "L1"),
                                              movement("M3", "2026-01-28 10:00:00", "L1")]),
               silver, "overwrite", MOVEMENTS.partition)
    merge(["L1"], set(), True)
    lake.write(movement("M1", "2026-01-30 09:00:00", "L2").unionByName(movement("M4", "2026-01-27 08:00:00", "L2")),
               silver, "append", MOVEMENTS.partition)
    lake.write(lake.read(spark, silver).where("NOT (movement_id = 'M1' AND _load_id = 'L1')"), silver, "overwrite",
               MOVEMENTS.partition)  # silver kept M1's latest version, whose date was corrected
    change = merge(["L2"], set(), False)
    assert _facts(spark, settings) == [("M1", 20260130, "2026-01"), ("M2", 20260131, "2026-01"),
                                       ("M3", 20260128, "2026-01"), ("M4", 20260127, "2026-01")]
    assert change.days == {20260129: "2026-01", 20260130: "2026-01", 20260127: "2026-01"}  # M3's day is not
    assert not change.moved_from


STOCK = {"fact_inventory_snapshot": "store_key bigint, product_key bigint, count_date date, on_hand_quantity int, "
                                    "count_month string",
         "fact_sales": "store_key bigint, product_key bigint, transaction_type string, quantity int, "
                       "net_amount decimal(14,2), cost_amount decimal(14,2), sale_month string",
         "fact_inventory_movement": "store_key bigint, product_key bigint, date_key int, movement_type string, "
                                    "quantity int, movement_month string"}


def _count(day: date, on_hand: int) -> tuple:
    return 1, 7, day, on_hand, f"{day:%Y-%m}"


def _sale(day: date, units: int) -> tuple:
    return 1, 7, "SALE", units, Decimal(units), Decimal(units) / 2, f"{day:%Y-%m}"


def test_stock_performance_recomputes_only_the_months_the_facts_changed(spark: SparkSession, tmp_path: Path) -> None:
    """The monthly sums are rewritten only in the months a fact's MERGE wrote, and the mart equals one computed
    from the whole facts; a fact changed behind the sums' back, or a new first day, recomputes every month."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    january, february = date(2026, 1, 5), date(2026, 2, 2)
    rows = {"fact_inventory_snapshot": [_count(january, 10), _count(february, 4)],
            "fact_sales": [_sale(january, 3), _sale(february, 1)],
            "fact_inventory_movement": [(1, 7, 20260110, "RECEIPT", 6, "2026-01")]}
    version = {name: _table(spark, settings, name, rows[name], STOCK[name], "append") for name in STOCK}
    _table(spark, settings, "dim_product", [(7, Decimal("2.00"))], "product_key bigint, unit_cost decimal(12,2)",
           "overwrite")
    sums = gold_path(settings, STOCK_BY_MONTH)

    def run(changes: dict[str, FactChange], first_day: date = january, full: bool = False) -> int:
        gold = {name: lake.read(spark, gold_path(settings, name)) for name in STOCK}
        products = lake.read(spark, gold_path(settings, "dim_product"))
        written, _ = _stock_performance(spark, settings, gold, products, changes, first_day, full)
        expected = marts.stock_performance(marts.stock_by_month(*gold.values(), first_day), products)
        mart = lake.read(spark, gold_path(settings, "mart_stock_performance"))
        assert sorted(mart.collect()) == sorted(expected.select(*mart.columns).collect())
        return written.rows_written

    assert run({name: FactChange(-1, None) for name in STOCK}, full=True) == 2  # one row per month
    unchanged = {name: FactChange(v, {}) for name, v in version.items()}
    assert run(unchanged) == 0  # nothing new: no commit
    before = _table(spark, settings, "fact_sales", [_sale(february, 2)], STOCK["fact_sales"], "append")
    assert run(unchanged | {"fact_sales": FactChange(before - 1, {20260202: "2026-02"})}) == 1
    commit = lake.last_commit(spark, sums)[1]
    assert re.findall(r"\d{4}-\d\d", commit["operationParameters"]["predicate"]) == ["2026-02"]
    assert json.loads(commit["userMetadata"])["gold/fact_sales"] == before
    later = _table(spark, settings, "fact_sales", [_sale(january, 5)], STOCK["fact_sales"], "append")
    assert run(unchanged | {"fact_sales": FactChange(later, {})}) == 2  # the sums missed a version: all months
    assert run(unchanged | {"fact_sales": FactChange(later, {})}, first_day=february) == 2  # another first day


CUSTOMER_SALES = ("customer_key bigint, document_id string, sale_ts timestamp, net_amount decimal(14,2), "
                  "sale_month string")


def _bought(customer: int, document: str, day: date, net: str) -> tuple:
    return customer, document, datetime.combine(day, time(12)), Decimal(net), f"{day:%Y-%m}"


def test_customer_rfm_recomputes_only_the_months_sales_changed(spark: SparkSession, tmp_path: Path) -> None:
    """The customers' monthly sums are rewritten only in the months the sales MERGE wrote, and RFM equals one
    computed from the whole fact; a new as-of day rescores the customers without recomputing any month, and a
    fact changed behind the sums' back recomputes every month."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    january, february = date(2026, 1, 5), date(2026, 2, 2)
    version = _table(spark, settings, "fact_sales", [
        _bought(1, "D1", january, "10.00"), _bought(1, "D1", january, "5.00"), _bought(2, "D2", january, "7.00"),
        _bought(1, "D3", february, "20.00"), _bought(-1, "D4", february, "99.00")], CUSTOMER_SALES, "append")
    sums = gold_path(settings, CUSTOMER_BY_MONTH)

    def run(change: FactChange, as_of: date = date(2026, 2, 10), full: bool = False) -> tuple[int, int]:
        gold = {"fact_sales": lake.read(spark, gold_path(settings, "fact_sales"))}
        monthly, mart = _customer_rfm(spark, settings, gold, {"fact_sales": change}, as_of, full)
        expected = {(r.customer_key, r.recency_days, r.frequency, r.monetary)
                    for r in marts.customer_rfm(marts.customer_by_month(gold["fact_sales"]), as_of).collect()}
        scored = lake.read(spark, gold_path(settings, "mart_customer_rfm"))
        assert {(r.customer_key, r.recency_days, r.frequency, r.monetary) for r in scored.collect()} == expected
        return monthly.rows_written, mart.rows_written

    assert run(FactChange(-1, None), full=True) == (3, 2)  # (month, customer) pairs; the unknown member left out
    scored = {r.customer_key: r for r in lake.read(spark, gold_path(settings, "mart_customer_rfm")).collect()}
    assert (scored[1].recency_days, scored[1].frequency, scored[1].monetary) == (8, 2, Decimal("35.00"))
    assert (scored[2].recency_days, scored[2].frequency, scored[2].monetary) == (36, 1, Decimal("7.00"))
    unchanged = FactChange(version, {})
    assert run(unchanged) == (0, 0)  # nothing new: no commit
    assert run(unchanged, as_of=date(2026, 2, 20)) == (0, 2)  # rescored, no month recomputed
    before = _table(spark, settings, "fact_sales", [_bought(2, "D5", february, "3.00")], CUSTOMER_SALES, "append")
    assert run(FactChange(before - 1, {20260202: "2026-02"})) == (2, 2)
    commit = lake.last_commit(spark, sums)[1]
    assert re.findall(r"\d{4}-\d\d", commit["operationParameters"]["predicate"]) == ["2026-02"]
    later = _table(spark, settings, "fact_sales", [_bought(2, "D6", january, "1.00")], CUSTOMER_SALES, "append")
    assert run(FactChange(later, {})) == (4, 2)  # the sums missed a version: every month


ORDERS = ("po_number string, supplier_code string, store_code string, order_date date, promised_date date, "
          "status string, _load_id string")
ORDER_LINES = ("po_number string, line_number int, sku string, quantity_ordered int, unit_cost decimal(12,2), "
               "_load_id string")
RECEIPTS = ("receipt_id string, po_number string, line_number int, received_date date, quantity_received int, "
            "_load_id string")


def _rederive_checked(spark: SparkSession, settings: Settings, fact: RederivedFact, dimensions: dict[str, DataFrame],
                      pending: dict[str, list[str]], full: bool) -> str | None:
    """`_rederive` the fact, check it equals a rebuild from the whole of silver, and say what it committed."""
    path = gold_path(settings, fact.name)
    before = lake.version(spark, path)
    _rederive(spark, settings, fact, dimensions, {name: [] for name in fact.entities} | pending, full)
    expected = fact.derive(*(lake.read(spark, silver_path(settings, name)) for name in fact.entities), dimensions)
    written = lake.read(spark, path)
    assert sorted(written.collect()) == sorted(expected.select(*written.columns).collect())
    current, commit = lake.last_commit(spark, path)
    return commit["operation"] if current > before else None


def _dimensions(spark: SparkSession, settings: Settings,
                members: dict[star.Dimension, list[str]]) -> dict[str, DataFrame]:
    """The dimensions with these members, written to gold as the run before the facts writes them."""
    for dim, codes in members.items():
        lake.write(spark.createDataFrame([(i + 1, code) for i, code in enumerate(codes)],
                                         f"{dim.key} bigint, {dim.code} string"), gold_path(settings, dim.name),
                   "overwrite")
    return {dim.name: lake.read(spark, gold_path(settings, dim.name)) for dim in members}


def test_order_lines_rederive_only_the_orders_a_load_changed(spark: SparkSession, tmp_path: Path) -> None:
    """After a full build, each incremental run MERGEs only the lines of the orders its silver loads touched and
    equals a rebuild from the whole of silver: a receipt sent again against another order leaves the first one, a
    late product resolves with no load at all, a header sent again re-derives its lines, a day with nothing commits
    nothing; a fact that does not say which receipts it was built from is rebuilt whole."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    day = date(2026, 1, 5)

    def silver(name: str, rows: list[tuple], schema: str) -> None:
        lake.write(spark.createDataFrame(rows, schema), silver_path(settings, name), "overwrite")

    def dims(*skus: str) -> dict[str, DataFrame]:
        return _dimensions(spark, settings, {star.DIM_STORE: ["S1"], star.DIM_PRODUCT: list(skus),
                                             star.DIM_SUPPLIER: ["SUP1"]})

    def run(pending: dict[str, list[str]], dimensions: dict[str, DataFrame], full: bool = False) -> str | None:
        return _rederive_checked(spark, settings, ORDER_LINES_FACT, dimensions, pending, full)

    def received() -> dict[tuple[str, int], int]:
        return {(r.po_number, r.line_number): r.quantity_received for r in lake.read(spark, fact).collect()}

    order = ("SUP1", "S1", day, day + timedelta(days=3), "OPEN", "L1")
    silver("purchase_orders", [("PO1", *order), ("PO2", *order)], ORDERS)
    silver("purchase_order_lines", [("PO1", 1, "P1", 5, Decimal("2.00"), "L1"),
                                    ("PO1", 2, "P2", 5, Decimal("3.00"), "L1"),
                                    ("PO2", 1, "P1", 5, Decimal("2.00"), "L1")], ORDER_LINES)
    silver("receipts", [("R1", "PO1", 1, day + timedelta(days=2), 5, "L1")], RECEIPTS)
    assert run({}, dims("P1"), full=True) == "WRITE"
    fact = gold_path(settings, ORDER_LINES_FACT.name)
    assert received() == {("PO1", 1): 5, ("PO1", 2): 0, ("PO2", 1): 0}

    silver("receipts", [("R1", "PO2", 1, day + timedelta(days=2), 5, "L2")], RECEIPTS)  # sent again, against PO2
    assert run({"receipts": ["L2"]}, dims("P1")) == "MERGE"
    assert received() == {("PO1", 1): 0, ("PO1", 2): 0, ("PO2", 1): 5}
    assert run({}, dims("P1")) is None  # nothing new: no commit
    assert lake.read(spark, fact).where(F.col("product_key") == UNKNOWN).count() == 1  # P2 not known yet
    assert run({}, dims("P1", "P2")) == "MERGE"  # P2 arrived: its line resolves without any load
    assert lake.read(spark, fact).where(F.col("product_key") == UNKNOWN).count() == 0

    silver("purchase_orders", [("PO1", "SUP1", "S1", day, day, "CLOSED", "L3"), ("PO2", *order)], ORDERS)
    assert run({"purchase_orders": ["L3"]}, dims("P1", "P2")) == "MERGE"  # PO1's lines now due on the order day
    assert {r.po_number for r in lake.read(spark, fact).where("NOT is_on_time").collect()} == {"PO1"}

    silver("receipts", [("R1", "PO2", 1, day + timedelta(days=2), 6, "L4")], RECEIPTS)
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    try:  # the receipts the fact was built from are vacuumed away
        spark.sql(f"VACUUM delta.`{silver_path(settings, 'receipts')}` RETAIN 0 HOURS")
    finally:
        spark.conf.unset("spark.databricks.delta.retentionDurationCheck.enabled")
    assert run({"receipts": ["L4"]}, dims("P1", "P2")) == "WRITE"

    lake.write(lake.read(spark, fact), fact, "overwrite")  # a commit without the versions it was built from
    assert run({"receipts": ["L4"]}, dims("P1", "P2")) == "WRITE"


FEEDBACK = ("feedback_id string, submitted_at timestamp, channel string, order_id string, transaction_id string, "
            "store_code string, sku string, customer_id string, rating int, comment string, _load_id string")


def test_feedback_rederives_only_the_feedback_a_load_sent(spark: SparkSession, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The feedback fact takes in only the feedback of the pending loads and the rows whose product arrived since,
    and equals a rebuild from the whole of silver each time; more rows than the driver MERGEs rebuild it whole."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    at = datetime(2026, 1, 5, 10, 30)

    def silver(rows: list[tuple]) -> None:
        lake.write(spark.createDataFrame(rows, FEEDBACK), silver_path(settings, "feedback"), "overwrite")

    def run(pending: list[str], *skus: str, full: bool = False) -> str | None:
        dimensions = _dimensions(spark, settings, {star.DIM_STORE: ["S1"], star.DIM_PRODUCT: list(skus),
                                                   star.DIM_CUSTOMER: ["C1"]})
        return _rederive_checked(spark, settings, FEEDBACK_FACT, dimensions, {"feedback": pending}, full)

    def ratings() -> dict[str, tuple[int, bool]]:
        """Each feedback's rating, and whether its product is known."""
        fact = lake.read(spark, gold_path(settings, FEEDBACK_FACT.name))
        return {r.feedback_id: (r.rating, r.product_key != UNKNOWN) for r in fact.collect()}

    first = ("F1", at, "store", None, "T1", "S1", "P1", "C1", 2, "slow till", "L1")
    second = ("F2", at, "web", "O1", None, None, "P2", "C1", 5, None, "L1")
    silver([first, second])
    assert run([], "P1", full=True) == "WRITE"
    assert ratings() == {"F1": (2, True), "F2": (5, False)}  # P2 not known yet

    silver([(*first[:8], 4, "better", "L2"), second])  # F1 sent again, rated anew
    assert run(["L2"], "P1") == "MERGE"
    assert ratings() == {"F1": (4, True), "F2": (5, False)}
    assert run([], "P1") is None  # nothing new: no commit
    assert run([], "P1", "P2") == "MERGE"  # P2 arrived: its feedback resolves without any load
    assert ratings() == {"F1": (4, True), "F2": (5, True)}

    silver([(*first[:8], 1, "worse", "L3"), second, ("F3", at, "store", None, "T2", "S1", "P1", None, 3, None, "L3")])
    monkeypatch.setattr(small_commits, "DRIVER_ROWS", 1)  # two rows to take in: more than the driver MERGEs
    assert run(["L3"], "P1", "P2") == "WRITE"
    assert ratings() == {"F1": (1, True), "F2": (5, True), "F3": (3, True)}


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


UNRESOLVED_FACT = ("sales_line_id string, sale_month string, store_key bigint, product_key bigint, "
                   "customer_key bigint, store_code string, sku string, customer_id string")


def test_unresolved_rows_too_many_for_the_driver_go_through_spark(spark: SparkSession, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows kept beside a fact are read and written by the driver only while few; the same rows either way."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    fact, kept_path = gold_path(settings, "fact_sales"), unresolved_path(settings, SALES_FACT)
    lake.write(spark.createDataFrame([
        ("L1", "2026-01", 1, -1, 5, "S1", "SKU9", "C1"),   # unknown product with a code: kept
        ("L2", "2026-01", 1, 2, 5, "S1", "SKU2", "C1"),    # resolved
        ("L3", "2026-02", -1, 2, -1, "S7", "SKU2", None),  # unknown store with a code: kept
    ], UNRESOLVED_FACT), fact, "overwrite")
    version = lake.version(spark, fact)

    def by_spark() -> bool:
        return "Apache-Spark" in lake.last_commit(spark, kept_path)[1].get("engineInfo", "")

    _keep_unresolved(spark, settings, SALES_FACT)  # after a rewrite their count is unknown: always Spark
    assert by_spark()
    for limit in (0, 10):
        monkeypatch.setattr(small_commits, "DRIVER_ROWS", limit)
        kept = _unresolved(spark, settings, SALES_FACT, version)
        assert sorted(r.sales_line_id for r in kept.frame.collect()) == ["L1", "L3"]
        assert (kept.rows is None) == (limit == 0)
        merged = spark.createDataFrame([("L1", "2026-01", 1, 3, 5, "S1", "SKU9", "C1")], UNRESOLVED_FACT)  # resolved
        _keep_unresolved(spark, settings, SALES_FACT, (kept.frame, merged, 1))
        assert by_spark() == (limit == 0)
        assert [r.sales_line_id for r in lake.read(spark, kept_path).collect()] == ["L3"]
        lake.write(lake.read(spark, fact).where("sales_line_id != 'L2'"), kept_path, "overwrite",
                   userMetadata=json.dumps({"fact_version": version}))  # L1 and L3 again, for the next limit


def test_the_marts_period_is_read_from_the_facts_statistics_or_else_from_its_edge_months(
        spark: SparkSession, tmp_path: Path) -> None:
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    days = spark.createDataFrame([(20260105, "2026-01"), (20260131, "2026-01"), (20260214, "2026-02"),
                                  (20260302, "2026-03")], "date_key int, month string")
    snapshot, sales = gold_path(settings, SNAPSHOT.name), gold_path(settings, SALES_FACT.name)
    lake.write(days.withColumnRenamed("month", SNAPSHOT.partition), snapshot, "overwrite", SNAPSHOT.partition,
               DAY_STATS)
    lake.write(days.withColumnRenamed("month", SALES_FACT.partition), sales, "overwrite", SALES_FACT.partition)
    assert small_commits.column_range(snapshot, "date_key") == (20260105, 20260302)
    assert small_commits.column_range(sales, "date_key") is None  # written without statistics on the day
    for fact in (SNAPSHOT, SALES_FACT):
        assert _days_covered(spark, settings, fact) == (date(2026, 1, 5), date(2026, 3, 2))

