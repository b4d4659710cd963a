"""The validator's vocabulary: a rule (what is checked, with the explanation a modeller reads), a hit (where a check
found something) and a finding (a hit stamped with its rule), printed `path:line: RULE severity object: message`."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semantic_model.validate.project import Project


class Severity(StrEnum):
    ERROR = "error"  # Power BI would reject it, a query would fail or return wrong numbers, or data would leak
    WARNING = "warning"  # a best practice not followed; worth a look


@dataclass(frozen=True)
class Hit:
    path: Path
    line: int
    object: str  # the model object, as `table[column]`, `table[measure]`, `role`, a file name...
    message: str


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    explanation: str
    check: Callable[[Project], Iterable[Hit]]


@dataclass(frozen=True, order=True)
class Finding:
    path: Path
    line: int
    rule: str
    severity: Severity
    object: str
    message: str

    def __str__(self) -> str:
        return f"{_shown(self.path)}:{self.line}: {self.rule} {self.severity} {self.object}: {self.message}"


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
    return 1 if any(f.severity is Severity.ERROR for f in findings) or (strict and findings) else 0


def _shown(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_absolute() and path.is_relative_to(Path.cwd()) else str(path)
