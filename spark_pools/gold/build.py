"""Build gold from silver: dimensions, facts and KPI marts, each layer's tables side by side.

The large facts MERGE only the silver loads gold has not processed yet (`_ops/gold_loads`; `incremental_facts`),
the order lines and feedback facts re-derive only the documents those loads changed (`rederived_facts`).
Dimensions and the other marts are rebuilt whole, so an incremental run equals a full rebuild, but only when one of
the tables they read has a new version since they were last written (`derived`); the daily sales mart is
recomputed only on the days that changed, and the whole-period marts are summed from monthly sums recomputed only
in the months that changed (`mart_updates`).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import DataFrame, SparkSession

from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.gold import derived, marts, star
from spark_pools.gold.derived import gold_path
from spark_pools.gold.incremental_facts import (
    FACTS,
    SALES,
    SNAPSHOT,
    FactChange,
    IncrementalFact,
    days_covered,
    merge_loads,
)
from spark_pools.gold.mart_updates import update_customer_rfm, update_sales_daily, update_stock_performance
from spark_pools.gold.rederived_facts import REDERIVED, rederive
from spark_pools.ops import Metrics, measured
from spark_pools.parallel import run_all
from spark_pools.silver.build import MOVES, PROCESSED, PROCESSED_SCHEMA, silver_path

GOLD_LOADS = "gold_loads"


def build_gold(spark: SparkSession, settings: Settings, full: bool) -> list[Metrics]:
    """Dimensions, then every fact side by side, then the marts side by side; the loads taken in are recorded
    last (`_ops/gold_loads`): a run that fails takes the same loads in again next time (the MERGEs are by key).
    One metrics row a table."""
    results: list[Metrics] = []
    dims = _dimensions(spark, settings, full, results)
    history = derived.read_silver(spark, settings, "products")
    processed = _pending(spark, settings, full)
    moved_from = _moved_from(settings, processed)

    def incremental(fact: IncrementalFact) -> tuple[Metrics, FactChange]:
        with measured(spark, "gold", fact.name) as m:
            change = merge_loads(spark, settings, fact, dims, history, processed[fact.entity.name],
                                 moved_from.get(fact.entity.name, set()), full, m)
        return m, change

    dim_inputs = tuple(f"gold/{name}" for name in dims)
    rederived = [lambda f=f: rederive(spark, settings, f, dims, processed, full) for f in REDERIVED]
    # Every fact reads only silver and the dimensions: all of them are built side by side.
    outcomes = run_all([*[lambda f=f: incremental(f) for f in FACTS], *rederived], settings.spark.parallel_jobs)
    changes: dict[str, tuple[Metrics, FactChange]] = dict(zip((f.name for f in FACTS), outcomes[:len(FACTS)],
                                                              strict=True))
    results += [m for m, _ in changes.values()] + outcomes[len(FACTS):]
    facts = (*(f.name for f in FACTS), *(f.name for f in REDERIVED))
    gold = {name: lake.read(spark, gold_path(settings, name)) for name in facts}
    every_input = (*dim_inputs, *(f"gold/{name}" for name in facts))  # coarse: any changed fact rebuilds them
    first_day, as_of = _period(spark, settings)
    fact_changes = {name: change for name, (_, change) in changes.items()}
    kpi_marts = {
        "mart_inventory_position": marts.inventory_position(
            gold["fact_inventory_snapshot"], gold["fact_sales"], gold["fact_purchase_order_line"],
            dims["dim_product"], dims["dim_supplier"], as_of),
        "mart_supplier_performance": marts.supplier_performance(gold["fact_purchase_order_line"], as_of),
        "mart_feedback": marts.feedback_summary(gold["fact_feedback"]),
    }
    outcomes = run_all([
        lambda: [update_sales_daily(spark, settings, dims["dim_product"], changes["fact_sales"][1], full)],
        lambda: update_stock_performance(spark, settings, gold, dims["dim_product"], fact_changes, first_day, full),
        lambda: update_customer_rfm(spark, settings, gold, fact_changes, as_of, full),
        *[lambda task=task: [task()] for task in derived.rebuild_tasks(
            spark, settings, full, {name: (frame, every_input) for name, frame in kpi_marts.items()})],
    ], settings.spark.parallel_jobs)
    results += [m for metrics in outcomes for m in metrics]
    _mark(spark, settings, processed, full)
    return results


def _period(spark: SparkSession, settings: Settings) -> tuple[date, date]:
    """The first and last day the KPI marts cover (the last is their as-of day): the stock counts' first and last
    days. Before any stock is counted, the sales' (the inventory position is then empty, and stock performance has
    sales but no stock figures)."""
    covered = days_covered(spark, settings, SNAPSHOT) or days_covered(spark, settings, SALES)
    if covered is None:
        raise ValueError("gold holds no stock count and no sale yet: the KPI marts have no as-of day")
    return covered


def _dimensions(spark: SparkSession, settings: Settings, full: bool, results: list[Metrics]) -> dict[str, DataFrame]:
    """Rebuild the dimensions whose silver changed (metrics into `results`); each one as the facts read it."""
    tables: derived.Derived = {
        "dim_store": (star.dim_store(derived.read_silver(spark, settings, "stores")), ("silver/stores",)),
        "dim_supplier": (star.dim_supplier(derived.read_silver(spark, settings, "suppliers")), ("silver/suppliers",)),
        "dim_product": (star.dim_product(derived.read_silver(spark, settings, "products")), ("silver/products",)),
        "dim_customer": (star.dim_customer(derived.read_silver(spark, settings, "customers")), ("silver/customers",)),
        "dim_channel": (star.dim_channel(spark), ()),
    }
    results += derived.rebuild_all(spark, settings, full, tables)
    # dim_date spans whole calendar years, those of the daily facts and the purchase orders. The facts' years come
    # from their silver tables' monthly partitions (read from the Delta log, not the data), the orders' from
    # their two date columns (a small table, read without a Spark job).
    months = {month for fact in (SALES, SNAPSHOT) for month in small_commits.partition_values(
        silver_path(settings, fact.entity.name), fact.partition) if month is not None}
    orders = small_commits.read_rows(silver_path(settings, "purchase_orders"), ("order_date", "promised_date"))
    years = {int(month[:4]) for month in months} | {
        day.year for row in orders for day in row.values() if day is not None}
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    results += derived.rebuild_all(spark, settings, full, {"dim_date": (star.dim_date(spark, first, last), ())},
                            first=first, last=last)
    return {name: lake.read(spark, gold_path(settings, name)) for name in (*tables, "dim_date")}


def _pending(spark: SparkSession, settings: Settings, full: bool) -> dict[str, list[str]]:
    """Per silver entity feeding an incremental or a re-derived fact: the silver loads gold has not taken in yet."""
    columns = ("entity", "_load_id")
    gold_done = small_commits.read_rows(lake.table_path(settings, "_ops", GOLD_LOADS), columns)
    seen = set() if full else {(r["entity"], r["_load_id"]) for r in gold_done}
    pending: dict[str, list[str]] = {name: [] for name in (
        *(fact.entity.name for fact in FACTS), *(name for fact in REDERIVED for name in fact.entities))}
    for r in small_commits.read_rows(lake.table_path(settings, "_ops", PROCESSED), columns):
        if r["entity"] in pending and (r["entity"], r["_load_id"]) not in seen:
            pending[r["entity"]].append(r["_load_id"])
    return pending


def _moved_from(settings: Settings, pending: dict[str, list[str]]) -> dict[str, set[str]]:
    """Per silver entity, the months records left (their date changed month) in the loads gold takes in now."""
    moved: dict[str, set[str]] = {}
    for r in small_commits.read_rows(lake.table_path(settings, "_ops", MOVES), ("entity", "_load_id", "month")):
        if r["_load_id"] in pending.get(r["entity"], ()):
            moved.setdefault(r["entity"], set()).add(r["month"])
    return moved


def _mark(spark: SparkSession, settings: Settings, processed: dict[str, list[str]], full: bool) -> None:
    """Record the silver loads gold took in (`_ops/gold_loads`): the next run's `_pending` leaves them out."""
    rows = [{"entity": entity, "_load_id": load} for entity, loads in processed.items() for load in loads]
    small_commits.write_rows(spark, lake.table_path(settings, "_ops", GOLD_LOADS), PROCESSED_SCHEMA, rows,
                             "overwrite" if full else "append")
