"""Table state read straight from the Delta log: the version and the rows a commit took in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from delta.tables import DeltaTable
from pyspark.sql import SparkSession

from spark_pools import lake

pytestmark = pytest.mark.spark


def test_version_and_committed_rows_agree_with_delta_history(spark: SparkSession, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    assert (lake.version(spark, path), lake.exists(spark, path), lake.committed_rows(spark, path, -1)) == (-1, False, 0)
    spark.range(5).write.format("delta").save(path)
    spark.range(3).write.format("delta").mode("append").option("userMetadata", "why").save(path)
    assert lake.version(spark, path) == 1 and lake.exists(spark, path)
    assert lake.committed_rows(spark, path, 0) == 3
    assert lake.committed_rows(spark, path, 1) == 0  # nothing committed after version 1
    assert lake.last_commit(spark, path)[1]["userMetadata"] == "why"
    source = spark.range(2, 10).withColumnRenamed("id", "s")
    DeltaTable.forPath(spark, path).alias("t").merge(source.alias("s"), "t.id = s.s") \
        .whenNotMatchedInsert(values={"id": "s.s"}).execute()
    history = DeltaTable.forPath(spark, path).history(1).first()
    assert lake.version(spark, path) == history.version == 2
    assert lake.committed_rows(spark, path, 1) == int(history.operationMetrics["numSourceRows"]) == 8


def _file_stats(path: str) -> list[dict]:
    """The statistics of every file the table's log adds."""
    return [json.loads(json.loads(line)["add"]["stats"])
            for log in sorted(Path(path, "_delta_log").glob("*.json"))
            for line in log.read_text().splitlines() if '"add"' in line]


def test_tables_keep_statistics_on_the_filtered_columns_only(spark: SparkSession, tmp_path: Path) -> None:
    rows = spark.range(4).selectExpr("id", "cast(id AS string) AS text", "'L1' AS _load_id",
                                     "current_date() AS _delivery_date")
    lineage, plain = str(tmp_path / "lineage"), str(tmp_path / "plain")
    lake.write(rows, lineage, "overwrite")
    lake.write(rows, lineage, "append")  # later writes follow the property the table was created with
    lake.write(rows.select("id", "text"), plain, "overwrite")
    lineage_stats = _file_stats(lineage)
    assert len(lineage_stats) >= 2
    assert all(set(s["minValues"]) == {"_load_id", "_delivery_date"} for s in lineage_stats)
    assert sum(s["numRecords"] for s in lineage_stats) == 8
    assert all(set(s) == {"numRecords"} for s in _file_stats(plain))
    # data skipping still prunes on the load id
    assert lake.read(spark, lineage).where("_load_id = 'L1'").inputFiles()
    assert lake.read(spark, lineage).where("_load_id = 'L2'").inputFiles() == []
