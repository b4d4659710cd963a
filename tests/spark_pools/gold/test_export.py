"""Gold exports for the pool's COPY INTO: every served table's current rows once, without the lake's partition
helper columns, in the column order the pool's tables declare."""

from __future__ import annotations

import pytest

from spark_pools import lake
from spark_pools.gold.export import export_gold, export_path
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
