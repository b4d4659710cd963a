"""What the project's validators share: how severe a finding is, and a finding at a line of a file, printed
`path:line: RULE severity object: message` (with its rule's explanation under it on request).

The SQL pool linter (`sql_pools/lint`) and the semantic model validator (`semantic_model/validate`) report these;
the workspace validator (`deploy/validate`) shares the severities, its findings point into JSON documents instead
of at lines."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"  # it would be rejected or fail, return wrong numbers, or leak data or a secret
    WARNING = "warning"  # probably wrong or a best practice not followed: worth a look (a heuristic can be wrong)


@dataclass(frozen=True, order=True)
class Finding:
    """One rule's finding: where (file, 1-based line), which rule and how severe, the object it is about and a
    message naming what to change. Findings sort by place."""

    path: Path
    line: int
    rule: str
    severity: Severity
    object: str
    message: str

    def __str__(self) -> str:
        return f"{shown(self.path)}:{self.line}: {self.rule} {self.severity} {self.object}: {self.message}"


def format_findings(findings: Iterable[Finding], explanations: dict[str, str] | None = None) -> str:
    """One line per finding; with `explanations` (rule id -> text) the rule's explanation is wrapped under it."""
    lines = []
    for finding in findings:
        lines.append(str(finding))
        if explanations and finding.rule in explanations:
            lines.append(textwrap.fill(explanations[finding.rule], width=116, initial_indent="    ",
                                       subsequent_indent="    ", break_on_hyphens=False))
    return "\n".join(lines)


def exit_code(findings: Iterable[Finding], strict: bool = False) -> int:
    """1 when there is an error (or, with `strict`, any finding), else 0."""
    findings = list(findings)
    return 1 if any(f.severity == Severity.ERROR for f in findings) or (strict and findings) else 0


def shown(path: Path) -> str:
    """The path relative to the working directory when under it (clickable in a terminal and shorter)."""
    return str(path.relative_to(Path.cwd())) if path.is_absolute() and path.is_relative_to(Path.cwd()) else str(path)
