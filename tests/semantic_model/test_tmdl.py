"""The TMDL reader: the project's own files, a definition in the style Power BI Desktop saves, errors; plus the DAX
reference scanner and the typed `rpt` views it is checked against."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from semantic_model import dax
from semantic_model.project import DEFINITION
from semantic_model.tmdl import TmdlError, load_model, parse, parse_file, split_reference
from semantic_model.warehouse import load_catalog, reporting_views

DIMENSIONS = {"dim_date", "dim_store", "dim_product", "dim_customer", "dim_supplier", "dim_channel"}
FACTS = {"fact_sales", "fact_inventory_snapshot", "fact_purchase_order_line", "fact_feedback"}
KPI_VIEWS = {"sales_daily", "inventory_position", "stock_performance", "supplier_performance", "customer_rfm",
             "feedback_summary"}


@pytest.fixture(scope="module")
def model():
    return load_model(DEFINITION)


def test_every_project_file_parses():
    files = sorted(DEFINITION.rglob("*.tmdl"))
    assert len(files) == 4 + 17 + 6  # database, model, expressions, relationships; tables; roles
    for path in files:
        assert parse_file(path), path


def test_project_model_counts(model):
    assert set(model.tables) == DIMENSIONS | FACTS | KPI_VIEWS | {"agg_sales_day_region_category"}
    assert sum(len(t.measures) for t in model.tables.values()) == 46
    assert len(model.relationships) == 30
    assert set(model.roles) == {"Head Office"} | {f"Regional Manager - {r}" for r in
                                                  ("North", "South", "East", "West", "Central")}
    assert {name for name, e in model.expressions.items() if e.is_parameter} == {"SqlEndpoint", "SqlDatabase"}
    assert model.expressions["SqlEndpoint"].value == "synw-retail-dev.sql.azuresynapse.net"
    assert model.expressions["SqlDatabase"].value == "sqlpool_retail"
    assert {r.name for r in model.refs if r.prop("type") == "table"} == set(model.tables)
    assert model.database.prop("compatibilityLevel") == "1601"


def test_storage_modes(model):
    modes = {name: table.mode for name, table in model.tables.items()}
    assert {modes[t] for t in DIMENSIONS} == {"dual"}
    assert {modes[t] for t in FACTS | KPI_VIEWS} == {"directQuery"}
    assert modes["agg_sales_day_region_category"] == "import"


def test_kpi_measures_are_documented(model):
    measures = model.measures()
    for name in ("Net Sales", "Gross Margin", "Gross Margin %", "Units", "Transactions", "Average Basket",
                 "Units on Hand", "Days of Supply", "Below Reorder Point", "Recommended Order Qty", "Stock Turnover",
                 "GMROI", "Sell-Through %", "OTIF %", "Fill Rate %", "Average Lead Time", "Customers", "Champions",
                 "Average Rating", "Positive Share", "Negative Share"):
        assert measures[name].format_string and measures[name].display_folder and measures[name].description, name
    assert "\n" in measures["Days of Supply"].expression  # a multi-line expression, indented below the measure


def test_relationships_and_aggregation(model):
    received = next(r for r in model.relationships if r.from_column == "received_date_key")
    assert not received.is_active and not received.rely_on_referential_integrity
    sales_store = next(r for r in model.relationships if (r.from_table, r.from_column) == ("fact_sales", "store_key"))
    assert sales_store.rely_on_referential_integrity and sales_store.cross_filtering == "oneDirection"
    assert (sales_store.to_table, sales_store.to_column) == ("dim_store", "store_key")
    agg = model.tables["agg_sales_day_region_category"].columns
    assert agg["net_amount"].alternate_of.base_column == ("fact_sales", "net_amount")
    assert agg["region"].alternate_of.summarization == "groupBy"
    assert (agg["lines"].alternate_of.summarization, agg["lines"].alternate_of.base_table) == ("count", "fact_sales")


# A model in the style Power BI Desktop saves: tabs, lineage tags, annotations, changedProperty, multi-line
# descriptions, quoted names with spaces and quotes, an indented multi-line measure, a fenced one, a kpi block,
# an import partition whose M sits two levels below `source =`, and a relationship between quoted columns.
DESKTOP_STYLE = """\
/// Sales lines
/// (one row per receipt line)
table 'Sales Lines'
\tlineageTag: 2f6c1f7e-0a39-4c1d-9d5b-7d1e6a4f0b11

\t/// Net amount, sum
\tmeasure 'Net Amount' = SUM('Sales Lines'[Net Price])
\t\tformatString: #,0.00
\t\tdisplayFolder: Sales
\t\tlineageTag: 7b6f0b4e-7c3a-4f0e-8f0a-1a2b3c4d5e6f

\t\tchangedProperty = FormatString

\t\tannotation PBI_FormatHint = {"isCustom":true}

\tmeasure 'Margin %' =
\t\t\tVAR margin = [Net Amount] - SUM('Sales Lines'[Unit Cost])
\t\t\tRETURN
\t\t\t    DIVIDE(margin, [Net Amount])
\t\tformatString: 0.0%

\tmeasure 'Bob''s Count' = ```
\t\t\tCOUNTROWS ( 'Sales Lines' )
\t\t\t```
\t\tformatString: #,0

\t\tkpi
\t\t\ttargetExpression = 100
\t\t\tstatusExpression =
\t\t\t\tIF([Bob's Count] > 100, 1, -1)

\tcolumn 'Net Price'
\t\tdataType: decimal
\t\tisHidden
\t\tformatString: #,0.00
\t\tlineageTag: 0aaf711e-9b42-4cfb-9ab6-bee80e843a12
\t\tsummarizeBy: none
\t\tsourceColumn: Net Price

\t\tchangedProperty = IsHidden

\t\tannotation SummarizationSetBy = User

\tcolumn 'Unit Cost'
\t\tdataType: decimal
\t\tsummarizeBy: sum
\t\tsourceColumn: "Unit Cost"

\t\tannotation BestPracticeAnalyzer_IgnoreRules = {"RuleIDs":["HIDE_FACT_TABLE_COLUMNS"]}

\tcolumn Store
\t\tdataType: int64
\t\tformatString: 0
\t\tsummarizeBy: none
\t\tsourceColumn: StoreKey

\tpartition 'Sales Lines-4b1e' = m
\t\tmode: import
\t\tsource =
\t\t\t\tlet
\t\t\t\t    Source = Sql.Database(Server, Database),
\t\t\t\t    #"Sales Lines" = Source{[Schema="dbo",Item="SalesLines"]}[Data]
\t\t\t\tin
\t\t\t\t    #"Sales Lines"

\tannotation PBI_ResultType = Table

relationship 0f3c9a1e-8d2b-4f60-9e3b-5a7c1d2e3f40
\tcrossFilteringBehavior: bothDirections
\tfromColumn: 'Sales Lines'.Store
\ttoColumn: 'Store List'.'Store Key'

role 'Stores Cluster 1'
\tmodelPermission: read

\ttablePermission 'Store List' = 'Store List'[Store Code] IN {"1","2","4"}

\tannotation PBI_Id = 3c40ccf098eb4253ad31f8c679e140d3

expression Server = "localhost" meta [IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]
\tlineageTag: 39c7bef4-452b-4b29-846c-f788ef1af01f

\tannotation PBI_ResultType = Text
"""


def _load(tmp_path: Path, text: str):
    definition = tmp_path / "definition"
    definition.mkdir()
    (definition / "all.tmdl").write_text(text, encoding="utf-8")
    return load_model(definition)


def test_desktop_style_definition(tmp_path):
    model = _load(tmp_path, DESKTOP_STYLE)
    table = model.tables["Sales Lines"]
    assert table.description == "Sales lines\n(one row per receipt line)"
    assert set(table.measures) == {"Net Amount", "Margin %", "Bob's Count"}
    net = table.measures["Net Amount"]
    assert (net.expression, net.format_string, net.display_folder) == \
        ("SUM('Sales Lines'[Net Price])", "#,0.00", "Sales")
    assert net.description == "Net amount, sum" and net.annotations == {"PBI_FormatHint": '{"isCustom":true}'}
    assert table.measures["Margin %"].expression == textwrap.dedent("""\
        VAR margin = [Net Amount] - SUM('Sales Lines'[Unit Cost])
        RETURN
            DIVIDE(margin, [Net Amount])""")
    assert table.measures["Bob's Count"].expression == "COUNTROWS ( 'Sales Lines' )"
    price = table.columns["Net Price"]
    assert (price.data_type, price.is_hidden, price.summarize_by, price.source_column) == \
        ("decimal", True, "none", "Net Price")
    assert table.columns["Unit Cost"].source_column == "Unit Cost"
    assert table.columns["Store"].source_column == "StoreKey"
    partition = table.partitions[0]
    assert (partition.name, partition.source_type, partition.mode) == ("Sales Lines-4b1e", "m", "import")
    assert partition.source.splitlines()[0] == "let" and partition.source.endswith('#"Sales Lines"')
    relationship = model.relationships[0]
    assert (relationship.from_table, relationship.from_column) == ("Sales Lines", "Store")
    assert (relationship.to_table, relationship.to_column) == ("Store List", "Store Key")
    assert relationship.cross_filtering == "bothDirections" and not relationship.rely_on_referential_integrity
    role = model.roles["Stores Cluster 1"]
    assert role.permissions["Store List"].filter == """'Store List'[Store Code] IN {"1","2","4"}"""
    assert model.expressions["Server"].is_parameter and model.expressions["Server"].value == "localhost"


def test_spaces_read_like_tabs(tmp_path):
    spaced = DESKTOP_STYLE.replace("\t", "    ")
    model = _load(tmp_path, spaced)
    assert set(model.tables["Sales Lines"].measures) == {"Net Amount", "Margin %", "Bob's Count"}
    assert model.tables["Sales Lines"].measures["Margin %"].expression.startswith("VAR margin")


def test_kpi_and_changed_property_are_kept_in_the_tree():
    table = parse(DESKTOP_STYLE)[0]
    measure = next(c for c in table.children if c.name == "Bob's Count")
    kpi = measure.children_of("kpi")[0]
    assert kpi.prop("targetExpression") == "100"
    assert kpi.prop("statusExpression") == "IF([Bob's Count] > 100, 1, -1)"
    column = next(c for c in table.children if c.name == "Net Price")
    assert column.children_of("changedProperty")[0].value == "IsHidden"
    assert column.prop("lineageTag") == "0aaf711e-9b42-4cfb-9ab6-bee80e843a12"


@pytest.mark.parametrize(("text", "line", "message"), [
    ("table t\n\tmeasure m = ```\n\t\t\tSUM(t[x])\n", 2, "unterminated"),
    ("\tcolumn c\n", 1, "outside any object"),
    ("table 'unterminated\n", 1, "unterminated quoted name"),
    ("table t\n\t/// about\n\tisHidden\n", 3, "description"),
])
def test_errors_name_file_and_line(text, line, message):
    with pytest.raises(TmdlError) as raised:
        parse(text, Path("broken.tmdl"))
    assert raised.value.line == line and message in raised.value.message


def test_split_reference():
    assert split_reference("fact_sales.store_key") == ("fact_sales", "store_key")
    assert split_reference("'Sales Lines'.'Order Date'") == ("Sales Lines", "Order Date")
    assert split_reference("'It''s'.x") == ("It's", "x")
    assert split_reference("dim_store") == ("dim_store", None)


def test_dax_references():
    expression = """
        VAR fact_sales = 1  // a variable named like a table
        RETURN CALCULATE(SUM('Sales Lines'[Net Price]) + fact_sales, dim_store[region] = "[not a ref]",
                         ALL(dim_date), KEEPFILTERS(TRUE())) /* [nor this] */ + [Margin] -- [nor this]
    """
    refs = [(r.table, r.name) for r in dax.references(expression)]
    assert refs == [("Sales Lines", "Net Price"), ("dim_store", "region"), ("dim_date", None), (None, "Margin")]
    assert dax.uses_division_operator("[a] / [b]") and not dax.uses_division_operator('DIVIDE([a], [b]) // a / b')
    assert dax.calls("CONVERT(SUM(t[x]), CURRENCY)") == {"CONVERT", "SUM"}


def test_reporting_views_are_typed_through_the_sql_project():
    views = reporting_views(load_catalog())
    assert len(views) == 16
    column = {name: view.columns for name, view in views.items()}
    assert column["rpt.fact_sales"]["net_amount"].type == "DECIMAL"
    assert column["rpt.fact_sales"]["gross_margin"].type == "DECIMAL"  # net_amount - cost_amount
    assert column["rpt.fact_purchase_order_line"]["received_date_key"].nullable is True
    assert column["rpt.sales_daily"]["units"].type == "BIGINT"  # SUM(CAST(quantity AS BIGINT))
    assert column["rpt.sales_daily"]["date_key"].origin == "dbo.fact_sales.date_key"
    assert column["rpt.inventory_position"]["days_of_supply"].type == "FLOAT"  # through three CTEs and `safety.*`
    assert column["rpt.inventory_position"]["below_reorder_point"].type == "BIT"
    assert column["rpt.inventory_position"]["date_key"].origin == "dbo.fact_inventory_snapshot.date_key"
    assert column["rpt.feedback_summary"]["positive_share"].type == "DECIMAL"  # AVG of 1.0 / 0.0
    assert column["rpt.customer_rfm"]["r_score"].type == "BIGINT"  # NTILE
    assert column["rpt.stock_performance"]["store_key"].nullable is False  # COALESCE of NOT NULL keys
