"""Driver-side commits (delta-rs) into tables Spark created and reads: types, timestamps and idempotency."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

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
