"""Bronze landing on hand-made files: every line ends as a bronze row or a reject with its reason."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from pipelines.catalog import SOURCES
from retail.settings import load_settings
from spark_pools import lake, small_commits
from spark_pools.bronze.land import (
    MAX_EXTRA_COLUMNS,
    REGISTRY,
    SchemaDriftError,
    bronze_schema,
    delivery_date,
    land_sources,
)

pytestmark = pytest.mark.spark
COUNTS = SOURCES["inventory_counts"]
DAY = date(2026, 3, 2)


def _deliver(landing: Path, name: str, content: bytes) -> None:
    folder = landing / "inventory" / DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)


def _land(spark: SparkSession, tmp_path: Path) -> list:
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    return land_sources(spark, settings, [COUNTS], DAY, "load-1"), settings


def test_lines_land_by_header_name_and_bad_lines_are_rejected_with_their_reason(spark: SparkSession,
                                                                                tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _deliver(landing, "counts_20260302.csv", b"store_code,count_date,sku,on_hand_quantity,bin\n"
             b"S001,2026-03-02,SKU1,5,A1\n"
             b"S001,2026-03-02,SKU2\n"  # a field short
             b"S\xff01,2026-03-02,SKU3,7,A2\n"  # not UTF-8
             b'S001,2026-03-02,"SKU,4",9,A3\n'  # a quoted comma is one field
             b"\n")
    (metrics,), settings = _land(spark, tmp_path)
    assert (metrics.rows_read, metrics.rows_written, metrics.rows_rejected) == (4, 2, 2)
    landed = lake.read(spark, lake.table_path(settings, "bronze", "inventory_counts"))
    assert landed.schema.simpleString() == spark.createDataFrame([], bronze_schema(COUNTS)).schema.simpleString()
    rows = {r.sku: r for r in lake.read(spark, lake.table_path(settings, "bronze", "inventory_counts")).collect()}
    assert set(rows) == {"SKU1", "SKU,4"}
    assert (rows["SKU1"].store_code, rows["SKU1"].on_hand_quantity) == ("S001", "5")
    assert rows["SKU1"]._rescued_data == '{"bin":"A1"}' and rows["SKU1"]._load_id == "load-1"
    assert (rows["SKU1"]._source_file, rows["SKU1"]._delivery_date) == ("inventory/2026-03-02/counts_20260302.csv", DAY)
    rejects = lake.read(spark, lake.table_path(settings, "bronze", "_rejects")).collect()
    assert sorted(r.reason for r in rejects) == ["invalid UTF-8", "malformed CSV line: 3 fields, the header has 5"]
    assert all(r.source == "inventory_counts" and r._source_file.endswith("counts_20260302.csv") for r in rejects)
    # landing the same files again adds nothing
    (again,), _ = _land(spark, tmp_path)
    assert (again.rows_read, again.rows_written) == (0, 0)


def test_files_of_each_layout_land_by_name_and_rejects_keep_their_delivery(spark: SparkSession,
                                                                          tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    for day, content in ((date(2026, 3, 1), b"sku,store_code,count_date\nSKU5,S002,2026-03-01\nSKU6,S002\n"),
                         (DAY, b"store_code,sku,count_date,on_hand_quantity,bin\nS001,SKU1,2026-03-02,5,A1\n")):
        folder = landing / "inventory" / day.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"counts_{day:%Y%m%d}.csv").write_bytes(content)
    settings = load_settings("local").with_lake(tmp_path / "lake", landing)
    (metrics,) = land_sources(spark, settings, [COUNTS], DAY, "load-1", up_to=True)
    assert (metrics.rows_read, metrics.rows_written, metrics.rows_rejected) == (3, 2, 1)
    rows = {r.sku: r for r in lake.read(spark, lake.table_path(settings, "bronze", "inventory_counts")).collect()}
    # reordered, one contract column missing (NULL), nothing to rescue
    assert (rows["SKU5"].store_code, rows["SKU5"].on_hand_quantity, rows["SKU5"]._rescued_data) == ("S002", None, None)
    assert (rows["SKU1"].on_hand_quantity, rows["SKU1"]._rescued_data) == ("5", '{"bin":"A1"}')
    (reject,) = lake.read(spark, lake.table_path(settings, "bronze", "_rejects")).collect()
    assert (reject.raw_text, reject._delivery_date, reject._load_id) == ("SKU6,S002", date(2026, 3, 1), "load-1")
    assert reject._ingest_ts == rows["SKU5"]._ingest_ts


def test_a_file_wider_than_bronze_can_rescue_fails_the_load(spark: SparkSession, tmp_path: Path) -> None:
    extra = [f"x{i}" for i in range(MAX_EXTRA_COLUMNS + 1)]
    header = ",".join([*COUNTS.column_names, *extra])
    _deliver(tmp_path / "landing", "counts_20260302.csv", f"{header}\n".encode())
    with pytest.raises(SchemaDriftError, match="bronze rescues at most"):
        _land(spark, tmp_path)


@pytest.mark.parametrize("content", [b"store_code,count_date,sku,on_hand_quantity\n", b""],
                         ids=["header-only", "zero-bytes"])
def test_a_delivery_without_records_lands_nothing_and_is_registered(spark: SparkSession, tmp_path: Path,
                                                                    content: bytes) -> None:
    """A store closed for the day still sends its file: a load with no rows, which silver must take in too."""
    _deliver(tmp_path / "landing", "counts_20260302.csv", content)
    (metrics,), settings = _land(spark, tmp_path)
    assert (metrics.rows_read, metrics.rows_written, metrics.rows_rejected) == (0, 0, 0)
    registry = lake.read(spark, lake.table_path(settings, "_ops", REGISTRY)).collect()
    assert [(r.file, r._load_id) for r in registry] == [(f"inventory/{DAY}/counts_20260302.csv", "load-1")]


@pytest.mark.parametrize(("path", "expected"), [
    ("pos/2026-03-02/pos_S001_20260302.csv", date(2026, 3, 2)),
    ("reference/stores.csv", None),  # reference data without a delivery date
    ("inventory/2026-02-30/counts_20260230.csv", None),  # no such day
])
def test_a_files_delivery_date_is_the_day_its_name_ends_in(path: str, expected: date | None) -> None:
    assert delivery_date(path) == expected


def test_json_lines_carry_their_files_lineage(spark: SparkSession, tmp_path: Path) -> None:
    folder = tmp_path / "landing" / "feedback" / DAY.isoformat()
    folder.mkdir(parents=True)
    (folder / "feedback_20260302.jsonl").write_text('{"feedback_id": "F1", "rating": 4, "mood": "ok"}\n{broken\n')
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    (metrics,) = land_sources(spark, settings, [SOURCES["feedback"]], DAY, "load-1")
    assert (metrics.rows_read, metrics.rows_written, metrics.rows_rejected) == (2, 1, 1)
    (row,) = lake.read(spark, lake.table_path(settings, "bronze", "feedback")).collect()
    assert (row.feedback_id, row.rating, row._rescued_data) == ("F1", "4", '{"mood":"ok"}')
    assert (row._source_file, row._delivery_date) == ("feedback/2026-03-02/feedback_20260302.jsonl", DAY)
    (reject,) = lake.read(spark, lake.table_path(settings, "bronze", "_rejects")).collect()
    assert (reject.reason, reject._delivery_date, reject._source_file) == ("malformed JSON", DAY, row._source_file)


@pytest.mark.parametrize("driver", [True, False], ids=["driver", "spark"])
def test_a_days_files_append_to_an_existing_table_from_the_driver_or_through_spark(
        spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, driver: bool) -> None:
    """The first landing creates the table through Spark; a day's few files after it are appended from the driver
    (up to `small_commits.DRIVER_TEXT_BYTES`), the same rows, lineage and rejects either way."""
    header = b"store_code,count_date,sku,on_hand_quantity\n"
    _deliver(tmp_path / "landing", "counts_20260302.csv", header + b"S001,2026-03-02,SKU1,5\n")
    _land(spark, tmp_path)
    if not driver:
        monkeypatch.setattr(small_commits, "DRIVER_TEXT_BYTES", 0)
    day = date(2026, 3, 3)
    folder = tmp_path / "landing" / "inventory" / day.isoformat()
    folder.mkdir(parents=True)
    (folder / "counts_20260303.csv").write_bytes(header + b"S001,2026-03-03,SKU1,4\nS001,SKU2\n"
                                                 b"S002,2026-03-03,SKU2,7\n")
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    (metrics,) = land_sources(spark, settings, [COUNTS], day, "load-2")
    assert (metrics.rows_read, metrics.rows_written, metrics.rows_rejected) == (3, 2, 1)
    path = lake.table_path(settings, "bronze", "inventory_counts")
    _, commit = lake.last_commit(spark, path)
    assert ("Apache-Spark" in commit.get("engineInfo", "")) is not driver
    table = lake.read(spark, path)
    assert table.columns == spark.createDataFrame([], bronze_schema(COUNTS)).columns
    rows = table.where("_load_id = 'load-2'").orderBy("store_code").collect()
    assert [(r.store_code, r.sku, r.on_hand_quantity, r._delivery_date) for r in rows] == [
        ("S001", "SKU1", "4", day), ("S002", "SKU2", "7", day)]
    assert {(r._source_system, r._source_file) for r in rows} == {
        (COUNTS.system, "inventory/2026-03-03/counts_20260303.csv")}
    (reject,) = lake.read(spark, lake.table_path(settings, "bronze", "_rejects")).collect()
    assert (reject.raw_text, reject._load_id, reject._delivery_date) == ("S001,SKU2", "load-2", day)
    assert reject._ingest_ts == rows[0]._ingest_ts == rows[1]._ingest_ts
    # the driver's commit keeps statistics on the load id, as Spark's does: silver's reads by load skip files
    assert small_commits.column_range(path, "_load_id") == ("load-1", "load-2")
