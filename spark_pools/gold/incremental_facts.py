"""The large facts, MERGEd each day from the silver loads gold has not taken in yet (`merge_loads`), in the
monthly partitions of their silver entity.

Rows on an unknown (-1) member whose code the dimension now knows are taken again from silver, so a late-arriving
product or store resolves on the next run; they are looked for among the fact's rows on an unknown member with a
code, kept beside it in UNRESOLVED (`keep_unresolved`), not in the whole fact. What a run changed (`FactChange`:
the days and months) is what the marts recompute (`mart_updates`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.gold import derived, star
from spark_pools.gold.derived import gold_path
from spark_pools.ops import Metrics
from spark_pools.silver.entities import INVENTORY_COUNTS, INVENTORY_MOVEMENTS, SALES_LINES, Entity

UNRESOLVED = "_unresolved"  # gold/_unresolved/<fact>: its rows on an unknown member with a code (`keep_unresolved`)
# The large facts keep Delta statistics on their day (besides their Z-order columns): the marts' period is read
# from the log (`days_covered`), and a filter on days skips files.
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


def days_covered(spark: SparkSession, settings: Settings, fact: IncrementalFact) -> tuple[date, date] | None:
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


def merge_loads(spark: SparkSession, settings: Settings, fact: IncrementalFact, dims: dict[str, DataFrame],
                history: DataFrame, loads: list[str], moved_from: set[str], full: bool,
                metrics: Metrics) -> FactChange:
    """MERGE into the fact the rows of the silver `loads` and the rows on an unknown member whose code is now
    known, in the months they fall in and those `moved_from` (records silver moved to another month); a full run
    or a first build writes it whole from silver. Counts go to `metrics`; what changed is returned."""
    from delta.tables import DeltaTable

    path = gold_path(settings, fact.name)
    silver = derived.read_silver(spark, settings, fact.entity.name)
    before = lake.version(spark, path)
    if full or before < 0:
        metrics.rows_read = silver.count()
        derived.write(fact.derive(silver, dims, history), settings, fact.name, fact.partition, stats=DAY_STATS)
        metrics.rows_written = lake.committed_rows(spark, path, before)
        keep_unresolved(spark, settings, fact)
        return FactChange(before, None)
    # Rows on an unknown member whose code the dimension now knows are taken again from silver: few, so their
    # keys are broadcast and silver is read only in the months they sit in.
    kept = kept_unresolved(spark, settings, fact, before)
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
        if arrived is not None and not small_commits.merges_from_driver(target, arrived.num_rows, fact.partition,
                                                                        months):
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
        keep_unresolved(spark, settings, fact, (kept and kept.frame, rows, metrics.rows_read))
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
    path = gold_path(settings, fact.name)
    if arrived is None:
        held = lake.read(spark, path).where(F.col(fact.partition).isin(months)) \
            .join(F.broadcast(rows.select(*fact.key)), list(fact.key), "left_semi")
        return dict(held.select("date_key", fact.partition).distinct().collect())
    held = small_commits.rows_with_keys(path, arrived.select(list(fact.key)), ["date_key", fact.partition],
                                        fact.partition, months)
    return _days(held, fact.partition)


def unresolved_path(settings: Settings, fact: IncrementalFact) -> str:
    """Where the fact's rows on an unknown member with a code are kept (UNRESOLVED)."""
    return gold_path(settings, f"{UNRESOLVED}/{fact.name}")


@dataclass(frozen=True)
class Kept:
    """A fact's rows on an unknown member with a code, as kept beside it; also in the driver when few."""
    frame: DataFrame
    rows: pa.Table | None


def kept_unresolved(spark: SparkSession, settings: Settings, fact: IncrementalFact, fact_version: int) -> Kept | None:
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


def keep_unresolved(spark: SparkSession, settings: Settings, fact: IncrementalFact,
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
