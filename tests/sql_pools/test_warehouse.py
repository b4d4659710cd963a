"""The local warehouse built for real: tiny sources through the Spark medallion batch into Delta, then the
project's T-SQL on DuckDB, loaded from gold. The reporting views recompute the KPIs the Spark marts hold."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from retail.settings import Settings
from spark_pools import lake
from spark_pools.session import get_spark
from sql_pools import warehouse
from sql_pools.gold import DIMENSIONS, SERVED
from sql_pools.reconcile import PAIRS, reconcile
from tests.spark_pools.scenario import Scenario

pytestmark = pytest.mark.spark


@dataclass
class Built:
    settings: Settings
    report: warehouse.BuildReport


@pytest.fixture(scope="module")
def built(medallion: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The medallion scenario's FULL lake (defects, unknown members, a late product), its gold copied so these
    tests may write new versions without touching the medallion tests' lake."""
    base = tmp_path_factory.mktemp("warehouse")
    shutil.copytree(Path(medallion.full.lake.root) / "gold", base / "lake" / "gold")
    settings = medallion.full.with_lake(base / "lake", medallion.full.lake.landing) \
        .with_warehouse(base / "warehouse" / "retail.duckdb")
    return Built(settings, warehouse.build(settings))


def test_every_served_table_holds_exactly_its_gold_rows(built: Built) -> None:
    spark = get_spark(built.settings)
    loads = {load.table: load for load in built.report.tables}
    assert set(loads) == set(SERVED)
    with warehouse.connect(built.report.path, read_only=True) as connection:
        for table in SERVED:
            gold_rows = lake.read(spark, lake.table_path(built.settings, "gold", table)).count()
            held = connection.execute(f"SELECT COUNT(*) FROM dbo.{table}").fetchone()[0]
            assert held == gold_rows == loads[table].rows, table
        for dimension in DIMENSIONS:
            key = "date_key" if dimension == "dim_date" else f"{dimension.removeprefix('dim_')}_key"
            if dimension != "dim_date":
                members = connection.execute(f"SELECT {key} FROM dbo.{dimension} WHERE {key} IN (-1, -2)").fetchall()
                assert sorted(m[0] for m in members) == [-2, -1], dimension
    assert {load.table for load in loads.values() if load.lake_only} == {
        "fact_sales", "fact_inventory_snapshot", "fact_inventory_movement"}  # the Delta partition helpers


def test_declared_types_match_gold(built: Built) -> None:
    """Each warehouse column has the type the Spark job writes (no silent widening or truncation)."""
    expected = {"string": "VARCHAR", "int64": "BIGINT", "int32": "INTEGER", "date32[day]": "DATE",
                "bool": "BOOLEAN", "double": "DOUBLE", "timestamp[us]": "TIMESTAMP",
                "timestamp[us, tz=UTC]": "TIMESTAMP"}
    with warehouse.connect(built.report.path, read_only=True) as connection:
        for table in SERVED:
            declared = dict(connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'dbo' "
                "AND table_name = ?", [table]).fetchall())
            schema = pa.schema(DeltaTable(str(Path(built.settings.lake.root) / "gold" / table)).schema().to_arrow())
            for field in schema:
                if field.name not in declared:
                    continue
                spark_type = str(field.type)
                want = (spark_type.replace("decimal128", "DECIMAL").replace(" ", "") if "decimal" in spark_type
                        else expected[spark_type])
                assert declared[field.name].replace(" ", "") == want, (table, field.name, spark_type)


def test_reporting_views_agree_with_the_spark_marts(built: Built) -> None:
    with warehouse.connect(built.report.path, read_only=True) as connection:
        results = reconcile(connection)
    assert [r.kpi for r in results] == [p.view for p in PAIRS]
    for result in results:
        assert result.rows > 0, result.kpi
        assert result.differences == [], (result.kpi, result.differences[:3])


def test_reconciliation_finds_a_changed_and_a_missing_row(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(built.report.path, copy)
    with duckdb.connect(str(copy)) as connection:
        connection.execute("UPDATE dbo.mart_sales_daily SET units = units + 1 WHERE rowid = 0")
        connection.execute("DELETE FROM dbo.mart_supplier_performance WHERE rowid = 0")
        connection.execute("UPDATE dbo.mart_customer_rfm SET segment = 'Nobody' WHERE rowid = 0")
        found = {r.kpi: r.differences for r in reconcile(connection)}
    assert [(d.column, d.view - d.mart) for d in found["sales_daily"]] == [("units", -1)]
    assert [(d.column, d.mart, d.view) for d in found["supplier_performance"]] == [("(row)", "missing", "present")]
    assert [(d.column, d.mart) for d in found["customer_rfm"]] == [("segment", "Nobody")]
    assert found["inventory_position"] == []


def test_a_rebuild_loads_only_new_gold_versions(built: Built) -> None:
    again = warehouse.build(built.settings)
    assert again.migrations.applied == [] and not any(load.loaded for load in again.tables)
    spark = get_spark(built.settings)
    path = lake.table_path(built.settings, "gold", "mart_feedback")
    lake.read(spark, path).write.format("delta").mode("overwrite").save(path)  # a new version, same rows
    third = warehouse.build(built.settings)
    assert [load.table for load in third.tables if load.loaded] == ["mart_feedback"]
    assert next(t for t in third.tables if t.table == "mart_feedback").rows == \
        next(t for t in built.report.tables if t.table == "mart_feedback").rows
    # A table deleted and written again (a regenerated lake) starts again at version 0, and can reach the version
    # the warehouse loaded last: it is loaded all the same.
    path = lake.table_path(built.settings, "gold", "mart_supplier_performance")
    table = lake.read(spark, path)
    first, schema, version = table.limit(1).collect(), table.schema, DeltaTable(path).version()
    shutil.rmtree(path)
    for _ in range(version + 1):
        spark.createDataFrame(first, schema).write.format("delta").mode("overwrite").save(path)
    assert DeltaTable(path).version() == version
    fourth = warehouse.build(built.settings)
    assert [(t.table, t.rows) for t in fourth.tables if t.loaded] == [("mart_supplier_performance", 1)]


def test_queries_are_written_in_t_sql(built: Built) -> None:
    result = warehouse.query(built.settings, "SELECT TOP 3 d.region, SUM(f.net_amount) AS net FROM rpt.fact_sales "
                                             "AS f JOIN rpt.dim_store AS d ON d.store_key = f.store_key "
                                             "GROUP BY d.region ORDER BY net DESC")
    assert result.columns == ["region", "net"] and 0 < len(result.rows) <= 3
    assert "LIMIT 3" in result.sql
    with pytest.raises(warehouse.WarehouseError, match="no_such_table"):
        warehouse.query(built.settings, "SELECT * FROM rpt.no_such_table")
