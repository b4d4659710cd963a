"""Small Delta commits made from the driver with delta-rs (the `deltalake` package): the streaming job's
real-time path, the batch's bookkeeping (the `_ops` registries, run metrics and bronze rejects), and its MERGEs,
rewrites and appends of few rows (silver entities, gold facts, dimensions and marts: `merge_small`,
`overwrite_small`; a day's bronze files and silver quarantine: `append_small`).

A Spark write runs a few jobs of planning, scheduling and snapshot state: 1-4 s on a small pool whatever the
row count (a 600-row MERGE into 5,000 real-time positions took 3.5 s on a 2-core machine), while delta-rs
commits the same MERGE in the driver process in about 40 ms. The tables stay ordinary Delta tables that Spark
reads and writes (the same protocol and log); only the commits of a few thousand rows that a micro-batch makes
every second go this way, and the small bookkeeping tables each batch layer reads and writes (about 2 s a commit
through Spark, 10-60 ms here; a daily incremental run makes a dozen of them).

Idempotency is explicit: a commit records the application transaction (txnAppId / txnVersion, the same log
entry Spark writes), but unlike Spark's writer delta-rs does not skip a version that is already committed, so
each write asks `committed` first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from spark_pools import lake

# The most rows a table read or written through the driver (gold's kept unresolved rows, `replace`, `overwrite_small`)
# or a MERGE from it (`merge_small`) may hold: beyond it, they go through Spark instead of the driver's memory.
DRIVER_ROWS = 200_000
# The most rows of a table (the partitions it names) a MERGE from the driver may read (`merge_small`): beyond it, the
# MERGE runs in Spark. 50 k sales lines (49 k new, 1 k updated) into a month of 1.6 M, warm, on 2 cores: 1.4-2.8 s
# and one Spark job (collecting the source) from the driver, 3.8-10.6 s and 19 jobs through Spark.
DRIVER_MERGE_ROWS = 5_000_000
# The most keys of a table the driver reads to find the records a load moved from another month (silver's
# `_moved_from`): the sales line ids of the four months before the bench's incremental day, 6.1 M, take 0.65 s and
# some 200 MB there, against 3-4 s of Spark jobs; beyond it, Spark reads them.
DRIVER_KEYS = 20_000_000
# The most text (bytes of landed files) whose parsed rows bronze appends from the driver (`append_small`): about
# DRIVER_ROWS lines of the till files (some 110 bytes a line).
DRIVER_TEXT_BYTES = 24 * 2**20


def storage_options(path: str) -> dict[str, str]:
    """No options for a local folder. An `abfss://` lake is reached with the Spark pool's own Entra ID token for
    storage (the workspace's managed identity, from the pool's token service: no key, no secret)."""
    if not path.startswith("abfss://"):
        return {}
    from notebookutils import mssparkutils  # present on every Synapse Spark pool, and only there

    return {"bearer_token": mssparkutils.credentials.getToken("Storage")}


def table(path: str, version: int | None = None) -> DeltaTable:
    """The table at its latest version, or at `version` (opening reads the log from a checkpoint: milliseconds)."""
    return DeltaTable(path, version=version, storage_options=storage_options(path))


def committed(target: DeltaTable, app_id: str, version: int) -> bool:
    """Whether the application has committed this version (or a later one) to the table."""
    done = target.transaction_version(app_id)
    return done is not None and done >= version


def transaction(app_id: str, version: int) -> CommitProperties:
    """The commit's idempotent-transaction entry, as Spark's txnAppId / txnVersion write it."""
    return CommitProperties(app_transactions=[Transaction(app_id, version)])


def _arrow_schema(target: DeltaTable) -> tuple[pa.Schema, set[str]]:
    """The table's schema in Arrow, and its timestamp columns (those that need care on the way in)."""
    schema = pa.schema(target.schema().to_arrow())
    return schema, {f.name for f in schema if pa.types.is_timestamp(f.type)}


def rows_for(target: DeltaTable, rows: Iterable[Mapping[str, object]]) -> pa.Table:
    """Driver-side rows typed by the table they go into. A naive datetime is local time, as PySpark's
    `collect()` returns timestamps and as `createDataFrame` reads them."""
    schema, stamps = _arrow_schema(target)
    typed = [{**row, **{name: _utc(row[name]) for name in stamps if name in row}} for row in rows]
    return pa.Table.from_pylist(typed, schema=schema)


def _utc(moment: object) -> object:
    return moment.astimezone(UTC) if isinstance(moment, datetime) else moment


def frame_for(target: DeltaTable, frame: DataFrame, constants: Mapping[str, object] | None = None) -> pa.Table:
    """A small Spark frame as rows of the table they go into, brought to the driver through Arrow; the table's
    columns the frame lacks come from `constants`. Timestamps travel as microseconds since the epoch, so the
    session's time zone cannot shift them, and 64-bit integers as text: pandas, which Spark's Arrow transfer ends
    in, holds a column of them with a null as floats, which round hashed surrogate keys.

    A value that changes every micro-batch (its id, a time) belongs in `constants`, not in the Spark plan: a
    long or timestamp literal is written into the code Spark generates, so each batch would compile new code."""
    constants = dict(constants or {})
    schema, stamps = _arrow_schema(target)
    fields = [f for f in schema if f.name not in constants]
    as_text = {f.name for f in fields if f.name in stamps or pa.types.is_int64(f.type)}

    def sent(name: str) -> Column:
        value = F.unix_micros(name) if name in stamps else F.col(name)
        return value.cast("string").alias(name) if name in as_text else value

    data = frame.select(*[sent(f.name) for f in fields]).toPandas()
    found = pa.Table.from_pandas(data, schema=pa.schema([pa.field(f.name, pa.string()) if f.name in as_text else f
                                                         for f in fields]), preserve_index=False)

    def arrived(field: pa.Field) -> pa.ChunkedArray | pa.Array:
        if field.name in constants:
            return pa.array([_utc(constants[field.name])] * found.num_rows, field.type)
        column = found.column(field.name)
        return (column.cast(pa.int64()) if field.name in as_text else column).cast(field.type)

    return pa.table({f.name: arrived(f) for f in schema}, schema=schema)


def append(path: str, rows: Iterable[Mapping[str, object]] | DataFrame, once: tuple[str, int] | None = None,
           constants: Mapping[str, object] | None = None) -> bool:
    """Append driver-side rows or a small Spark frame (with `constants`, see `frame_for`); with `once`
    (app_id, version), only if that version has not been committed before."""
    target = table(path)
    if once and committed(target, *once):
        return False
    data = frame_for(target, rows, constants) if isinstance(rows, DataFrame) else rows_for(target, rows)
    if data.num_rows:
        write_deltalake(target, data, mode="append", commit_properties=transaction(*once) if once else None)
    return True


def append_small(path: str, frame: DataFrame, size: int, limit: int,
                 constants: Mapping[str, object] | None = None) -> bool:
    """Append a Spark frame (with `constants`, see `frame_for`) from the driver: only into an existing table, and
    only when its `size` (its rows, or the bytes of text it was parsed from) is within `limit` (DRIVER_ROWS,
    DRIVER_TEXT_BYTES). False, with nothing written, when Spark's writer must do it."""
    if size > limit or not _is_table(path):
        return False
    return append(path, frame, constants=constants)


def _is_table(path: str) -> bool:
    return DeltaTable.is_deltatable(path, storage_options=storage_options(path))


def read_rows(path: str, columns: Sequence[str], version: int | None = None) -> list[dict[str, object]]:
    """A small table's rows in the driver ([] while there is no table yet), at its latest version or at `version`,
    without a Spark job. An earlier version whose log or files are gone (VACUUM) raises DeltaError or OSError."""
    if not _is_table(path):
        return []
    return read_table(path, columns, version).to_pylist()


def read_table(path: str, columns: Sequence[str], version: int | None = None,
               where: tuple[str, Sequence[str]] | None = None) -> pa.Table:
    """A small table's columns in the driver, as Arrow (see `read_rows`; the table must exist); with `where`
    (a text column, values) only the rows whose column holds one of the values. The filter is applied to the rows
    read, not pushed into the scan: pushed down, it failed on tables delta-rs wrote (no kernel comparing `string`
    with `string_view`)."""
    if where is None:
        return table(path, version).to_pyarrow_dataset().to_table(columns=list(columns))
    column, values = where
    rows = table(path, version).to_pyarrow_dataset().to_table(columns=list(dict.fromkeys((*columns, column))))
    return rows_among(rows, column, values).select(list(columns))


def read_partitions(path: str, columns: Sequence[str], partition: str, values: Sequence[str]) -> pa.Table:
    """A table's columns in the driver, as Arrow, from the files of its `partition` `values` only."""
    pruned = table(path).to_pyarrow_dataset(file_pruning_predicate=[(partition, "in", list(values))])
    return pruned.to_table(columns=list(columns))


def rows_with_keys(path: str, keys: pa.Table, columns: Sequence[str], partition: str,
                   values: Sequence[str]) -> pa.Table:
    """The rows of a table's `partition` `values` whose key (the columns of `keys`) is among the rows of `keys`,
    with those columns and `columns`: where rows about to be MERGEd sit now, read in the driver."""
    names = keys.column_names
    held = read_partitions(path, list(dict.fromkeys((*names, *columns))), partition, values)
    return held.join(keys, names, join_type="left semi")


def rows_among(rows: pa.Table, column: str, values: Sequence[str]) -> pa.Table:
    """The rows whose text `column` holds one of `values` (none when there are none)."""
    return rows.filter(pc.is_in(rows[column], pa.array(values, pa.string())))


def _files(path: str) -> pa.Table:
    """One row per data file of the table's latest version, with what its log keeps on it: record count, and
    min / max / null count of the statistics columns (`min.<column>`, ...)."""
    return pa.table(table(path).get_add_actions(flatten=True))


def row_count(path: str) -> int:
    """The rows of a table's latest version, from the record counts its log keeps per file: no data file is read."""
    return touched_rows(path)


def column_range(path: str, column: str) -> tuple[object, object] | None:
    """The smallest and largest value of a column in the table's latest version, from the statistics its log keeps
    per file: no data file is read. None when a file with rows has no statistics on it (the column is not among
    the table's statistics columns, or the file was written before it was) or the table has no rows."""
    actions = _files(path)
    if f"min.{column}" not in actions.column_names:
        return None
    stats = [(low, high) for rows, low, high in zip(actions.column("num_records").to_pylist(),
                                                    actions.column(f"min.{column}").to_pylist(),
                                                    actions.column(f"max.{column}").to_pylist(), strict=True)
             if rows != 0]
    if not stats or any(low is None or high is None for low, high in stats):
        return None
    return min(low for low, _ in stats), max(high for _, high in stats)


def partition_values(path: str, column: str) -> set[object]:
    """The values a partitioned table's partition column takes, from its log alone: no data file is read."""
    if not _is_table(path):
        return set()
    return {partition[column] for partition in table(path).partitions()}


def replace(spark: SparkSession, path: str, frame: DataFrame, user_metadata: str) -> None:
    """Overwrite a small table with a small Spark frame (brought to the driver through Arrow), the commit carrying
    `user_metadata` where Spark's writer records it. Created through Spark first, as `write_rows` does."""
    lake.create(spark, path, frame.schema)
    target = table(path)
    write_deltalake(target, frame_for(target, frame), mode="overwrite",
                    commit_properties=CommitProperties(custom_metadata={"userMetadata": user_metadata}))


def touched_rows(path: str, partition: str | None = None, values: Sequence[str] = ()) -> int:
    """The rows a MERGE or overwrite naming these partition `values` reads of the table (all its rows when
    unpartitioned), from the record counts its log keeps: no data file is read."""
    return _touched(table(path), partition, values)


def _touched(target: DeltaTable, partition: str | None, values: Sequence[str]) -> int:
    files = pa.table(target.get_add_actions(flatten=True))
    counts = files.column("num_records").to_pylist()
    if partition is None:
        return sum(count or 0 for count in counts)
    wanted = set(values)
    return sum(count or 0 for count, value in zip(counts, files.column(f"partition.{partition}").to_pylist(),
                                                  strict=True) if value in wanted)


def merge_small(path: str, frame: DataFrame, rows: int, condition: str, update_if: str | None = None,
                partition: str | None = None, values: Sequence[str] = (), user_metadata: str | None = None,
                arrived: pa.Table | None = None) -> bool:
    """MERGE a Spark frame of `rows` rows (brought to the driver through Arrow, unless `arrived` holds them there
    already, `frame_for`) into a table by `condition` between `t` (the table) and `s` (the frame): matched rows are
    updated (those meeting `update_if`), the others inserted; the commit carries `user_metadata` if given. Only when
    the frame holds at most DRIVER_ROWS and the table (its `partition` `values` the condition names) at most
    DRIVER_MERGE_ROWS; False, with nothing written, when Spark's MERGE must do it."""
    target = table(path)
    if not merges_from_driver(target, rows, partition, values):
        return False
    merge_rows(target, frame_for(target, frame) if arrived is None else arrived, condition, update_if, user_metadata)
    return True


def merges_from_driver(target: DeltaTable, rows: int, partition: str | None = None, values: Sequence[str] = ()) -> bool:
    """Whether a MERGE of `rows` rows into the table (its `partition` `values`) is made from the driver: at most
    DRIVER_ROWS rows, into at most DRIVER_MERGE_ROWS of the table."""
    return rows <= DRIVER_ROWS and _touched(target, partition, values) <= DRIVER_MERGE_ROWS


def merge_rows(target: DeltaTable, source: pa.Table, condition: str, update_if: str | None = None,
               user_metadata: str | None = None) -> None:
    """MERGE rows already in the driver (`frame_for`) into a table, as `merge_small` does; no commit when there
    are none."""
    if source.num_rows:
        commit = None if user_metadata is None else CommitProperties(custom_metadata={"userMetadata": user_metadata})
        target.merge(source, condition, source_alias="s", target_alias="t", commit_properties=commit) \
            .when_matched_update_all(predicate=update_if).when_not_matched_insert_all().execute()


def overwrite_small(path: str, frame: DataFrame, user_metadata: str, predicate: str | None = None,
                    partition: str | None = None, values: Sequence[str] = ()) -> bool:
    """Overwrite a small table with a Spark frame from the driver, or with `predicate` only its rows matching it (as
    Spark's replaceWhere, the frame's rows checked against it too), the commit carrying `user_metadata`. Only when
    the table exists with the frame's columns and types and what may be replaced (the whole table, or its
    `partition` `values` the predicate names) holds at most half of DRIVER_ROWS: a derived table does not double in a
    day. False, with nothing written, when Spark's writer must do it (a new table, a changed schema, a large one)."""
    if not _is_table(path):
        return False
    target = table(path)
    columns = StructType.fromJson(json.loads(target.schema().to_json()))
    if [(f.name, f.dataType) for f in columns] != [(f.name, f.dataType) for f in frame.schema] \
            or _touched(target, partition, values) > DRIVER_ROWS // 2:
        return False
    write_deltalake(target, frame_for(target, frame), mode="overwrite", predicate=predicate,
                    commit_properties=CommitProperties(custom_metadata={"userMetadata": user_metadata}))
    return True


def write_rows(spark: SparkSession, path: str, schema: str, rows: Iterable[Mapping[str, object]],
               mode: str = "append") -> None:
    """Append (or overwrite with) driver-side rows. The first write creates the table empty through Spark, so it
    carries the same table properties as every other table of the lake (`lake.write`)."""
    lake.create(spark, path, schema)
    target = table(path)
    data = rows_for(target, rows)
    if data.num_rows or mode == "overwrite":
        write_deltalake(target, data, mode=mode)
