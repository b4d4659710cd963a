"""The validator: the project passes clean, and each seeded mistake (in a copy) is caught by the expected rule in
the expected file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from semantic_model.project import MODEL, PBIP, REPORT
from semantic_model.validate import RULES, Severity, exit_code, format_findings, validate_model
from semantic_model.warehouse import load_catalog

DEFINITION = Path(MODEL.name) / "definition"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the Power BI project (the .pbip, the model and the report folders) to seed mistakes into."""
    shutil.copy(PBIP, tmp_path / PBIP.name)
    for folder in (MODEL, REPORT):
        shutil.copytree(folder, tmp_path / folder.name, ignore=shutil.ignore_patterns(".pbi"))
    return tmp_path


def test_the_project_passes_every_rule(catalog):
    findings = validate_model(catalog=catalog)
    assert findings == [], format_findings(findings)
    assert exit_code(findings) == 0


def test_rules_are_unique_and_explained():
    assert len({r.id for r in RULES}) == len(RULES)
    assert all(len(r.explanation) > 60 for r in RULES)


def _edit(root: Path, relative: Path | str, old: str, new: str) -> None:
    path = root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _json(root: Path, relative: str, change: Callable[[dict], None]) -> None:
    path = root / relative
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


SEEDED: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # id: (mistake, rule, file the finding points at)
    "column missing from the view": (
        lambda r: _edit(r, DEFINITION / "tables/fact_sales.tmdl", "sourceColumn: net_amount", "sourceColumn: net"),
        "SQL003", "tables/fact_sales.tmdl"),
    "type mismatch": (
        lambda r: _edit(r, DEFINITION / "tables/dim_store.tmdl", "column floor_area_sqm\n\t\tdataType: int64",
                        "column floor_area_sqm\n\t\tdataType: string"),
        "SQL004", "tables/dim_store.tmdl"),
    "bi-directional relationship on the fact": (
        lambda r: _edit(r, DEFINITION / "relationships.tmdl", "\tfromColumn: fact_sales.product_key",
                        "\tcrossFilteringBehavior: bothDirections\n\tfromColumn: fact_sales.product_key"),
        "REL003", "relationships.tmdl"),
    "measure naming a missing column": (
        lambda r: _edit(r, DEFINITION / "tables/fact_sales.tmdl", "SUM(fact_sales[net_amount])",
                        "SUM(fact_sales[net_sales])"),
        "DAX001", "tables/fact_sales.tmdl"),
    "role filter on a missing column": (
        lambda r: _edit(r, DEFINITION / "roles/Regional Manager - West.tmdl", 'dim_store[region] = "West"',
                        'dim_store[sales_region] = "West"'),
        "DAX001", "roles/Regional Manager - West.tmdl"),
    "partition reading a view that does not exist": (
        lambda r: _edit(r, DEFINITION / "tables/customer_rfm.tmdl", 'Item = "customer_rfm"',
                        'Item = "customer_segments"'),
        "SQL001", "tables/customer_rfm.tmdl"),
    "hard-coded server": (
        lambda r: _edit(r, DEFINITION / "tables/dim_channel.tmdl", "Sql.Database(SqlEndpoint, SqlDatabase)",
                        'Sql.Database("synw-retail-dev.sql.azuresynapse.net", "sqlpool_retail")'),
        "SQL002", "tables/dim_channel.tmdl"),
    "referential integrity on a nullable key": (
        lambda r: _edit(r, DEFINITION / "relationships.tmdl", "\tisActive: false\n",
                        "\tisActive: false\n\trelyOnReferentialIntegrity\n"),
        "REL005", "relationships.tmdl"),
    "referential integrity on feedback dates": (
        lambda r: _edit(r, DEFINITION / "relationships.tmdl", "\tfromColumn: fact_feedback.date_key",
                        "\trelyOnReferentialIntegrity\n\tfromColumn: fact_feedback.date_key"),
        "REL005", "relationships.tmdl"),
    "double over a DECIMAL column": (
        lambda r: _edit(r, DEFINITION / "tables/dim_product.tmdl", "column unit_price\n\t\tdataType: decimal",
                        "column unit_price\n\t\tdataType: double"),
        "BPA001", "tables/dim_product.tmdl"),
    "visible foreign key": (
        lambda r: _edit(r, DEFINITION / "tables/fact_feedback.tmdl", "column channel_key\n\t\tdataType: int64\n"
                        "\t\tisHidden\n", "column channel_key\n\t\tdataType: int64\n"),
        "BPA005", "tables/fact_feedback.tmdl"),
    "measure without a format string": (
        lambda r: _edit(r, DEFINITION / "tables/customer_rfm.tmdl", "\t\tformatString: #,0\n\t\tdisplayFolder: "
                        "Customers\n", "\t\tdisplayFolder: Customers\n"),
        "BPA002", "tables/customer_rfm.tmdl"),
    "aggregation column of another type than its base": (
        lambda r: _edit(r, DEFINITION / "tables/agg_sales_day_region_category.tmdl",
                        "column units\n\t\tdataType: int64", "column units\n\t\tdataType: decimal"),
        "AGG002", "tables/agg_sales_day_region_category.tmdl"),
    "dimension of the aggregation not dual": (
        lambda r: _edit(r, DEFINITION / "tables/dim_date.tmdl", "mode: dual", "mode: import"),
        "AGG003", "relationships.tmdl"),
    "role missing the store filter": (
        lambda r: _edit(r, DEFINITION / "roles/Regional Manager - East.tmdl",
                        'tablePermission dim_store = dim_store[region] = "East"', ""),
        "RLS001", "roles/Regional Manager - East.tmdl"),
    "role filtering the aggregation table": (
        lambda r: _edit(r, DEFINITION / "roles/Regional Manager - East.tmdl", "\ttablePermission customer_rfm",
                        '\ttablePermission agg_sales_day_region_category = agg_sales_day_region_category[region]'
                        ' = "East"\n\n\ttablePermission customer_rfm'),
        "RLS003", "roles/Regional Manager - East.tmdl"),
    "TMDL that does not read": (
        lambda r: _edit(r, DEFINITION / "tables/fact_sales.tmdl", "table fact_sales\n", "table 'fact_sales\n"),
        "PBIP002", "tables/fact_sales.tmdl"),
    "definition.pbism without its version": (
        lambda r: _json(r, f"{MODEL.name}/definition.pbism", lambda d: d.pop("version")),
        "PBIP003", "definition.pbism"),
    "report bound both by path and by connection": (
        lambda r: _json(r, f"{REPORT.name}/definition.pbir",
                        lambda d: d["datasetReference"].update(byConnection={"connectionString": "Data Source=x"})),
        "PBIP006", "definition.pbir"),
    "visual showing a measure the model lacks": (
        lambda r: _edit(r, f"{REPORT.name}/definition/pages/sales_performance/visuals/sales_card_0/visual.json",
                        '"Net Sales"', '"Net Revenue"'),
        "REP001", "visuals/sales_card_0/visual.json"),
}


@pytest.mark.parametrize("mistake", list(SEEDED))
def test_seeded_mistake_is_caught(project, catalog, mistake):
    seed, rule, file = SEEDED[mistake]
    seed(project)
    findings = validate_model(project, catalog=catalog)
    caught = [f for f in findings if f.rule == rule]
    assert caught, format_findings(findings)
    assert any(f.path.as_posix().endswith(file) for f in caught), format_findings(caught)
    assert exit_code(findings) == 1 or all(f.severity is Severity.WARNING for f in caught)


def test_findings_name_the_line_and_explain(project, catalog):
    SEEDED["type mismatch"][0](project)
    findings = validate_model(project, catalog=catalog)
    [finding] = [f for f in findings if f.rule == "SQL004"]
    lines = (project / DEFINITION / "tables/dim_store.tmdl").read_text().splitlines()
    assert lines[finding.line - 1] == "\tcolumn floor_area_sqm"
    assert "view returns INT: declare int64" in finding.message
    text = format_findings([finding], explain=True)
    assert text.splitlines()[0].endswith(finding.message) and "T-SQL type" in text


def test_strict_exit_code_counts_warnings(project, catalog):
    _edit(project, DEFINITION / "tables/fact_sales.tmdl", "DIVIDE([Net Sales], [Transactions])",
          "[Net Sales] / [Transactions]")
    findings = validate_model(project, catalog=catalog)
    assert {f.rule for f in findings} == {"DAX003"}
    assert exit_code(findings) == 0 and exit_code(findings, strict=True) == 1
