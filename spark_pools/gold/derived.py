"""Where gold's tables live, how they are written, and how a table derived whole from others is rebuilt only
when one of them changed: its commit keeps what it was built from (the versions of the tables it reads, and any
other value its content depends on) as Delta user metadata, and an unchanged record means no rewrite."""

from __future__ import annotations

import json
from collections.abc import Callable

from pyspark.sql import DataFrame, SparkSession

from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.maintenance import zorder_columns
from spark_pools.ops import Metrics, measured
from spark_pools.parallel import run_all
from spark_pools.silver.build import silver_path


def gold_path(settings: Settings, name: str) -> str:
    """Where a gold table (or one kept beside it, `_unresolved/<fact>`) lives."""
    return lake.table_path(settings, "gold", name)


def write(frame: DataFrame, settings: Settings, name: str, partition: str | None = None,
          inputs: str | None = None, stats: tuple[str, ...] = ()) -> None:
    """Overwrite a gold table through Spark: Delta statistics on its Z-order columns and `stats` only, and what it
    was built from (`inputs`) kept with the commit."""
    options = {"overwriteSchema": "true"} | ({"userMetadata": inputs} if inputs is not None else {})
    lake.write(frame, gold_path(settings, name), "overwrite", partition, (*zorder_columns("gold", name), *stats),
               **options)


def read_silver(spark: SparkSession, settings: Settings, name: str) -> DataFrame:
    """A silver entity, as gold reads it."""
    return lake.read(spark, silver_path(settings, name))


Derived = dict[str, tuple[DataFrame, tuple[str, ...]]]  # table -> (its content, the tables it reads)


def rebuild_all(spark: SparkSession, settings: Settings, full: bool, tables: Derived,
                **values: object) -> list[Metrics]:
    """`rebuild` each of `tables` (name -> its content and the tables it reads), side by side."""
    return run_all(rebuild_tasks(spark, settings, full, tables, **values), settings.spark.parallel_jobs)


def rebuild_tasks(spark: SparkSession, settings: Settings, full: bool, tables: Derived,
                  **values: object) -> list[Callable[[], Metrics]]:
    """What `rebuild_all` runs, as tasks a caller can run beside its own."""
    def one(name: str, frame: DataFrame, reads: tuple[str, ...]) -> Metrics:
        return rebuild(settings, name, frame, inputs(spark, settings, reads, **values), full)

    return [lambda n=n, f=f, r=r: one(n, f, r) for n, (f, r) in tables.items()]


def built_from(spark: SparkSession, settings: Settings, reads: tuple[str, ...], **values: object) -> dict[str, object]:
    """What a derived table records it was built from: the versions of the tables it reads, and any other value
    its content depends on (a day)."""
    return {**versions(spark, settings, reads), **{k: str(v) for k, v in values.items()}}


def inputs(spark: SparkSession, settings: Settings, reads: tuple[str, ...], **values: object) -> str:
    """`built_from` as the text kept with the table's commit."""
    return json.dumps(built_from(spark, settings, reads, **values), sort_keys=True)


def versions(spark: SparkSession, settings: Settings, tables: tuple[str, ...]) -> dict[str, int]:
    """The current version of each `layer/name` table: what a derived table records it was built from."""
    return {table: lake.version(spark, lake.table_path(settings, *table.split("/", 1))) for table in tables}


def rebuild(settings: Settings, name: str, frame: DataFrame, inputs: str, full: bool) -> Metrics:
    """Overwrite a table derived whole from its inputs, unless (incremental runs) its inputs are unchanged since
    it was last written: `inputs` (the versions of the tables it reads) is kept with the table's commit as
    Delta user metadata. A skipped table's metrics row says 0 read and 0 written."""
    with measured(frame.sparkSession, "gold", name) as m:
        path = gold_path(settings, name)
        before, commit = lake.last_commit(frame.sparkSession, path)
        if not full and commit.get("userMetadata") == inputs:
            return m
        if not small_commits.overwrite_small(path, frame, inputs):
            write(frame, settings, name, inputs=inputs)
        m.rows_read = m.rows_written = lake.committed_rows(frame.sparkSession, path, before)
    return m
