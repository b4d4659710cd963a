"""Build one silver entity from its new bronze rows: conform, check, quarantine, deduplicate, merge.

Incremental by load id: the bronze loads an entity has not processed yet (per `_ops/silver_loads`) are read,
checked and merged with a Delta MERGE whose condition names the partitions the batch touches. `full` rebuilds
the entity from every bronze load. Either way the job accounts for every row it read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce

import pyarrow as pa
from py4j.protocol import Py4JJavaError
from pyspark.errors.exceptions.captured import CapturedException
from pyspark.sql import Column, DataFrame, Observation, SparkSession, Window
from pyspark.sql import functions as F

from pipelines.catalog import SOURCES
from retail.secrets import resolve
from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.bronze.land import REGISTRY, bronze_schema
from spark_pools.maintenance import zorder_columns
from spark_pools.ops import Metrics
from spark_pools.silver.entities import BY_NAME, ENTITIES, Entity
from spark_pools.silver.pii import hmac_sha256
from spark_pools.silver.rules import RuleFailedError, evaluate

PROCESSED = "silver_loads"
PROCESSED_SCHEMA = "entity string, _load_id string"
MOVES = "silver_moves"  # the months records left when a load moved them to another month: gold MERGEs them too
MOVES_SCHEMA = "entity string, _load_id string, month string"
FATAL = "[retail:fail-rule]"  # marks the error a broken `fail` rule raises inside a Spark job
SCD2_COLUMNS = ("valid_from", "valid_to", "is_current")
QUARANTINE_SCHEMA = ("business_key string, failed_rules array<string>, _original string, _source_file string, "
                     "_delivery_date date, _load_id string, _ingest_ts timestamp")


def silver_path(settings: Settings, name: str) -> str:
    return lake.table_path(settings, "silver", name)


def quarantine_path(settings: Settings, name: str) -> str:
    return lake.table_path(settings, "silver", f"_quarantine/{name}")


def pending_loads(spark: SparkSession, settings: Settings, full: bool) -> dict[str, list[str]]:
    """Per entity, the bronze load ids of its sources that silver has not processed (all of them when `full`).
    Read once per run from the two small registries, not per entity."""
    by_source: dict[str, set[str]] = {}
    for r in small_commits.read_rows(lake.table_path(settings, "_ops", REGISTRY), ("source", "_load_id")):
        by_source.setdefault(r["source"], set()).add(r["_load_id"])
    done: dict[str, set[str]] = {}
    if not full:
        for r in small_commits.read_rows(lake.table_path(settings, "_ops", PROCESSED), ("entity", "_load_id")):
            done.setdefault(r["entity"], set()).add(r["_load_id"])
    return {e.name: sorted(set().union(*[by_source.get(s, set()) for s in e.conform]) - done.get(e.name, set()))
            for e in ENTITIES}


def staged(spark: SparkSession, settings: Settings, entity: Entity, loads: list[str]) -> DataFrame:
    """The entity's typed rows from the given bronze loads, with every rule evaluated."""
    parts = []
    for source, sql in entity.conform.items():
        # A source that has delivered nothing yet has no bronze table: it reads as empty, with its contract's columns.
        bronze = lake.read_or_empty(spark, lake.table_path(settings, "bronze", source), bronze_schema(SOURCES[source]))
        parts.append(spark.sql(sql, bronze=bronze.where(F.col("_load_id").isin(loads))))
    frame = reduce(lambda a, b: a.unionByName(b), parts)
    for column, master in entity.codes.items():
        frame = _flag_known(spark, settings, frame, column, master)
    if entity.pii:
        key = resolve(settings, "pii_hash_key")
        frame = frame.withColumns({f"{c}_hash": hmac_sha256(F.col(c), key) for c in entity.pii}).drop(*entity.pii)
    return evaluate(frame, entity.checks)


def _flag_known(spark: SparkSession, settings: Settings, frame: DataFrame, column: str, master: str) -> DataFrame:
    master_entity = BY_NAME[master]
    codes = lake.read_or_empty(spark, silver_path(settings, master), f"{master_entity.key[0]} string") \
        .select(F.col(master_entity.key[0]).alias("_code")).distinct()
    flag = f"_known_{column}"
    joined = frame.join(F.broadcast(codes.withColumn(flag, F.lit(True))), frame[column] == codes["_code"], "left")
    return joined.drop("_code").withColumn(flag, F.coalesce(F.col(flag), F.lit(False)))


def _data_columns(frame: DataFrame) -> list[str]:
    """What silver keeps: typed values and lineage; raw text twins, flags and the original record stay behind."""
    dropped = {"_original", "_dq_failed", "_dq_fatal"}
    return [c for c in frame.columns
            if c not in dropped and not c.endswith("_text") and not c.startswith("_known_")]


def build(spark: SparkSession, settings: Settings, entity: Entity, loads: list[str], full: bool,
          metrics: Metrics) -> None:
    """Conform, check and merge the given bronze loads into one entity, accounting for every row."""
    target, quarantine = silver_path(settings, entity.name), quarantine_path(settings, entity.name)
    if not loads:
        if not lake.exists(spark, target):  # nothing delivered yet: the entity is created empty, so gold can read it
            _overwrite(_kept(staged(spark, settings, entity, []), entity), target, entity)
        return
    # Bronze is read twice: once to write the kept rows, once to write the quarantined ones (whose `_original`
    # only they compute). The counts are metrics Spark observes while the kept rows are written, not a pass of
    # their own, and a row breaking a `fail` rule aborts that write, so nothing is committed. Not cached: a cache
    # of every conformed row (with its original record as JSON) costs more in memory, and spills at scale, than
    # reading bronze again.
    rows = staged(spark, settings, entity, loads)
    before = {path: lake.version(spark, path) for path in (target, quarantine)}
    key = F.concat_ws("|", *[F.col(k).cast("string") for k in entity.key])
    failed = _failed()
    bad = rows.where(failed).select(
        key.alias("business_key"), F.col("_dq_failed").alias("failed_rules"), "_original", "_source_file",
        "_delivery_date", "_load_id", "_ingest_ts")
    counts = [
        F.count(F.lit(1)).alias("read"), F.sum(failed.cast("int")).alias("quarantined"),
        F.max(F.when(F.size("_dq_fatal") > 0, F.raise_error(F.concat(
            F.lit(f"{FATAL} {entity.name}: a row breaks fail rules ["), F.array_join("_dq_fatal", ", "),
            F.lit("]; nothing written"))))).alias("fatal"),
        *[F.sum(F.array_contains("_dq_failed", r.name).cast("int")).alias(f"q:{r.name}")
          for r in entity.checks if r.action == "quarantine"],
        *[F.sum(F.array_contains("_dq_warnings", r.name).cast("int")).alias(f"w:{r.name}")
          for r in entity.checks if r.action == "warn"]]
    checked, deduplicated = Observation(f"silver {entity.name} read"), Observation(f"silver {entity.name} kept")
    kept = _kept(rows.observe(checked, *counts), entity).observe(deduplicated, F.count(F.lit(1)).alias("kept"))
    with _fail_rules_stop():
        if full:
            _overwrite(kept, target, entity)
            stats, kept_rows = checked.get, deduplicated.get["kept"]
        else:
            kept = kept.persist()  # a MERGE reads its source more than once (the months it touches, then the rows)
            try:
                kept_rows = kept.count()  # fills the cache and the observed counts; a broken `fail` rule stops here
                if kept_rows:
                    _merge_loads(spark, settings, kept, kept_rows, entity, loads)
                    stats = checked.get
                else:
                    # Nothing to merge. With adaptive execution Spark replaces a cached result it finds empty by an
                    # empty scan and never reports the metrics observed inside it (`get` would wait forever), so
                    # the counts take a query of their own: every row read was quarantined, or the load had none.
                    stats = rows.agg(*counts).first().asDict()
            finally:
                kept.unpersist()
    quarantined = stats["quarantined"] or 0
    if full:  # a full rebuild resets the quarantine, even to empty
        lake.write(bad if quarantined else bad.limit(0), quarantine, "overwrite", overwriteSchema="true")
    elif quarantined and not small_commits.append_small(quarantine, bad, quarantined, small_commits.DRIVER_ROWS):
        lake.write(bad, quarantine, "append")
    # Written and quarantined are read back from the Delta commits themselves, not from our own counts.
    written = lake.committed_rows(spark, target, before[target]) if entity.history == "upsert" else kept_rows
    good_rows = stats["read"] - quarantined
    metrics.rows_read = stats["read"]
    metrics.rows_quarantined = lake.committed_rows(spark, quarantine, before[quarantine])
    metrics.rows_written = written
    metrics.rows_deduplicated = good_rows - kept_rows
    metrics.quarantined_by_rule = {k[2:]: v or 0 for k, v in stats.items() if k.startswith("q:")}
    metrics.warnings_by_rule = {k[2:]: v or 0 for k, v in stats.items() if k.startswith("w:")}


@contextmanager
def _fail_rules_stop() -> Iterator[None]:
    """A `fail` rule raises inside the Spark job that writes; the caller sees it as a RuleFailedError."""
    try:
        yield
    except (CapturedException, Py4JJavaError) as error:
        found = re.search(re.escape(FATAL) + r" ([^\n]*?nothing written)", str(error))
        if found is None:
            raise
        raise RuleFailedError(found.group(1)) from None


def mark_processed(spark: SparkSession, settings: Settings, loads: dict[str, list[str]], full: bool) -> None:
    """Record which bronze loads each entity took in, in one commit after all entities succeeded."""
    done = [{"entity": e, "_load_id": load} for e, ids in loads.items() for load in ids]
    small_commits.write_rows(spark, lake.table_path(settings, "_ops", PROCESSED), PROCESSED_SCHEMA, done,
                             "overwrite" if full else "append")
    # Created here, by one thread, so the entities' builds only ever append to it; emptied by a full rebuild.
    small_commits.write_rows(spark, lake.table_path(settings, "_ops", MOVES), MOVES_SCHEMA, [],
                             "overwrite" if full else "append")


def _failed() -> Column:
    """A row broke a quarantine rule: it goes to the quarantine table, not to the entity."""
    return F.size("_dq_failed") > 0


def _kept(rows: DataFrame, entity: Entity) -> DataFrame:
    """The rows silver keeps: those failing no rule, with their data columns and partition, the latest per key."""
    good = rows.where(~_failed()).select(*_data_columns(rows))
    if entity.partition:
        good = good.withColumn(entity.partition, F.expr(entity.partition_expr))
    return _latest(good, entity)


def _version_key(entity: Entity) -> list[str]:
    """What identifies one kept row: the business key (and, for SCD2, the version's valid_from)."""
    return list(entity.key) + (["valid_from"] if entity.history == "scd2" else [])


def _latest(good: DataFrame, entity: Entity) -> DataFrame:
    """One row per business key (per key and version for SCD2): the latest one received wins."""
    keys = _version_key(entity)
    order = [F.col(entity.latest_by).desc_nulls_last(), F.col("_ingest_ts").desc(), F.col("_source_file").desc()]
    ranked = good.withColumn("_rank", F.row_number().over(Window.partitionBy(*keys).orderBy(*order)))
    kept = ranked.where("_rank = 1").drop("_rank")
    if entity.history == "scd2":
        kept = kept.withColumn("_row_hash", _row_hash(kept, entity))
    return kept


def _row_hash(frame: DataFrame, entity: Entity) -> F.Column:
    attributes = [c for c in frame.columns if not c.startswith("_") and c not in entity.key and c != "valid_from"]
    return F.sha2(F.to_json(F.struct(*attributes)), 256)


def _versions(frame: DataFrame, entity: Entity) -> DataFrame:
    """SCD type 2: versions ordered by valid_from, unchanged repeats dropped, each closed by the next one."""
    by_key = Window.partitionBy(*entity.key).orderBy("valid_from")
    changed = frame.withColumn("_previous", F.lag("_row_hash").over(by_key)) \
        .where(F.col("_previous").isNull() | (F.col("_previous") != F.col("_row_hash"))).drop("_previous")
    return changed.withColumn("valid_to", F.lead("valid_from").over(by_key)) \
        .withColumn("is_current", F.col("valid_to").isNull())


def _overwrite(kept: DataFrame, target: str, entity: Entity) -> None:
    frame = _versions(kept, entity) if entity.history == "scd2" else kept
    lake.write(frame, target, "overwrite", entity.partition, zorder_columns("silver", entity.name),
               overwriteSchema="true")


def _merge_loads(spark: SparkSession, settings: Settings, kept: DataFrame, kept_rows: int, entity: Entity,
                 loads: list[str]) -> None:
    """MERGE the loads' kept rows into the entity, over the months they fall in and those they move records out of;
    the latter are recorded first (`MOVES`), for gold: a re-run after a failure would find the records moved.
    Few rows are brought to the driver once (`_in_driver`): their months and the records they move are found
    there, and the driver MERGEs the same rows."""
    target = silver_path(settings, entity.name)
    arrived = _in_driver(spark, target, kept, kept_rows, entity)
    months = _months(kept, arrived, entity)
    moved_from = _moved_from(spark, kept, arrived, target, entity, months)
    if moved_from:  # the table exists: moving needs an earlier run, whose `mark_processed` created it
        small_commits.write_rows(spark, lake.table_path(settings, "_ops", MOVES), MOVES_SCHEMA, [
            {"entity": entity.name, "_load_id": load, "month": month} for load in loads for month in moved_from])
    _merge(spark, kept, arrived, kept_rows, target, entity, months + moved_from)


def _in_driver(spark: SparkSession, target: str, kept: DataFrame, kept_rows: int, entity: Entity) -> pa.Table | None:
    """The kept rows as rows of the entity, in the driver, when they are few (`small_commits.DRIVER_ROWS`) and
    MERGEd as they are (an SCD2 entity MERGEs versions derived from them and its history): brought over once for
    their months, the records they move and the MERGE, instead of a Spark query for each."""
    if entity.history != "upsert" or kept_rows > small_commits.DRIVER_ROWS or not lake.exists(spark, target):
        return None
    return small_commits.frame_for(small_commits.table(target), kept)


def _months(kept: DataFrame, arrived: pa.Table | None, entity: Entity) -> list[str]:
    """The monthly partitions the kept rows fall in (none for an entity not partitioned)."""
    if not entity.partition:
        return []
    if arrived is not None:
        return list(set(arrived.column(entity.partition).to_pylist()))
    return [r[0] for r in kept.select(entity.partition).distinct().collect()]


def _merge(spark: SparkSession, kept: DataFrame, arrived: pa.Table | None, kept_rows: int, target: str,
           entity: Entity, months: list[str]) -> None:
    """MERGE the kept rows (`arrived`: already in the driver) into the entity; a partitioned entity's condition
    names `months`, the only ones touched.

    A MERGE of few rows into a small table (its touched part) is made from the driver with delta-rs
    (`small_commits.merge_small`): a Spark MERGE is a dozen jobs of fixed cost, and a day's run makes one per entity."""
    from delta.tables import DeltaTable

    if not lake.exists(spark, target):
        _overwrite(kept, target, entity)
        return
    if entity.history == "scd2":
        affected = kept.select(*entity.key).distinct()
        history = lake.read(spark, target).join(affected, list(entity.key), "left_semi") \
            .drop("valid_to", "is_current")
        incoming_versions = kept.select(*entity.key, "valid_from")
        older = history.join(incoming_versions, [*entity.key, "valid_from"], "left_anti")
        source = _versions(older.unionByName(kept), entity)
        keys, update_if = (*entity.key, "valid_from"), None
    else:
        source, keys, update_if = kept, entity.key, f"s.{entity.latest_by} >= t.{entity.latest_by}"
    condition = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    if entity.partition:
        listed = ", ".join(f"'{m}'" for m in months) or "NULL"
        condition += f" AND t.{entity.partition} IN ({listed})"  # prunes MERGE to the months this load touches
    if small_commits.merge_small(target, source, kept_rows, condition, update_if, entity.partition, months,
                                 arrived=arrived):
        return
    (DeltaTable.forPath(spark, target).alias("t").merge(source.alias("s"), condition)
     .whenMatchedUpdateAll(condition=update_if).whenNotMatchedInsertAll().execute())


def _moved_from(spark: SparkSession, kept: DataFrame, arrived: pa.Table | None, target: str, entity: Entity,
                months: list[str]) -> list[str]:
    """The months outside `months` (those of the incoming rows) holding one of their keys: records sent again with
    their date moved to another month. A MERGE naming only `months` would insert them a second time; naming these
    too moves them (Delta writes an updated row to its new partition). Few or none, but finding them reads the key
    of every other month: in the driver, with delta-rs, when the kept rows are there and those keys are at most
    `small_commits.DRIVER_KEYS`; otherwise by Spark, the incoming keys (one day's) broadcast."""
    if not entity.records_can_move or not lake.exists(spark, target):
        return []
    keys = list(entity.key)
    if arrived is not None:
        others = sorted(small_commits.partition_values(target, entity.partition) - {*months, None})
        if not others:
            return []
        if small_commits.touched_rows(target, entity.partition, others) <= small_commits.DRIVER_KEYS:
            found = small_commits.rows_with_keys(target, arrived.select(keys), [entity.partition], entity.partition,
                                                 others)
            return sorted(set(found.column(entity.partition).to_pylist()))
    elsewhere = lake.read(spark, target).where(~F.col(entity.partition).isin(months)) \
        .join(F.broadcast(kept.select(*keys)), keys, "left_semi")
    return [r[0] for r in elsewhere.select(entity.partition).distinct().collect()]
