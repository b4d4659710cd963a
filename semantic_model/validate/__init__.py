"""The semantic model validator behind `retail model validate`: reads the PBIP (TMDL semantic model, PBIR report),
checks it against the SQL project (every table reads an `rpt` view, every column exists there with a compatible
type), against itself (relationships, DAX references, role filters, report fields), against Microsoft's Best
Practice Analyzer rules that matter for DirectQuery, and the JSON files against their published schemas.

    findings = validate_model()                  # semantic_model/ by default
    print(format_findings(findings, explain=True))
    sys.exit(exit_code(findings))                # 1 on an error (or on any finding with strict=True)

The rules are data (`rules.py`); each finding reads `path:line: RULE severity object: message`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from retail.findings import Finding, Severity, exit_code
from retail.findings import format_findings as _format
from semantic_model.project import ROOT
from semantic_model.validate.model import Rule
from semantic_model.validate.project import Project
from semantic_model.validate.rules import RULES
from semantic_model.warehouse import Catalog, load_catalog
from sql_pools.project import Script

__all__ = ["RULES", "Finding", "Rule", "Severity", "exit_code", "format_findings", "validate_model"]


def validate_model(root: Path = ROOT, scripts: Iterable[Script] | None = None,
                   catalog: Catalog | None = None) -> list[Finding]:
    """Every rule's findings over the Power BI project in `root` (the folder holding the .pbip, the
    .SemanticModel and the .Report), sorted by file and line. The SQL side is the database project's scripts
    (`sql_pools.project.project_scripts()` by default) or an already loaded `catalog`."""
    project = Project.load(Path(root), catalog or load_catalog(scripts))
    findings = set()
    for rule in RULES:
        for hit in rule.check(project):
            findings.add(Finding(hit.path, hit.line, rule.id, rule.severity, hit.object, hit.message))
    return sorted(findings)


def format_findings(findings: Iterable[Finding], explain: bool = False) -> str:
    """One line per finding, `path:line: RULE severity object: message`; with `explain`, the rule's explanation
    under each."""
    return _format(findings, {r.id: r.explanation for r in RULES} if explain else None)
