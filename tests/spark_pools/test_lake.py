"""Table state read straight from the Delta log: the version and the rows a commit took in."""

from __future__ import annotations

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
