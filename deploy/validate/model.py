"""The linter's vocabulary: a rule (what is checked, as data), a hit (where a check found it) and a finding (a hit
stamped with its rule), printed one per line as `file: $.json.path: RULE severity: message`. Severities are the
project's shared ones (`retail.findings`); a finding here points into a JSON document, not at a line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retail.findings import Severity

if TYPE_CHECKING:
    from deploy.validate.context import Context


@dataclass(frozen=True)
class Hit:
    """What a check reports: the file (relative to the workspace root, `/`-separated), a JSON path into it, and a
    message that names the offending value and what to do."""

    file: str
    path: str
    message: str


@dataclass(frozen=True)
class Rule:
    """One named check. `check` walks the loaded workspace and yields hits; the rule gives them id and severity."""

    id: str
    name: str
    severity: Severity
    summary: str
    check: Callable[[Context], Iterable[Hit]]

    def findings(self, context: Context) -> list[Finding]:
        return [Finding(hit.file, hit.path, self.id, self.severity, hit.message) for hit in self.check(context)]


@dataclass(frozen=True)
class Finding:
    file: str
    path: str
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.rule} {self.severity}: {self.message}"

    @property
    def sort_key(self) -> tuple:
        """By file, then by place in the file with array indexes compared as numbers (`[10]` after `[2]`)."""
        return (self.file, _natural(self.path), self.rule, self.message)


def _natural(text: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text))


def format_findings(findings: Iterable[Finding]) -> str:
    """One line per finding: `file: $.json.path: RULE severity: message`."""
    return "\n".join(str(finding) for finding in findings)
