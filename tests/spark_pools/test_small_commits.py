"""Driver-side commits (delta-rs) into tables Spark created and reads: types, timestamps and idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from spark_pools import lake, small_commits

SCHEMA = "text string, n long, ts timestamp, d date, x double, m map<string,long>"


def _table(spark: SparkSession, folder: Path) -> str:
    spark.createDataFrame([], SCHEMA).write.format("delta").save(str(folder))
    return str(folder)


def test_rows_keep_their_values_and_types_as_spark_reads_them(spark: SparkSession, tmp_path: Path) -> None:
    table = _table(spark, tmp_path)
    aware = datetime(2026, 11, 26, 13, 0, 0, 123456, tzinfo=UTC)
    rows = [{"text": "it's \"quoted\"", "n": 1, "ts": aware, "d": date(2026, 11, 26), "x": None, "m": {"a": 3}},
            {"text": "second", "n": 2, "ts": None, "d": None, "x": 0.5, "m": {}}]
    assert small_commits.append(table, rows)
    read = {r.text: r for r in lake.read(spark, table).collect()}
    # PySpark gives back naive local time; the driver-side writer reads a naive datetime the same way.
    assert read["it's \"quoted\""].ts.astimezone(UTC) == aware
    assert (read["second"].n, read["second"].x, read["second"].m, read["it's \"quoted\""].m) == (2, 0.5, {}, {"a": 3})
    assert small_commits.append(table, [{**rows[1], "text": "third", "ts": read["it's \"quoted\""].ts}])
    third = lake.read(spark, table).where("text = 'third'").first()
    assert third.ts == read["it's \"quoted\""].ts


def test_an_append_is_committed_once_per_application_version(spark: SparkSession, tmp_path: Path) -> None:
    table = _table(spark, tmp_path)
    row = {"text": "a", "n": 1}
    assert small_commits.append(table, [row], once=("app", 4))
    assert not small_commits.append(table, [row], once=("app", 4))
    assert not small_commits.append(table, [row], once=("app", 3))
    assert small_commits.append(table, [row], once=("other", 4))
    assert lake.read(spark, table).count() == 2


def test_spark_and_the_driver_side_writer_share_the_transaction_log(spark: SparkSession, tmp_path: Path) -> None:
    """A version one engine committed is skipped by the other: a replay may take either path."""
    table = _table(spark, tmp_path)
    assert small_commits.append(table, [{"text": "driver", "n": 1}], once=("app", 7))
    spark.conf.set("spark.databricks.delta.write.txnAppId", "app")
    spark.conf.set("spark.databricks.delta.write.txnVersion", "7")
    try:
        spark.createDataFrame([("spark", 2)], "text string, n long").write.format("delta").mode("append").save(table)
    finally:
        spark.conf.unset("spark.databricks.delta.write.txnAppId")
        spark.conf.unset("spark.databricks.delta.write.txnVersion")
    assert [r.text for r in lake.read(spark, table).collect()] == ["driver"]
    assert small_commits.committed(small_commits.table(table), "app", 7)


def test_a_spark_frame_arrives_exactly_with_the_constants_filling_the_other_columns(spark: SparkSession,
                                                                                      tmp_path: Path) -> None:
    table = _table(spark, tmp_path)
    moment = datetime(2026, 11, 26, 23, 59, 59, 999999)  # a naive datetime is local time, as Spark reads it back
    frame = spark.createDataFrame([("a", moment, date(2026, 11, 26)), ("b", None, None)],
                                  "text string, ts timestamp, d date")
    assert small_commits.append(table, frame, constants={"n": 7, "x": 1.5, "m": {"k": 1}})
    rows = sorted((r.text, r.ts, r.d, r.n, r.x, r.m) for r in lake.read(spark, table).collect())
    assert rows == [("a", moment, date(2026, 11, 26), 7, 1.5, {"k": 1}), ("b", None, None, 7, 1.5, {"k": 1})]


def test_bookkeeping_rows_create_their_table_once_then_append_or_overwrite(spark: SparkSession,
                                                                           tmp_path: Path) -> None:
    table = str(tmp_path / "registry")
    assert small_commits.read_rows(table, ("text",)) == []
    small_commits.write_rows(spark, table, SCHEMA, [{"text": "a", "n": 1, "m": {"k": 2}}])
    small_commits.write_rows(spark, table, SCHEMA, [{"text": "b", "n": 2}])
    assert sorted((r["text"], r["n"]) for r in small_commits.read_rows(table, ("text", "n"))) == [("a", 1), ("b", 2)]
    assert sorted((r.text, r.m) for r in lake.read(spark, table).collect()) == [("a", {"k": 2}), ("b", None)]
    # Created by Spark, so the table keeps the lake's statistics setting (no lineage columns here: counts only).
    properties = spark.sql(f"DESCRIBE DETAIL delta.`{table}`").first()["properties"]
    assert properties.get("delta.dataSkippingNumIndexedCols") == "0"
    small_commits.write_rows(spark, table, SCHEMA, [], mode="overwrite")
    assert lake.read(spark, table).count() == 0


def test_row_count_and_earlier_versions_come_from_the_log(spark: SparkSession, tmp_path: Path) -> None:
    """Counted from the per-file record counts both engines write; an earlier version read as it was."""
    table = str(tmp_path / "counted")
    lake.write(spark.createDataFrame([("a", 1), ("b", 2)], "text string, n long"), table, "overwrite")
    assert small_commits.append(table, [{"text": "c", "n": 3}])
    assert small_commits.row_count(table) == 3
    lake.write(spark.createDataFrame([("d", 4)], "text string, n long"), table, "overwrite")
    assert small_commits.row_count(table) == 1
    assert sorted(r["text"] for r in small_commits.read_rows(table, ("text",), version=1)) == ["a", "b", "c"]
    assert [r["text"] for r in small_commits.read_rows(table, ("text",))] == ["d"]
    # Filtered by a text column, over files written by Spark and by delta-rs (version 1 holds both).
    among = small_commits.read_table(table, ("n",), 1, ("text", ["c", "a", "z"]))
    assert among.column_names == ["n"] and sorted(among.column("n").to_pylist()) == [1, 3]
    assert small_commits.read_table(table, ("n",), 1, ("text", [])).num_rows == 0


def test_a_driver_merge_updates_the_matches_that_qualify_and_inserts_the_rest(
        spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = str(tmp_path / "entity")
    schema = "key string, amount decimal(12,2), seen timestamp, tags array<string>, month string"
    at = datetime(2026, 1, 5, 10, tzinfo=UTC)
    first = spark.createDataFrame([("a", Decimal("1.00"), at, ["x"], "2026-01"),
                                   ("b", Decimal("2.00"), at, [], "2026-01"),
                                   ("c", Decimal("3.00"), at, None, "2026-02")], schema)
    lake.write(first, table, "overwrite", "month")
    assert small_commits.touched_rows(table) == 3
    assert small_commits.touched_rows(table, "month", ["2026-01"]) == 2
    assert small_commits.touched_rows(table, "month", ["2025-12"]) == 0
    before = lake.version(spark, table)
    later, earlier = at + timedelta(days=1), at - timedelta(days=1)
    source = spark.createDataFrame([("a", Decimal("1.50"), later, ["y", "z"], "2026-01"),
                                    ("b", Decimal("9.99"), earlier, ["old"], "2026-01"),
                                    ("d", Decimal("4.00"), later, None, "2026-01")], schema)
    condition = "t.key = s.key AND t.month IN ('2026-01')"
    assert not small_commits.merge_small(table, source, small_commits.DRIVER_ROWS + 1, condition, "s.seen >= t.seen",
                                         "month", ["2026-01"])  # too many rows for the driver: Spark's MERGE
    monkeypatch.setattr(small_commits, "DRIVER_MERGE_ROWS", 1)
    assert not small_commits.merge_small(table, source, 3, condition, "s.seen >= t.seen", "month", ["2026-01"])
    assert lake.version(spark, table) == before  # nothing written
    monkeypatch.setattr(small_commits, "DRIVER_MERGE_ROWS", 2)  # January's two rows
    assert small_commits.merge_small(table, source, 3, condition, "s.seen >= t.seen", "month", ["2026-01"],
                                     user_metadata='{"built": 1}')
    assert lake.last_commit(spark, table)[1]["userMetadata"] == '{"built": 1}'
    rows = {r.key: (r.amount, r.seen.astimezone(UTC), r.tags, r.month) for r in lake.read(spark, table).collect()}
    assert rows == {"a": (Decimal("1.50"), later, ["y", "z"], "2026-01"),  # newer: updated
                    "b": (Decimal("2.00"), at, [], "2026-01"),  # older than what the table holds: kept as it was
                    "c": (Decimal("3.00"), at, None, "2026-02"),
                    "d": (Decimal("4.00"), later, None, "2026-01")}
    assert lake.committed_rows(spark, table, before) == 3  # the source rows, as for a Spark MERGE


def test_a_small_table_is_rewritten_from_the_driver_unless_it_is_new_reshaped_or_large(
        spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = str(tmp_path / "mart")
    rows = spark.createDataFrame([("a", 1), ("b", 2)], "text string, n long")
    assert not small_commits.overwrite_small(table, rows, "v1")  # no table yet: Spark creates it
    lake.write(rows, table, "overwrite")
    before = lake.version(spark, table)
    assert small_commits.overwrite_small(table, rows.where("n = 2"), "v2")
    assert [tuple(r) for r in lake.read(spark, table).collect()] == [("b", 2)]
    assert lake.last_commit(spark, table)[1]["userMetadata"] == "v2"
    assert lake.committed_rows(spark, table, before) == 1
    assert not small_commits.overwrite_small(table, rows.selectExpr("text", "CAST(n AS int) AS n"), "v3")
    assert not small_commits.overwrite_small(table, rows.withColumn("extra", rows.n), "v3")
    monkeypatch.setattr(small_commits, "DRIVER_ROWS", 1)  # the table's one row is more than half of it
    assert not small_commits.overwrite_small(table, rows, "v3")
    assert lake.version(spark, table) == before + 1


def test_large_keys_beside_a_null_arrive_exactly(spark: SparkSession, tmp_path: Path) -> None:
    """A hashed surrogate key needs all 64 bits: pandas would turn a column of them with a null into floats."""
    table = str(tmp_path / "keys")
    schema = "key bigint, at timestamp"
    lake.write(spark.createDataFrame([], schema), table, "overwrite")
    keys = [(2**53 + 1, None), (-(2**63), datetime(2026, 1, 5, tzinfo=UTC)), (None, None), (2**63 - 1, None)]
    assert small_commits.overwrite_small(table, spark.createDataFrame(keys, schema), "keys")
    assert sorted(r.key for r in lake.read(spark, table).collect() if r.key is not None) == \
        sorted(k for k, _ in keys if k is not None)


def test_driver_commits_checkpoint_the_log_as_often_as_spark(spark: SparkSession, tmp_path: Path) -> None:
    table = str(tmp_path / "ops")
    small_commits.write_rows(spark, table, "text string, n long", [])
    for n in range(int(lake.CHECKPOINT_INTERVAL)):
        small_commits.write_rows(spark, table, "text string, n long", [{"text": "row", "n": n}])
    checkpoints = sorted(p.name for p in Path(table, "_delta_log").glob("*.checkpoint.parquet"))
    assert checkpoints == ["00000000000000000009.checkpoint.parquet"]
    assert lake.read(spark, table).count() == int(lake.CHECKPOINT_INTERVAL)
