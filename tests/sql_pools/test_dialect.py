"""The Synapse dialect: the dedicated pool's table options parse into typed properties, generate back
unchanged, and are dropped (only they) on the way to DuckDB."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from sql_pools.dialect import (
    ClusteredIndexProperty,
    ColumnstoreIndexProperty,
    DistributionProperty,
    PartitionRangeProperty,
    physical_options,
    to_duckdb,
)

CORPUS = [
    "CREATE TABLE dbo.fact_sales (sales_line_id NVARCHAR(64) NOT NULL, date_key INTEGER NOT NULL, "
    "store_key BIGINT NOT NULL, net_amount NUMERIC(14, 2)) WITH (DISTRIBUTION = HASH(store_key), "
    "CLUSTERED COLUMNSTORE INDEX ORDER (date_key), "
    "PARTITION (date_key RANGE RIGHT FOR VALUES (20260101, 20260201, 20260301)))",
    "CREATE TABLE stg.pos_sales (transaction_id NVARCHAR(40)) WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)",
    "CREATE TABLE dbo.dim_store (store_key BIGINT NOT NULL, region NVARCHAR(40)) "
    "WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (store_key DESC, region))",
    "CREATE TABLE dbo.fact_sales_new WITH (DISTRIBUTION = HASH(store_key, product_key), "
    "CLUSTERED COLUMNSTORE INDEX) AS SELECT * FROM dbo.fact_sales",
    "CREATE TABLE dbo.snapshot (count_date DATE) WITH (PARTITION (count_date RANGE LEFT FOR VALUES "
    "('2026-01-01', '2026-02-01')), DISTRIBUTION = HASH(count_date))",
    "CREATE TABLE dbo.plain (a INTEGER)",
]


@pytest.mark.parametrize("sql", CORPUS)
def test_statements_round_trip(sql: str) -> None:
    parsed = sqlglot.parse_one(sql, read="synapse")
    assert not isinstance(parsed, exp.Command)
    assert parsed.sql("synapse", unsupported_level=sqlglot.ErrorLevel.RAISE) == sql


def test_options_are_typed() -> None:
    fact = sqlglot.parse_one(CORPUS[0], read="synapse")
    distribution, columnstore, partition = physical_options(fact)
    assert isinstance(distribution, DistributionProperty) and distribution.args["kind"] == "HASH"
    assert [c.name for c in distribution.expressions] == ["store_key"]
    assert isinstance(columnstore, ColumnstoreIndexProperty) and [c.name for c in columnstore.expressions] == [
        "date_key"]
    assert isinstance(partition, PartitionRangeProperty)
    assert (partition.this.name, partition.args["side"]) == ("date_key", "RIGHT")
    assert [b.name for b in partition.expressions] == ["20260101", "20260201", "20260301"]
    ctas = physical_options(sqlglot.parse_one(CORPUS[3], read="synapse"))
    assert [c.name for c in ctas[0].expressions] == ["store_key", "product_key"]  # multi-column HASH
    assert not ctas[1].expressions  # an unordered columnstore
    index = physical_options(sqlglot.parse_one(CORPUS[2], read="synapse"))[1]
    assert isinstance(index, ClusteredIndexProperty) and index.expressions[0].args.get("desc")
    assert isinstance(physical_options(sqlglot.parse_one(CORPUS[1], read="synapse"))[1], exp.HeapProperty)


@pytest.mark.parametrize("bad", [
    "CREATE TABLE t (a INT) WITH (DISTRIBUTION = EVEN)",
    "CREATE TABLE t (a INT) WITH (PARTITION (a FOR VALUES (1)))",
    "CREATE TABLE t (a INT) WITH (CLUSTERED ROWSTORE)",
])
def test_malformed_options_are_errors(bad: str) -> None:
    with pytest.raises(sqlglot.errors.ParseError):
        sqlglot.parse_one(bad, read="synapse")


def test_duckdb_gets_the_tables_without_their_physical_options() -> None:
    connection = duckdb.connect()
    connection.execute("CREATE SCHEMA dbo; CREATE SCHEMA stg")
    script = ";\n".join([*CORPUS[:3], "CREATE TABLE dbo.flags (is_on BIT)", *CORPUS[4:]])
    statements = to_duckdb(script)
    assert not any(word in " ".join(statements) for word in ("DISTRIBUTION", "COLUMNSTORE", "HEAP", "RANGE"))
    for statement in statements:
        connection.execute(statement)
    columns = dict(connection.execute("SELECT column_name, data_type FROM information_schema.columns "
                                      "WHERE table_name = 'fact_sales'").fetchall())
    assert columns == {"sales_line_id": "VARCHAR", "date_key": "INTEGER", "store_key": "BIGINT",
                       "net_amount": "DECIMAL(14,2)"}
    assert connection.execute("SELECT data_type FROM information_schema.columns WHERE table_name = 'flags'") \
        .fetchone() == ("BOOLEAN",)
