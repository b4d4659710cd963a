"""The dedicated pool linter: every rule fires on its seeded violation, at the marked file and line, and never on
correct DDL; the real database project lints clean against the projected production row counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from retail.settings import load_settings
from sql_pools.lint import RULES, Finding, format_findings, lint
from sql_pools.project import project_scripts

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
VIOLATIONS, CLEAN = FIXTURES / "violations", FIXTURES / "clean"
PROJECTED = {"dim_store": 500, "dim_product": 50_000, "dim_date": 4_000, "dim_customer": 50_000_000,
             "dim_channel": 3}
MARKER = re.compile(r"--\s*(SYN\d{3})\b")  # a fixture line a finding of that rule must point at


def _marked(root: Path) -> list[tuple[str, int, str]]:
    return sorted((path.name, number, match[1]) for path in root.rglob("*.sql")
                  for number, row in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                  for match in MARKER.finditer(row))


def _lint_sql(root: Path, sql: str, projected: dict[str, int] = PROJECTED) -> list[Finding]:
    """Lint one migration holding `sql` (batches separated by GO lines)."""
    (root / "migrations").mkdir()
    (root / "migrations" / "V001__under_test.sql").write_text(sql, encoding="utf-8")
    return lint(project_scripts(root=root), projected)


def test_each_seeded_violation_is_found_at_its_marked_line_and_nothing_else() -> None:
    findings = lint(project_scripts(root=VIOLATIONS), PROJECTED)
    assert sorted((f.path.name, f.line, f.rule) for f in findings) == _marked(VIOLATIONS)


def test_every_rule_has_a_seeded_violation() -> None:
    assert {rule for _, _, rule in _marked(VIOLATIONS)} == {rule.id for rule in RULES}


def test_a_correct_project_has_no_findings() -> None:
    assert lint(project_scripts(root=CLEAN), PROJECTED) == []


def test_rules_are_documented() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)
    for rule in RULES:
        assert re.fullmatch(r"SYN\d{3}", rule.id) and rule.name and rule.severity in ("error", "warning")
        assert len(rule.explanation) > 150, rule.id  # what goes wrong on the pool and what to do


def test_format_findings_names_the_place_the_rule_and_explains() -> None:
    findings = lint(project_scripts(root=VIOLATIONS), PROJECTED)
    text = format_findings(findings)
    fact = next(f for f in findings if f.rule == "SYN001")
    assert f"V001__tables.sql:{fact.line}: SYN001 error dbo.fact_returns: dbo.fact_returns is ROUND_ROBIN" in text
    assert "\n    A fact table holds billions of rows." in text
    assert len([row for row in text.splitlines() if not row.startswith(" ")]) == len(findings)
    assert format_findings([]) == ""


@pytest.mark.parametrize(("column", "reason"), [
    ("date_key INT NOT NULL", "a date"),
    ("sold_on DATE NOT NULL", "a date"),
    ("business_date DATETIME2(3) NOT NULL", "a date"),
    ("is_promotion BIT NOT NULL", "a bit"),
    ("customer_key BIGINT NULL", "nullable"),
    ("customer_key BIGINT", "nullable"),  # nullable unless declared NOT NULL
    ("channel_key BIGINT NOT NULL", "low-cardinality: dim_channel projects 3 rows"),
])
def test_poor_hash_columns(tmp_path: Path, column: str, reason: str) -> None:
    name = column.split()[0]
    findings = _lint_sql(tmp_path, f"CREATE TABLE dbo.orders (order_id BIGINT NOT NULL, {column}) "
                                   f"WITH (DISTRIBUTION = HASH({name}), CLUSTERED COLUMNSTORE INDEX)")
    assert [(f.rule, f.object) for f in findings] == [("SYN002", f"dbo.orders.{name}")]
    assert reason in findings[0].message


def test_a_good_hash_column_and_a_primary_key_column_pass(tmp_path: Path) -> None:
    sql = ("CREATE TABLE dbo.fact_orders (order_id BIGINT PRIMARY KEY NONCLUSTERED NOT ENFORCED, "
           "product_key BIGINT NOT NULL) WITH (DISTRIBUTION = HASH(order_id), CLUSTERED COLUMNSTORE INDEX)")
    assert _lint_sql(tmp_path, sql) == []


@pytest.mark.parametrize(("constraint", "accepted"), [
    ("PRIMARY KEY NONCLUSTERED (a) NOT ENFORCED", True),
    ("UNIQUE NONCLUSTERED (a) NOT ENFORCED", True),  # the dialect keeps this one as text
    ("UNIQUE CLUSTERED (a) NOT ENFORCED", False),
    ("PRIMARY KEY (a)", False),
    ("FOREIGN KEY (a) REFERENCES dbo.other (a) NOT ENFORCED", False),  # no foreign keys at all on a pool
])
def test_constraints_added_later(tmp_path: Path, constraint: str, accepted: bool) -> None:
    sql = f"CREATE TABLE dbo.t (a INT NOT NULL)\nGO\nALTER TABLE dbo.t ADD CONSTRAINT c {constraint}"
    assert [(f.rule, f.object, f.line) for f in _lint_sql(tmp_path, sql, {})] == ([] if accepted else [
        ("SYN005", "dbo.t", 3)])


def test_dimension_size_against_replication(tmp_path: Path) -> None:
    sql = "\nGO\n".join(
        f"CREATE TABLE dbo.{name} ({name}_key BIGINT NOT NULL, label NVARCHAR(100) NOT NULL) WITH ({option})"
        for name, option in [("dim_small", "DISTRIBUTION = ROUND_ROBIN"),  # small: should be REPLICATE
                             ("dim_unsized", "DISTRIBUTION = ROUND_ROBIN"),  # no projection: not judged
                             ("dim_large", "DISTRIBUTION = HASH(dim_large_key)")])  # large: rightly hashed
    findings = _lint_sql(tmp_path, sql, {"dim_small": 1_000, "dim_large": 100_000_000})
    assert [(f.rule, f.object) for f in findings] == [("SYN003", "dbo.dim_small")]
    assert "1,000 rows × 117 bytes" in findings[0].message  # 8 + (2 × 100 / 2 + 2) + 7


def test_merge_without_inserts_may_target_any_distribution(tmp_path: Path) -> None:
    sql = """CREATE TABLE dbo.dim_product (product_key BIGINT NOT NULL, price DECIMAL(12, 2))
WITH (DISTRIBUTION = REPLICATE)
GO
CREATE TABLE stg.dim_product WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_product WHERE 1 = 0
GO
CREATE PROCEDURE etl.usp_prices AS
BEGIN
    MERGE dbo.dim_product AS t USING stg.dim_product AS s ON t.product_key = s.product_key
    WHEN MATCHED THEN UPDATE SET t.price = s.price
    WHEN NOT MATCHED BY SOURCE THEN DELETE;
END
"""
    assert _lint_sql(tmp_path, sql, {}) == []


def test_join_types_compare_length_and_resolve_unqualified_columns(tmp_path: Path) -> None:
    sql = """CREATE TABLE dbo.orders (order_id NVARCHAR(64) NOT NULL, customer_code NVARCHAR(32) NOT NULL)
GO
CREATE TABLE dbo.customers (customer_id NVARCHAR(32) NOT NULL, customer_code NVARCHAR(32) NOT NULL)
GO
CREATE VIEW rpt.orders AS
SELECT o.order_id FROM dbo.orders AS o JOIN dbo.customers ON customer_id = o.order_id
GO
CREATE VIEW rpt.same_types AS
WITH customers AS (SELECT 1 AS customer_code)
SELECT o.order_id FROM dbo.orders AS o JOIN customers AS c ON c.customer_code = o.customer_code
"""
    findings = _lint_sql(tmp_path, sql, {})
    assert [(f.rule, f.object, f.line) for f in findings] == [("SYN007", "rpt.orders", 6)]
    assert "dbo.customers.customer_id is NVARCHAR(32) but dbo.orders.order_id is NVARCHAR(64)" in findings[0].message


def test_the_database_project_lints_clean() -> None:
    """The acceptance test: the project's DDL meets every rule at the projected production volumes."""
    findings = lint(project_scripts(), load_settings("local").sql_pool.projected_rows)
    assert findings == [], format_findings(findings)
