"""The order lines and feedback facts, re-derived only for the documents a load changed."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings, load_settings
from spark_pools import lake, small_commits
from spark_pools.gold import star
from spark_pools.gold.derived import gold_path
from spark_pools.gold.rederived_facts import FEEDBACK as FEEDBACK_FACT
from spark_pools.gold.rederived_facts import ORDER_LINES as ORDER_LINES_FACT
from spark_pools.gold.rederived_facts import RederivedFact, rederive
from spark_pools.gold.star import UNKNOWN
from spark_pools.silver.build import silver_path

pytestmark = pytest.mark.spark


ORDERS = ("po_number string, supplier_code string, store_code string, order_date date, promised_date date, "
          "status string, _load_id string")
ORDER_LINES = ("po_number string, line_number int, sku string, quantity_ordered int, unit_cost decimal(12,2), "
               "_load_id string")
RECEIPTS = ("receipt_id string, po_number string, line_number int, received_date date, quantity_received int, "
            "_load_id string")


def _rederive_checked(spark: SparkSession, settings: Settings, fact: RederivedFact, dimensions: dict[str, DataFrame],
                      pending: dict[str, list[str]], full: bool) -> str | None:
    """`rederive` the fact, check it equals a rebuild from the whole of silver, and say what it committed."""
    path = gold_path(settings, fact.name)
    before = lake.version(spark, path)
    rederive(spark, settings, fact, dimensions, {name: [] for name in fact.entities} | pending, full)
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
