"""The Synapse workspace validator behind `retail workspace validate`: checks the Studio Git folder (`workspace/`)
before anything is published, the way a linter checks code. The rules are data (`rules.py`); each finding names
the file, a JSON path into it, the rule and its severity:

    pipeline/pl_daily.json: $.properties.activities[2].typeProperties.storedProcedureName: REF003 error: ...

    findings = validate(WORKSPACE, POOLS)
    print(format_findings(findings))
    exit(1 if has_errors(findings) else 0)

Families: WS (files), SDK (round trip through azure-synapse-artifacts, credential shape), NAM (names), REF
(references, stored procedures, parameters passed), EXP (expressions), SEC (secrets), CYC (cycles).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from deploy.validate.context import Context
from deploy.validate.model import Finding, Rule, format_findings
from deploy.validate.rules import RULES
from deploy.validate.workspace import load_workspace
from retail.findings import Severity
from sql_pools.project import Script

__all__ = ["POOLS", "RULES", "WORKSPACE", "Finding", "Rule", "Severity", "format_findings", "has_errors",
           "validate"]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = PROJECT_ROOT / "workspace"  # the Synapse Git root folder
POOLS = PROJECT_ROOT / "spark_pools" / "pools"  # one <pool>.json per Spark pool


def validate(workspace: Path, pools: Path, sql_scripts: list[Script] | None = None) -> list[Finding]:
    """Every rule's findings over the workspace folder, sorted by file and place. `pools` holds the Spark pool
    definitions (`<name>.json`) that notebooks and Spark jobs may name; `sql_scripts` are the SQL project's scripts
    (`sql_pools.project.project_scripts()`, read only when a pipeline calls a stored procedure, if None)."""
    context = Context(load_workspace(Path(workspace)), Path(pools), sql_scripts)
    findings = {finding for rule in RULES for finding in rule.findings(context)}
    return sorted(findings, key=lambda finding: finding.sort_key)


def has_errors(findings: Iterable[Finding]) -> bool:
    """Whether any finding is an error (warnings alone should not fail a release)."""
    return any(finding.severity is Severity.ERROR for finding in findings)
