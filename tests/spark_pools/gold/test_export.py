"""Gold exports for the pool's COPY INTO: every served table's current rows once, without the lake's partition
helper columns, in the column order the pool's tables declare."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from spark_pools import lake
from spark_pools.gold.export import export_gold, export_path, prune_exports
from sql_pools.gold import SERVED
from sql_pools.project import created_tables, project_scripts
from tests.spark_pools.scenario import Scenario

pytestmark = pytest.mark.spark


def test_each_served_table_is_exported_once_in_the_pools_column_order(medallion: Scenario) -> None:
    spark, settings = medallion.spark, medallion.full
    exported = export_gold(settings, "load-test-1", spark=spark)
    again = export_gold(settings, "load-test-1", spark=spark)  # a retried pipeline run
    assert exported == again
    declared = created_tables(project_scripts())
    assert list(exported) == list(SERVED)
    for table in SERVED:
        assert exported[table] == lake.read(spark, lake.table_path(settings, "gold", table)).count(), table
        files = spark.read.parquet(export_path(settings, table, "load-test-1"))
        pool_columns = [c.name for c in declared[f"dbo.{table}"].this.expressions]
        assert files.columns == pool_columns, table  # COPY INTO maps Parquet columns to the staging table's


def test_exports_older_than_the_retention_are_pruned(medallion: Scenario) -> None:
    spark, settings = medallion.spark, medallion.full
    export_gold(settings, "load-test-2", spark=spark)
    table = SERVED[0]
    recent = Path(export_path(settings, table, "load-test-2"))
    old = Path(export_path(settings, table, "load-test-old"))
    shutil.copytree(recent, old)
    eight_days_ago = time.time() - 8 * 24 * 3600
    os.utime(old, (eight_days_ago, eight_days_ago))
    assert prune_exports(spark, settings, retention_hours=168) == [f"{table}/load-test-old"]
    assert not old.exists() and recent.exists()
