"""The Synapse dialect: the dedicated pool's table options parse into typed properties, generate back
unchanged, and are dropped (only they) on the way to DuckDB."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from sql_pools.dialect import expressions as nodes
from sql_pools.dialect import physical_options, to_duckdb

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
STATEMENTS = {
    "RENAME OBJECT dbo.fact_sales_new TO fact_sales": nodes.RenameObject,
    "UPDATE STATISTICS dbo.fact_sales": nodes.UpdateStatistics,
    "UPDATE STATISTICS dbo.fact_sales (st_date_key, st_store_key)": nodes.UpdateStatistics,
    "ALTER TABLE dbo.fact_sales SWITCH PARTITION 2 TO dbo.fact_sales_old PARTITION 2": nodes.SwitchPartition,
    "ALTER TABLE stg.fact_sales_month SWITCH TO dbo.fact_sales PARTITION 5 WITH (TRUNCATE_TARGET = ON)":
        nodes.SwitchPartition,
    "ALTER TABLE dbo.fact_sales SPLIT RANGE (20270101)": nodes.RangeBoundary,
    "ALTER TABLE dbo.fact_sales MERGE RANGE (20250101)": nodes.RangeBoundary,
    "CREATE WORKLOAD GROUP wg_load WITH (MIN_PERCENTAGE_RESOURCE = 30, CAP_PERCENTAGE_RESOURCE = 60, "
    "REQUEST_MIN_RESOURCE_GRANT_PERCENT = 10)": nodes.Workload,
    "CREATE WORKLOAD CLASSIFIER wc_powerbi WITH (WORKLOAD_GROUP = 'wg_dashboards', MEMBERNAME = 'pbi-sp', "
    "IMPORTANCE = HIGH)": nodes.Workload,
    "CREATE SECURITY POLICY sec.region_policy ADD FILTER PREDICATE sec.fn_region(region) ON dbo.dim_store, "
    "ADD BLOCK PREDICATE sec.fn_region(region) ON dbo.dim_store WITH (STATE = ON)": nodes.SecurityPolicy,
    "GRANT SELECT ON SCHEMA::rpt TO report_reader": nodes.Permission,
    "GRANT SELECT ON dbo.dim_customer (customer_key, region) TO analyst": nodes.Permission,
    "DENY SELECT ON OBJECT::dbo.dim_customer (email_hash) TO report_reader": nodes.Permission,
    "REVOKE SELECT, VIEW DEFINITION ON SCHEMA::rpt FROM analyst, [pbi-sp]": nodes.Permission,
    "CREATE ROLE report_reader": nodes.CreateRole,
    "ALTER ROLE report_reader ADD MEMBER [pbi-service-principal]": nodes.RoleMember,
    "ALTER TABLE dbo.dim_customer ALTER COLUMN email_hash ADD MASKED WITH (FUNCTION = 'default()')": nodes.ColumnMask,
    "ALTER TABLE dbo.dim_customer ALTER COLUMN email_hash DROP MASKED": nodes.ColumnMask,
    "CREATE STATISTICS st_date_key ON dbo.fact_sales (date_key) WITH FULLSCAN": nodes.CreateStatistics,
    "ALTER DATABASE retail SET RESULT_SET_CACHING OFF": nodes.AlterDatabaseSet,
    "DROP SECURITY POLICY IF EXISTS sec.region_policy": nodes.DropPoolObject,
    "DROP WORKLOAD CLASSIFIER wc_loads": nodes.DropPoolObject,
    "GRANT UNMASK TO retail_pii_reader": nodes.Permission,
    "GRANT ADMINISTER DATABASE BULK OPERATIONS TO retail_loader": nodes.Permission,
    "THROW 50001, N'no staging table', 1": nodes.Throw,
    "IF OBJECT_ID(N'stg.x') IS NULL THROW 50001, N'no such table', 1": nodes.Throw,
    "CREATE TABLE dbo.dim_x (x_key BIGINT NOT NULL, CONSTRAINT pk_dim_x PRIMARY KEY NONCLUSTERED (x_key) NOT ENFORCED) "
    "WITH (DISTRIBUTION = REPLICATE)": nodes.PrimaryKey,
    "CREATE TABLE dbo.dim_y (y_key BIGINT NOT NULL PRIMARY KEY NONCLUSTERED NOT ENFORCED)":
        nodes.PrimaryKeyColumnConstraint,
    "MERGE INTO dbo.fact_po AS t USING stg.fact_po AS s ON t.po = s.po WHEN MATCHED THEN UPDATE SET t.qty = s.qty "
    "OPTION(LABEL = 'load: po')": nodes.Merge,
}
PROCEDURE = """CREATE PROCEDURE load.usp_fact_sales @load_date DATE AS
BEGIN
    SET NOCOUNT ON;
    TRUNCATE TABLE stg.fact_sales;
    CREATE TABLE dbo.fact_sales_new WITH (DISTRIBUTION = HASH(store_key), CLUSTERED COLUMNSTORE INDEX)
        AS SELECT * FROM stg.fact_sales OPTION (LABEL = 'load: fact_sales ctas');
    IF @load_date IS NULL
    BEGIN
        SET @load_date = CAST(GETDATE() AS DATE);
    END;
    RENAME OBJECT dbo.fact_sales_new TO fact_sales;
    UPDATE STATISTICS dbo.fact_sales;
END"""


@pytest.mark.parametrize("sql", CORPUS)
def test_statements_round_trip(sql: str) -> None:
    parsed = sqlglot.parse_one(sql, read="synapse")
    assert not isinstance(parsed, exp.Command)
    assert parsed.sql("synapse", unsupported_level=sqlglot.ErrorLevel.RAISE) == sql


@pytest.mark.parametrize(("sql", "node"), STATEMENTS.items())
def test_pool_statements_are_real_nodes_and_round_trip(sql: str, node: type) -> None:
    parsed = sqlglot.parse_one(sql, read="synapse")
    found = parsed if isinstance(parsed, node) else parsed.find(node)  # ALTER TABLE actions sit in an Alter
    assert found is not None and not isinstance(parsed, exp.Command), repr(parsed)
    assert parsed.sql("synapse", unsupported_level=sqlglot.ErrorLevel.RAISE) == sql


def test_a_procedure_body_is_statements_not_an_opaque_command() -> None:
    procedure = sqlglot.parse_one(PROCEDURE, read="synapse")
    assert not list(procedure.find_all(exp.Command))
    body = procedure.expression
    kinds = [type(node).__name__ for node in body.expressions]
    assert kinds[:3] == ["Set", "TruncateTable", "Create"]
    assert {"IfBlock", "RenameObject", "UpdateStatistics"} <= set(kinds)
    text = procedure.sql("synapse", unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert sqlglot.parse_one(text, read="synapse").sql("synapse") == text  # stable once generated


def test_if_blocks_hold_exactly_their_statements() -> None:
    script = "IF 1 = 1 BEGIN IF 2 = 2 BEGIN SELECT 1; END; SELECT 2; END ELSE SELECT 3; SELECT 4"
    outer, after = sqlglot.parse(script, read="synapse")
    assert isinstance(outer, exp.IfBlock) and isinstance(after, exp.Select)  # SELECT 4 is not in the IF
    assert [type(s).__name__ for s in outer.args["true"].expressions] == ["IfBlock", "Select"]
    assert outer.args["false"].sql("synapse") == "SELECT 3"
    text = outer.sql("synapse")
    assert text == "IF 1 = 1 BEGIN IF 2 = 2 BEGIN SELECT 1; END; SELECT 2; END ELSE SELECT 3"
    assert sqlglot.parse_one(text, read="synapse").sql("synapse") == text
    with pytest.raises(sqlglot.errors.ParseError, match="BEGIN without END"):
        sqlglot.parse("IF 1 = 1 BEGIN SELECT 1; SELECT 2", read="synapse")


def _first(node: type) -> exp.Expression:
    return sqlglot.parse_one(next(sql for sql, kind in STATEMENTS.items() if kind is node), read="synapse")


def test_statement_parts_are_readable() -> None:
    policy = _first(nodes.SecurityPolicy)
    assert [(p.args["kind"], p.args["table"].name) for p in policy.expressions] == [
        ("FILTER", "dim_store"), ("BLOCK", "dim_store")]
    classifier = sqlglot.parse_one(next(sql for sql in STATEMENTS if "CLASSIFIER" in sql), read="synapse")
    assert {o.this.name: o.args["value"].name for o in classifier.expressions}["WORKLOAD_GROUP"] == "wg_dashboards"
    switch = sqlglot.parse_one(next(sql for sql in STATEMENTS if "TRUNCATE_TARGET" in sql), read="synapse") \
        .find(nodes.SwitchPartition)
    assert (switch.args["to"].name, switch.args["to_partition"].name) == ("fact_sales", "5")
    grant = sqlglot.parse_one("GRANT SELECT ON dbo.dim_customer (customer_key, region) TO analyst", read="synapse")
    assert (grant.args["this"].name, [c.name for c in grant.args["columns"]]) == (
        "dim_customer", ["customer_key", "region"])
    mask = _first(nodes.ColumnMask).find(nodes.ColumnMask)
    assert (mask.this.name, mask.args["function"].name) == ("email_hash", "default()")


def test_options_are_typed() -> None:
    fact = sqlglot.parse_one(CORPUS[0], read="synapse")
    distribution, columnstore, partition = physical_options(fact)
    assert isinstance(distribution, nodes.DistributionProperty) and distribution.args["kind"] == "HASH"
    assert [c.name for c in distribution.expressions] == ["store_key"]
    assert isinstance(columnstore, nodes.ColumnstoreIndexProperty) and [c.name for c in columnstore.expressions] == [
        "date_key"]
    assert isinstance(partition, nodes.PartitionRangeProperty)
    assert (partition.this.name, partition.args["side"]) == ("date_key", "RIGHT")
    assert [b.name for b in partition.expressions] == ["20260101", "20260201", "20260301"]
    ctas = physical_options(sqlglot.parse_one(CORPUS[3], read="synapse"))
    assert [c.name for c in ctas[0].expressions] == ["store_key", "product_key"]  # multi-column HASH
    assert not ctas[1].expressions  # an unordered columnstore
    index = physical_options(sqlglot.parse_one(CORPUS[2], read="synapse"))[1]
    assert isinstance(index, nodes.ClusteredIndexProperty) and index.expressions[0].args.get("desc")
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


def test_what_duckdb_cannot_express_is_an_error_not_a_silent_drop() -> None:
    with pytest.raises(sqlglot.errors.UnsupportedError):
        to_duckdb("IF OBJECT_ID(N'dbo.t') IS NULL SELECT 1")
    assert to_duckdb("CREATE TABLE t (a FLOAT, b FLOAT(24), c BIT)") == ["CREATE TABLE t (a DOUBLE, b REAL, c BOOLEAN)"]
