"""Build gold from silver: dimensions, facts (incremental MERGE for the large ones) and KPI marts.

The large facts take in only the silver loads gold has not processed yet (`_ops/gold_loads`), plus the rows
on an unknown (-1) key whose code the dimension now knows, so a late-arriving product or store resolves on the
next run (looked for among the fact's unresolved rows, kept beside it in UNRESOLVED). The order lines and feedback
facts re-derive only the documents those loads changed (`_rederive`). Dimensions and the marts are rebuilt whole,
so an incremental run equals a full rebuild, but only when one of the tables they read has a new version since
they were last written; the daily sales mart is recomputed only on the days that changed, and the
whole-period marts are summed from monthly sums recomputed only in the months that changed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
from deltalake.exceptions import DeltaError
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.gold import marts, star
from spark_pools.maintenance import zorder_columns
from spark_pools.ops import Metrics, measured
from spark_pools.parallel import run_all
from spark_pools.silver.build import MOVES, PROCESSED, PROCESSED_SCHEMA, silver_path
from spark_pools.silver.entities import BY_NAME, INVENTORY_COUNTS, INVENTORY_MOVEMENTS, SALES_LINES, Entity

GOLD_LOADS = "gold_loads"
STOCK_BY_MONTH = "agg_stock_by_month"  # the monthly sums mart_stock_performance adds up (`_stock_performance`)
CUSTOMER_BY_MONTH = "agg_customer_by_month"  # the monthly sums mart_customer_rfm adds up (`_customer_rfm`)
UNRESOLVED = "_unresolved"  # gold/_unresolved/<fact>: its rows on an unknown member with a code (`_keep_unresolved`)
# The large facts keep Delta statistics on their day (besides their Z-order columns): the marts' period is read
# from the log (`_days_covered`), and a filter on days skips files.
DAY_STATS = ("date_key",)


@dataclass(frozen=True)
class FactChange:
    """What a run did to an incremental fact: its version before the run and, after a MERGE, the days of the rows
    it wrote and of those rows before, within their month (date_key → the fact's partition value; `_days_left`), and
    the months records left for another month (the days they left changed too, and are not known); no days when the
    run rewrote it whole."""
    before: int
    days: dict[int, str] | None
    moved_from: frozenset[str] = frozenset()

    @property
    def months(self) -> set[str] | None:
        """The fact's monthly partitions the run changed; None when it rewrote the fact whole."""
        return None if self.days is None else set(self.days.values()) | self.moved_from


@dataclass(frozen=True)
class IncrementalFact:
    """A fact MERGEd from its silver entity, keeping the entity's monthly partitions."""
    name: str
    entity: Entity
    key: tuple[str, ...]
    keys_to_resolve: tuple[str, ...]
    derive: Callable[[DataFrame, dict[str, DataFrame], DataFrame], DataFrame]

    @property
    def partition(self) -> str:
        return self.entity.partition

    @property
    def unresolved_columns(self) -> tuple[str, ...]:
        """What UNRESOLVED keeps of a row: its key and partition, and the keys that may resolve with their codes."""
        codes = (star.BY_KEY[k].code for k in self.keys_to_resolve)
        return tuple(dict.fromkeys((*self.key, self.partition, *self.keys_to_resolve, *codes)))


SALES = IncrementalFact("fact_sales", SALES_LINES, ("sales_line_id",), ("store_key", "product_key", "customer_key"),
                        lambda rows, dims, history: star.fact_sales(rows, history, dims))
SNAPSHOT = IncrementalFact("fact_inventory_snapshot", INVENTORY_COUNTS, ("store_code", "sku", "count_date"),
                           ("store_key", "product_key"), lambda rows, dims, _: star.fact_inventory_snapshot(rows, dims))
MOVEMENTS = IncrementalFact("fact_inventory_movement", INVENTORY_MOVEMENTS, ("movement_id",),
                            ("store_key", "product_key"),
                            lambda rows, dims, _: star.fact_inventory_movement(rows, dims))
FACTS = (SALES, SNAPSHOT, MOVEMENTS)


@dataclass(frozen=True)
class RederivedFact:
    """A fact whose rows an incremental run re-derives only for the documents (an order, a feedback) its silver
    loads changed, and MERGEs from the driver (`_rederive`)."""
    name: str
    entities: tuple[str, ...]  # the silver entities it reads, in the order `derive` takes them
    rows_entity: str  # the one of them whose records become its rows
    document: str  # the column a document's rows share, in every entity: what is re-derived together
    key: tuple[str, ...]
    dimensions: tuple[str, ...]  # its keys that may be on an unknown member
    derive: Callable[..., DataFrame]  # (each entity's rows, in order, then the dimensions) -> the fact's rows
    # Documents a load changes besides those it holds: (settings, each other entity's records in the pending loads,
    # their document and key, what the fact was built from) -> their `document` column, or None when only a
    # rebuild will do.
    also: Callable[[Settings, dict[str, pa.Table], dict[str, object]], pa.Table | None] | None = None


def _receipts_moved(settings: Settings, sent: dict[str, pa.Table], built_from: dict[str, object]) -> pa.Table | None:
    """For each receipt sent again, the order it was against in the receipts the order lines fact was built from: a
    receipt moved to another order leaves the first one. None when the fact does not say which receipts it was
    built from, or they are gone (VACUUM)."""
    was = built_from.get("silver/receipts")
    if not isinstance(was, int):
        return None
    try:
        return small_commits.read_table(silver_path(settings, "receipts"), ("po_number",), was,
                                        ("receipt_id", sent["receipts"].column("receipt_id").to_pylist()))
    except (DeltaError, OSError):
        return None


ORDER_LINES = RederivedFact("fact_purchase_order_line", ("purchase_orders", "purchase_order_lines", "receipts"),
                            "purchase_order_lines", "po_number", ("po_number", "line_number"),
                            ("store_key", "product_key", "supplier_key"), star.fact_purchase_order_line,
                            _receipts_moved)
FEEDBACK = RederivedFact("fact_feedback", ("feedback",), "feedback", "feedback_id", ("feedback_id",),
                         ("store_key", "product_key", "customer_key"), star.fact_feedback)
REDERIVED = (ORDER_LINES, FEEDBACK)


def gold_path(settings: Settings, name: str) -> str:
    return lake.table_path(settings, "gold", name)


def _write(frame: DataFrame, settings: Settings, name: str, partition: str | None = None,
           inputs: str | None = None, stats: tuple[str, ...] = ()) -> None:
    options = {"overwriteSchema": "true"} | ({"userMetadata": inputs} if inputs is not None else {})
    lake.write(frame, gold_path(settings, name), "overwrite", partition, (*zorder_columns("gold", name), *stats),
               **options)


def _silver(spark: SparkSession, settings: Settings, name: str) -> DataFrame:
    return lake.read(spark, silver_path(settings, name))


def build_gold(spark: SparkSession, settings: Settings, full: bool) -> list[Metrics]:
    results: list[Metrics] = []
    dims = _dimensions(spark, settings, full, results)
    history = _silver(spark, settings, "products")
    processed = _pending(spark, settings, full)
    moved_from = _moved_from(settings, processed)

    def incremental(fact: IncrementalFact) -> tuple[Metrics, FactChange]:
        with measured(spark, "gold", fact.name) as m:
            change = _incremental_fact(spark, settings, fact, dims, history, processed[fact.entity.name],
                                       moved_from.get(fact.entity.name, set()), full, m)
        return m, change

    dim_inputs = tuple(f"gold/{name}" for name in dims)
    rederived = [lambda f=f: _rederive(spark, settings, f, dims, processed, full) for f in REDERIVED]
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
        lambda: [_sales_daily(spark, settings, dims["dim_product"], changes["fact_sales"][1], full)],
        lambda: _stock_performance(spark, settings, gold, dims["dim_product"], fact_changes, first_day, full),
        lambda: _customer_rfm(spark, settings, gold, fact_changes, as_of, full),
        *[lambda task=task: [task()] for task in _rebuild_tasks(
            spark, settings, full, {name: (frame, every_input) for name, frame in kpi_marts.items()})],
    ], settings.spark.parallel_jobs)
    results += [m for metrics in outcomes for m in metrics]
    _mark(spark, settings, processed, full)
    return results


def _rederive(spark: SparkSession, settings: Settings, fact: RederivedFact, dims: dict[str, DataFrame],
              pending: dict[str, list[str]], full: bool) -> Metrics:
    """A fact of which an incremental run re-derives and MERGEs from the driver only the rows of the documents its
    silver loads changed (`_documents_changed`); a day that changes none commits nothing.

    Its commit keeps the versions of the silver entities it was built from. It is rebuilt whole by a full run, when
    it does not exist yet, when what it was built from can no longer be told, or when those documents have more rows
    than the driver MERGEs (`small_commits.DRIVER_ROWS`)."""
    path = gold_path(settings, fact.name)
    silver = [_silver(spark, settings, name) for name in fact.entities]
    inputs = _inputs(spark, settings, tuple(f"silver/{name}" for name in fact.entities))
    with measured(spark, "gold", fact.name) as m:
        before, commit = lake.last_commit(spark, path)
        built_from = json.loads(commit.get("userMetadata") or "{}")
        changed = None if full or before < 0 else _documents_changed(settings, fact, pending, built_from)
        if changed == ([], 0):
            return m
        merged = False
        if changed is not None:
            documents, count = changed
            # Joined, not an IN list: the first run after a full load may find every document changed.
            touched = F.broadcast(spark.createDataFrame([(d,) for d in documents], f"{fact.document} string"))
            rows = fact.derive(*(frame.join(touched, fact.document, "left_semi") for frame in silver), dims)
            condition = " AND ".join(f"t.{k} = s.{k}" for k in fact.key)
            merged = small_commits.merge_small(path, rows, count, condition, user_metadata=inputs)
        if not merged:
            _write(fact.derive(*silver, dims), settings, fact.name, inputs=inputs)
        m.rows_read = m.rows_written = lake.committed_rows(spark, path, before)
    return m


def _documents_changed(settings: Settings, fact: RederivedFact, pending: dict[str, list[str]],
                       built_from: dict[str, object]) -> tuple[list[str], int] | None:
    """The documents whose rows in the fact the pending silver loads may change, and how many rows they have,
    found in the driver with delta-rs (no Spark job): documents with a record in the loads, those the fact's own
    rule adds (`RederivedFact.also`), and those with a row on an unknown member whose code the dimension now knows
    (`star.resolvable_rows`). None when only a rebuild will do (the fact's rule cannot tell)."""
    sent = {name: small_commits.read_table(silver_path(settings, name), tuple(dict.fromkeys(
        (fact.document, *BY_NAME[name].key))), where=("_load_id", pending[name]))
        for name in fact.entities if name != fact.rows_entity}
    also = fact.also(settings, sent, built_from) if fact.also is not None else pa.table({fact.document: []})
    if also is None:
        return None
    codes = tuple(star.BY_KEY[key].code for key in fact.dimensions)
    held = small_commits.read_table(gold_path(settings, fact.name), (fact.document, *fact.dimensions, *codes))
    resolvable = star.resolvable_rows(held, fact.dimensions, {
        dim.name: small_commits.read_table(gold_path(settings, dim.name), (dim.key, dim.code))
        for dim in (star.BY_KEY[key] for key in fact.dimensions)})
    rows = small_commits.read_table(silver_path(settings, fact.rows_entity), (fact.document, "_load_id"))
    loaded = small_commits.rows_among(rows, "_load_id", pending[fact.rows_entity])
    documents = sorted({d for table in (loaded, *sent.values(), also, resolvable)
                        for d in table.column(fact.document).to_pylist()})
    return documents, small_commits.rows_among(rows, fact.document, documents).num_rows


def _period(spark: SparkSession, settings: Settings) -> tuple[date, date]:
    """The first and last day the KPI marts cover (the last is their as-of day): the stock counts' first and last
    days. Before any stock is counted, the sales' (the inventory position is then empty, and stock performance has
    sales but no stock figures)."""
    covered = _days_covered(spark, settings, SNAPSHOT) or _days_covered(spark, settings, SALES)
    if covered is None:
        raise ValueError("gold holds no stock count and no sale yet: the KPI marts have no as-of day")
    return covered


def _days_covered(spark: SparkSession, settings: Settings, fact: IncrementalFact) -> tuple[date, date] | None:
    """The first and last day of a monthly-partitioned fact (None when it is empty), from the statistics on its day
    its Delta log keeps (DAY_STATS). A fact written without them has its first and last monthly partitions read."""
    path = gold_path(settings, fact.name)
    months = sorted(m for m in small_commits.partition_values(path, fact.partition) if m is not None)
    if not months:
        return None
    day = DAY_STATS[0]
    edges = small_commits.column_range(path, day) or lake.read(spark, path) \
        .where(F.col(fact.partition).isin(months[0], months[-1])).agg(F.min(day), F.max(day)).first()
    first, last = (datetime.strptime(str(key), "%Y%m%d").date() for key in edges)
    return first, last


Derived = dict[str, tuple[DataFrame, tuple[str, ...]]]  # table -> (its content, the tables it reads)


def _rebuild_all(spark: SparkSession, settings: Settings, full: bool, tables: Derived,
                 **values: object) -> list[Metrics]:
    return run_all(_rebuild_tasks(spark, settings, full, tables, **values), settings.spark.parallel_jobs)


def _rebuild_tasks(spark: SparkSession, settings: Settings, full: bool, tables: Derived,
                   **values: object) -> list[Callable[[], Metrics]]:
    def one(name: str, frame: DataFrame, reads: tuple[str, ...]) -> Metrics:
        return _rebuild(settings, name, frame, _inputs(spark, settings, reads, **values), full)

    return [lambda n=n, f=f, r=r: one(n, f, r) for n, (f, r) in tables.items()]


def _built_from(spark: SparkSession, settings: Settings, reads: tuple[str, ...], **values: object) -> dict[str, object]:
    """What a derived table records it was built from: the versions of the tables it reads, and any other value
    its content depends on (a day)."""
    return {**_versions(spark, settings, reads), **{k: str(v) for k, v in values.items()}}


def _inputs(spark: SparkSession, settings: Settings, reads: tuple[str, ...], **values: object) -> str:
    """`_built_from` as the text kept with the table's commit."""
    return json.dumps(_built_from(spark, settings, reads, **values), sort_keys=True)


def _versions(spark: SparkSession, settings: Settings, tables: tuple[str, ...]) -> dict[str, int]:
    """The current version of each `layer/name` table: what a derived table records it was built from."""
    return {table: lake.version(spark, lake.table_path(settings, *table.split("/", 1))) for table in tables}


def _rebuild(settings: Settings, name: str, frame: DataFrame, inputs: str, full: bool) -> Metrics:
    """Overwrite a table derived whole from its inputs, unless (incremental runs) its inputs are unchanged since
    it was last written: `inputs` (the versions of the tables it reads) is kept with the table's commit as
    Delta user metadata. A skipped table's metrics row says 0 read and 0 written."""
    with measured(frame.sparkSession, "gold", name) as m:
        path = gold_path(settings, name)
        before, commit = lake.last_commit(frame.sparkSession, path)
        if not full and commit.get("userMetadata") == inputs:
            return m
        if not small_commits.overwrite_small(path, frame, inputs):
            _write(frame, settings, name, inputs=inputs)
        m.rows_read = m.rows_written = lake.committed_rows(frame.sparkSession, path, before)
    return m


def _sales_daily(spark: SparkSession, settings: Settings, products: DataFrame, sales_change: FactChange,
                 full: bool) -> Metrics:
    """mart_sales_daily, recomputed in an incremental run only on the days that changed.

    A day's rows depend only on that day's sales and the products' categories (`marts.sales_daily`), so
    recomputing the days the fact's MERGE wrote, plus the days holding sales of a product whose category changed,
    gives what a full rebuild gives. The table versions the mart was built from are kept with its commit; when the
    fact's is not the one this run started from (a full run, a run that failed in between) or the dimension's can
    no longer be read, the mart is rebuilt whole."""
    name = "mart_sales_daily"
    versions = _versions(spark, settings, ("gold/dim_product", "gold/fact_sales"))
    inputs = json.dumps(versions, sort_keys=True)
    sales = lake.read(spark, gold_path(settings, "fact_sales"))
    with measured(spark, "gold", name) as m:
        path = gold_path(settings, name)
        before, commit = lake.last_commit(spark, path)
        built_from = json.loads(commit.get("userMetadata") or "{}")
        if not full and built_from == versions:
            return m
        days = None if full else _days_changed(settings, sales, versions["gold/dim_product"], built_from, sales_change)
        if days is None:
            whole = marts.sales_daily(sales, products)
            if not small_commits.overwrite_small(path, whole, inputs):
                _write(whole, settings, name, inputs=inputs)
        elif days:
            changed = sales.where(F.col(SALES.partition).isin(sorted(set(days.values())))
                                  & F.col("date_key").isin(sorted(days)))
            frame, where = marts.sales_daily(changed, products), f"date_key IN ({', '.join(map(str, sorted(days)))})"
            if not small_commits.overwrite_small(path, frame, inputs, where):
                lake.write(frame, path, "overwrite", userMetadata=inputs, replaceWhere=where)
        m.rows_read = m.rows_written = lake.committed_rows(spark, path, before)
    return m


def _stock_performance(spark: SparkSession, settings: Settings, gold: dict[str, DataFrame], products: DataFrame,
                       changes: dict[str, FactChange], first_day: date, full: bool) -> list[Metrics]:
    """mart_stock_performance, summed from its monthly sums (`marts.stock_by_month`, kept in STOCK_BY_MONTH) over
    the period that starts on `first_day`."""
    sums = _monthly_sums(spark, settings, STOCK_BY_MONTH, gold, changes, marts.STOCK_FACTS,
                         lambda facts: marts.stock_by_month(*facts, first_day), full, first_day=first_day)
    path = gold_path(settings, STOCK_BY_MONTH)
    mart = _rebuild(settings, "mart_stock_performance", marts.stock_performance(lake.read(spark, path), products),
                    _inputs(spark, settings, (f"gold/{STOCK_BY_MONTH}", "gold/dim_product")), full)
    return [sums, mart]


def _customer_rfm(spark: SparkSession, settings: Settings, gold: dict[str, DataFrame],
                  changes: dict[str, FactChange], as_of: date, full: bool) -> list[Metrics]:
    """mart_customer_rfm, summed from its monthly sums per customer (`marts.customer_by_month`, kept in
    CUSTOMER_BY_MONTH) and scored as of the marts' as-of day."""
    sums = _monthly_sums(spark, settings, CUSTOMER_BY_MONTH, gold, changes, {"fact_sales": SALES.partition},
                         lambda facts: marts.customer_by_month(*facts), full)
    path = gold_path(settings, CUSTOMER_BY_MONTH)
    mart = _rebuild(settings, "mart_customer_rfm", marts.customer_rfm(lake.read(spark, path), as_of),
                    _inputs(spark, settings, (f"gold/{CUSTOMER_BY_MONTH}",), as_of=as_of), full)
    return [sums, mart]


def _monthly_sums(spark: SparkSession, settings: Settings, name: str, gold: dict[str, DataFrame],
                  changes: dict[str, FactChange], facts: dict[str, str],
                  compute: Callable[[list[DataFrame]], DataFrame], full: bool, **values: object) -> Metrics:
    """A table of sums per month (its `month` column) computed from `facts` (fact → its monthly partition column)
    by `compute`, of which an incremental run recomputes only the months the facts' MERGEs changed: the whole-period
    mart summed from it then reads a row per month and key, not the facts' history, and its daily cost no longer
    grows with the history kept.

    The sums are kept with the versions of the facts they were computed from and `values` (what else they depend
    on); when a fact's version is not the one this run started from (a full run, a run that failed in between,
    maintenance), a fact was rewritten whole, or a value changed, they are recomputed whole."""
    inputs = _built_from(spark, settings, tuple(f"gold/{fact}" for fact in facts), **values)
    path = gold_path(settings, name)
    with measured(spark, "gold", name) as m:
        before, commit = lake.last_commit(spark, path)
        built_from = json.loads(commit.get("userMetadata") or "{}")
        if full or built_from != inputs:
            months = None if full else _months_changed(built_from, inputs, changes, facts)
            sums = compute([gold[fact] if months is None else gold[fact].where(F.col(column).isin(sorted(months)))
                            for fact, column in facts.items()])
            if months is None:
                lake.write(sums, path, "overwrite", "month", overwriteSchema="true", userMetadata=json.dumps(inputs))
            else:
                where = f"month IN ({', '.join(repr(month) for month in sorted(months))})"
                if not small_commits.overwrite_small(path, sums, json.dumps(inputs), where, "month", sorted(months)):
                    lake.write(sums, path, "overwrite", userMetadata=json.dumps(inputs), replaceWhere=where)
            m.rows_read = m.rows_written = lake.committed_rows(spark, path, before)
    return m


def _months_changed(built_from: dict[str, object], inputs: dict[str, object], changes: dict[str, FactChange],
                    facts: dict[str, str]) -> set[str] | None:
    """The months of monthly sums to recompute, or None when only recomputing them all will do: the sums were not
    built from the facts' versions this run started from, or from the same other values."""
    if any(built_from.get(key) != value for key, value in inputs.items() if key.removeprefix("gold/") not in facts):
        return None
    months: set[str] = set()
    for fact in facts:
        change = changes[fact]
        if change.months is None or built_from.get(f"gold/{fact}") != change.before:
            return None
        months |= change.months
    return months


def _days_changed(settings: Settings, sales: DataFrame, products_version: int, built_from: dict[str, int],
                  sales_change: FactChange) -> dict[int, str] | None:
    """The days of mart_sales_daily to recompute (date_key → the fact's month), or None when only a rebuild will do.

    The products' categories then and now are read in the driver with delta-rs (a dimension: thousands of rows),
    not by Spark, whose two reads were 8 jobs (0.7-0.9 s, warm, at `bench` scale, against 10-40 ms)."""
    was_version = built_from.get("gold/dim_product")
    if sales_change.days is None or sales_change.moved_from or was_version is None \
            or built_from.get("gold/fact_sales") != sales_change.before:  # moved records left days not known here
        return None
    path = gold_path(settings, "dim_product")
    try:
        was = _categories(path, was_version)
    except (DeltaError, OSError):  # that version's log or files are gone (VACUUM)
        return None
    now = _categories(path, products_version)
    recategorised = [key for key, category in was.items() if now.get(key) != category]
    days = dict(sales_change.days)
    if recategorised:
        days |= dict(sales.where(F.col("product_key").isin(recategorised)).select("date_key", SALES.partition)
                     .distinct().collect())
    return days


def _categories(path: str, version: int) -> dict[int, str | None]:
    """Each product's category in a version of dim_product."""
    return {r["product_key"]: r["category"]
            for r in small_commits.read_rows(path, ("product_key", "category"), version)}


def _dimensions(spark: SparkSession, settings: Settings, full: bool, results: list[Metrics]) -> dict[str, DataFrame]:
    tables: Derived = {
        "dim_store": (star.dim_store(_silver(spark, settings, "stores")), ("silver/stores",)),
        "dim_supplier": (star.dim_supplier(_silver(spark, settings, "suppliers")), ("silver/suppliers",)),
        "dim_product": (star.dim_product(_silver(spark, settings, "products")), ("silver/products",)),
        "dim_customer": (star.dim_customer(_silver(spark, settings, "customers")), ("silver/customers",)),
        "dim_channel": (star.dim_channel(spark), ()),
    }
    results += _rebuild_all(spark, settings, full, tables)
    # dim_date spans whole calendar years, those of the daily facts and the purchase orders. The facts' years come
    # from their silver tables' monthly partitions (read from the Delta log, not the data), the orders' from
    # their two date columns (a small table, read without a Spark job).
    months = {month for fact in (SALES, SNAPSHOT) for month in small_commits.partition_values(
        silver_path(settings, fact.entity.name), fact.partition) if month is not None}
    orders = small_commits.read_rows(silver_path(settings, "purchase_orders"), ("order_date", "promised_date"))
    years = {int(month[:4]) for month in months} | {
        day.year for row in orders for day in row.values() if day is not None}
    first, last = date(min(years), 1, 1), date(max(years), 12, 31)
    results += _rebuild_all(spark, settings, full, {"dim_date": (star.dim_date(spark, first, last), ())},
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
    rows = [{"entity": entity, "_load_id": load} for entity, loads in processed.items() for load in loads]
    small_commits.write_rows(spark, lake.table_path(settings, "_ops", GOLD_LOADS), PROCESSED_SCHEMA, rows,
                             "overwrite" if full else "append")


def _incremental_fact(spark: SparkSession, settings: Settings, fact: IncrementalFact, dims: dict[str, DataFrame],
                      history: DataFrame, loads: list[str], moved_from: set[str], full: bool,
                      metrics: Metrics) -> FactChange:
    from delta.tables import DeltaTable

    path = gold_path(settings, fact.name)
    silver = _silver(spark, settings, fact.entity.name)
    before = lake.version(spark, path)
    if full or before < 0:
        metrics.rows_read = silver.count()
        _write(fact.derive(silver, dims, history), settings, fact.name, fact.partition, stats=DAY_STATS)
        metrics.rows_written = lake.committed_rows(spark, path, before)
        _keep_unresolved(spark, settings, fact)
        return FactChange(before, None)
    # Rows on an unknown member whose code the dimension now knows are taken again from silver: few, so their
    # keys are broadcast and silver is read only in the months they sit in.
    kept = _unresolved(spark, settings, fact, before)
    retry_months, unresolved = _resolvable(spark, settings, fact, dims, kept)
    source = silver.where(F.col("_load_id").isin(loads))
    if retry_months:
        retry = silver.where(F.col(fact.partition).isin(retry_months)) \
            .join(F.broadcast(unresolved.select(*fact.key)), list(fact.key), "left_semi")
        source = source.unionByName(retry)
    source = source.dropDuplicates(list(fact.key)).persist()
    cached = [unresolved, source]
    try:
        metrics.rows_read = source.count()
        if not metrics.rows_read:
            return FactChange(before, {})
        rows = fact.derive(source, dims, history).persist()  # read again for the rows it leaves unresolved
        cached.append(rows)
        # Few rows are brought to the driver once: their days are read there, and the driver MERGEs them.
        target = small_commits.table(path)
        arrived = small_commits.frame_for(target, rows) if metrics.rows_read <= small_commits.DRIVER_ROWS else None
        days = _days(arrived, fact.partition) if arrived is not None \
            else dict(rows.select("date_key", fact.partition).distinct().collect())
        months = sorted(set(days.values()) | moved_from)  # the months moved records leave, to MERGE them there
        if arrived is not None and small_commits.touched_rows(path, fact.partition, months) \
                > small_commits.DRIVER_MERGE_ROWS:
            arrived = None
        if fact.entity.records_can_move:
            days |= _days_left(spark, settings, fact, months, rows, arrived)
        condition = " AND ".join(f"t.{k} = s.{k}" for k in fact.key)
        condition += f" AND t.{fact.partition} IN ({', '.join(repr(m) for m in months)})"
        if arrived is not None:
            small_commits.merge_rows(target, arrived, condition)
        else:
            DeltaTable.forPath(spark, path).alias("t").merge(rows.alias("s"), condition) \
                .whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
        metrics.rows_written = lake.committed_rows(spark, path, before)
        _keep_unresolved(spark, settings, fact, (kept and kept.frame, rows, metrics.rows_read))
        return FactChange(before, days, frozenset(moved_from))
    finally:
        for frame in cached:
            frame.unpersist()


def _days(rows: pa.Table, partition: str) -> dict[int, str]:
    """The days of rows in the driver: date_key → the fact's partition value."""
    return dict(zip(rows.column("date_key").to_pylist(), rows.column(partition).to_pylist(), strict=True))


def _days_left(spark: SparkSession, settings: Settings, fact: IncrementalFact, months: list[str], rows: DataFrame,
               arrived: pa.Table | None) -> dict[int, str]:
    """The days the fact's rows with the keys about to be MERGEd sit on, in `months`, before the MERGE: a record
    sent again with its date corrected within its month leaves that day, which changes too (one that changed month
    is in the months silver recorded it left, `_moved_from`). Read by the driver from those months' files when the
    rows are there (`arrived`), by a Spark join otherwise."""
    path, columns = gold_path(settings, fact.name), [*fact.key, "date_key", fact.partition]
    if arrived is None:
        held = lake.read(spark, path).where(F.col(fact.partition).isin(months)) \
            .join(F.broadcast(rows.select(*fact.key)), list(fact.key), "left_semi")
        return dict(held.select("date_key", fact.partition).distinct().collect())
    held = small_commits.read_partitions(path, columns, fact.partition, months)
    return _days(held.join(arrived.select(list(fact.key)), list(fact.key), join_type="left semi"), fact.partition)


def unresolved_path(settings: Settings, fact: IncrementalFact) -> str:
    return gold_path(settings, f"{UNRESOLVED}/{fact.name}")


@dataclass(frozen=True)
class Kept:
    """A fact's rows on an unknown member with a code, as kept beside it; also in the driver when few."""
    frame: DataFrame
    rows: pa.Table | None


def _unresolved(spark: SparkSession, settings: Settings, fact: IncrementalFact, fact_version: int) -> Kept | None:
    """The fact's rows on an unknown member with a code, as kept beside it, if they were kept from this version of
    the fact; None when they were not (a run that failed between the two commits, maintenance's OPTIMIZE). Read by
    the driver with no Spark job, unless they are too many for it (`small_commits.DRIVER_ROWS`)."""
    path = unresolved_path(settings, fact)
    built_from = json.loads(lake.last_commit(spark, path)[1].get("userMetadata") or "{}")
    if built_from.get("fact_version") != fact_version:
        return None
    if small_commits.row_count(path) > small_commits.DRIVER_ROWS:
        return Kept(lake.read(spark, path).select(*fact.unresolved_columns), None)
    schema = lake.read(spark, gold_path(settings, fact.name)).select(*fact.unresolved_columns).schema
    rows = small_commits.read_table(path, schema.names)
    return Kept(spark.createDataFrame(rows.to_pandas(), schema), rows)


def _resolvable(spark: SparkSession, settings: Settings, fact: IncrementalFact, dims: dict[str, DataFrame],
                kept: Kept | None) -> tuple[list[str], DataFrame]:
    """The fact's rows on an unknown member whose code the dimension knows by now (`star.now_resolvable`): the
    months they sit in, and the rows' keys and months (cached when Spark found them: found once, not once for their
    months and again for their keys).

    Looked for among the rows kept beside the fact, or in the whole fact when those were not kept from its current
    version; in the driver when the kept rows were read there, against the dimensions' keys and codes read with
    delta-rs (a Spark job per dimension broadcast, and per dimension table listed, saved)."""
    columns = (*fact.key, fact.partition)
    if kept is not None and kept.rows is not None:
        dimensions = [star.BY_KEY[key] for key in fact.keys_to_resolve]
        found = star.resolvable_rows(kept.rows, fact.keys_to_resolve, {
            dim.name: small_commits.read_table(gold_path(settings, dim.name), (dim.key, dim.code))
            for dim in dimensions}).select(list(columns))
        return (sorted(set(found.column(fact.partition).to_pylist())),
                spark.createDataFrame(found.to_pandas(), kept.frame.select(*columns).schema))
    frame = lake.read(spark, gold_path(settings, fact.name)) if kept is None else kept.frame
    found = star.now_resolvable(frame, fact.keys_to_resolve, dims).select(*columns).distinct().persist()
    return [r[0] for r in found.select(fact.partition).distinct().collect()], found


def _keep_unresolved(spark: SparkSession, settings: Settings, fact: IncrementalFact,
                     merge: tuple[DataFrame | None, DataFrame, int] | None = None) -> None:
    """Keep the fact's rows on an unknown member with a code beside it (UNRESOLVED; about 0.1 % of the sales at
    bench scale), with the fact version they were kept from: the next run looks for rows to resolve among them,
    not in the whole fact, a scan that grows with the history kept. After a `merge` of rows (and their count) into
    the fact whose rows were kept (None when they were not), they are the kept rows the MERGE did not rewrite and
    the merged rows still unresolved; otherwise they are read from the fact.

    Committed from the driver with delta-rs when they cannot exceed `small_commits.DRIVER_ROWS` (the kept rows and
    the merged ones), through Spark otherwise (always after a rewrite, whose count is not known beforehand)."""
    path, target = gold_path(settings, fact.name), unresolved_path(settings, fact)
    version = json.dumps({"fact_version": lake.version(spark, path)})
    kept, merged, merged_rows = merge or (None, None, 0)
    if kept is None or merged is None:
        rows, small = star.with_unknown_code(lake.read(spark, path), fact.keys_to_resolve), False
    else:
        rows = kept.join(merged.select(*fact.key), list(fact.key), "left_anti") \
            .unionByName(star.with_unknown_code(merged, fact.keys_to_resolve).select(*fact.unresolved_columns))
        small = small_commits.row_count(target) + merged_rows <= small_commits.DRIVER_ROWS
    rows = rows.select(*fact.unresolved_columns)
    if small:
        small_commits.replace(spark, target, rows, version)
    else:
        lake.write(rows, target, "overwrite", overwriteSchema="true", userMetadata=version)
