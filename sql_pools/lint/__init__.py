"""A linter for the dedicated SQL pool database project: what parses as T-SQL but is slow, insecure or rejected on
a dedicated pool (distribution, replication, staging layout, unsupported features, MERGE limits, join types, row
filters). The rules are data (`rules.py`); `lint` runs them all over the parsed scripts.

    findings = lint(project_scripts(), load_settings("local").sql_pool.projected_rows)
    print(format_findings(findings))
"""

from __future__ import annotations

from sqlglot import exp

from retail.findings import Finding
from retail.findings import format_findings as _format
from sql_pools.lint.model import Project
from sql_pools.lint.rules import RULES, Rule
from sql_pools.project import Batch, Script

__all__ = ["RULES", "Finding", "Rule", "format_findings", "lint"]


def lint(scripts: list[Script], projected_rows: dict[str, int]) -> list[Finding]:
    """Every rule's findings over the scripts, by file and line. `projected_rows` (table name without schema ->
    production rows) sizes the rules that depend on volume, since local data says nothing about production."""
    project = Project.build(scripts, projected_rows)
    batches = {id(statement): batch for batch, statement in project.statements}
    findings = []
    for rule in RULES:
        for hit in rule.check(project):
            batch = batches[id(hit.node.root())]
            findings.append(Finding(batch.script, _line(batch, hit.node), rule.id, rule.severity, hit.object,
                                    hit.message))
    return sorted(set(findings))


def format_findings(findings: list[Finding]) -> str:
    """One line per finding, `path:line: SYNxxx severity object: message`, with the rule's explanation under it."""
    return _format(findings, {rule.id: rule.explanation for rule in RULES})


def _line(batch: Batch, node: exp.Expression) -> int:
    """The script line of a node: its batch's first line plus the line, within the batch, of the earliest name
    token in the node or else in its nearest enclosing node that has one (sqlglot keeps token positions on
    identifiers). A statement kept as text (an `exp.Command`) is found by its text."""
    candidate: exp.Expression | None = node
    while candidate is not None:
        lines = [i.meta["line"] for i in candidate.find_all(exp.Identifier) if "line" in i.meta]
        if lines:
            return batch.line + min(lines) - 1
        candidate = candidate.parent
    text = str(node.root().args.get("expression") or "") if isinstance(node.root(), exp.Command) else ""
    at = batch.text.find(text) if text else -1
    return batch.line + batch.text.count("\n", 0, at) if at >= 0 else batch.line
