"""The DBA tuning scripts (sql_pools/database/dba/*.sql) parse with the Synapse dialect into real statements,
generate stably, label every query, and compute table skew with the right formula. Pure parsing: no pool needed."""

from __future__ import annotations

import re
from itertools import takewhile
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

import sql_pools
from sql_pools.dialect import Synapse

DBA = Path(sql_pools.__file__).resolve().parent / "database" / "dba"
SCRIPTS = sorted(DBA.glob("*.sql"))
EXPECTED = {"table_skew", "columnstore_health", "stale_statistics", "replicated_cache", "requests", "data_movement"}
WRAPPERS = (exp.Paren, exp.Cast, exp.TryCast, exp.Nullif, exp.Coalesce)


def _statements(text: str) -> list[exp.Expression]:
    return [s for s in sqlglot.parse(text, read=Synapse) if s is not None]


def _generate(statements: list[exp.Expression]) -> str:
    return ";\n".join(s.sql(Synapse, unsupported_level=sqlglot.ErrorLevel.RAISE) for s in statements)


def _unwrap(node: exp.Expression) -> exp.Expression:
    """The expression inside any parentheses, CAST, NULLIF or COALESCE (their first argument)."""
    while isinstance(node, WRAPPERS):
        node = node.this
    return node


def _label(query: exp.Query) -> str | None:
    for option in query.args.get("options") or []:
        if isinstance(option, exp.QueryOption) and option.name.upper() == "LABEL":
            return option.expression.name
    return None


@pytest.fixture(params=SCRIPTS, ids=lambda path: path.name)
def script(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_the_dba_scripts_exist() -> None:
    assert {path.stem for path in SCRIPTS} >= EXPECTED
    assert all(re.fullmatch(r"[a-z0-9_]+", path.stem) for path in SCRIPTS)


def test_no_statement_is_an_opaque_command(script: Path) -> None:
    statements = _statements(script.read_text(encoding="utf-8"))
    assert statements
    commands = [node.sql(Synapse) for s in statements for node in s.walk() if isinstance(node, exp.Command)]
    assert not commands, commands


def test_one_batch_of_declarations_and_queries(script: Path) -> None:
    text = script.read_text(encoding="utf-8")
    assert not re.search(r"^\s*GO\s*$", text, re.IGNORECASE | re.MULTILINE)
    header = list(takewhile(lambda row: row.startswith("--"), text.splitlines()))
    assert 3 <= len(header) <= 8, "a header comment of 3-8 lines says what to read in the result"
    statements = _statements(text)
    assert all(isinstance(s, exp.Declare | exp.Query) for s in statements), [type(s).__name__ for s in statements]
    assert any(isinstance(s, exp.Query) for s in statements)


def test_generated_sql_is_a_fixpoint(script: Path) -> None:
    generated = _generate(_statements(script.read_text(encoding="utf-8")))
    assert _generate(_statements(generated)) == generated


def test_every_query_carries_its_dba_label(script: Path) -> None:
    queries = [s for s in _statements(script.read_text(encoding="utf-8")) if isinstance(s, exp.Query)]
    labels = [_label(query) for query in queries]
    assert all(label and label.startswith("dba: ") for label in labels), labels
    assert set(labels) == {f"dba: {script.stem}"}
    assert all(f"OPTION(LABEL = 'dba: {script.stem}')" in query.sql(Synapse) for query in queries)


def _is_max_minus_min(node: exp.Expression) -> bool:
    node = _unwrap(node)
    return (isinstance(node, exp.Sub) and isinstance(_unwrap(node.this), exp.Max)
            and isinstance(_unwrap(node.expression), exp.Min)
            and _unwrap(node.this).this == _unwrap(node.expression).this)


def test_skew_is_max_minus_min_over_max() -> None:
    statements = _statements((DBA / "table_skew.sql").read_text(encoding="utf-8"))
    divisions = [d for s in statements for d in s.find_all(exp.Div)]
    skew = [d for d in divisions if _is_max_minus_min(d.this)]
    assert len(skew) == 1, [d.sql(Synapse) for d in divisions]
    (division,) = skew
    denominator = _unwrap(division.expression)
    assert isinstance(denominator, exp.Max), division.sql(Synapse)
    assert denominator.this == _unwrap(_unwrap(division.this).this).this  # the same column as the numerator's MAX
    assert isinstance(division.expression, exp.Nullif)  # 0 rows everywhere: NULL, then 0, not a division error
    # no inverted variant (min / max, (max - avg) / avg) anywhere in the script
    assert not [d for d in divisions if isinstance(_unwrap(d.this), exp.Min) or d.expression.find(exp.Avg)]
