"""The validator's vocabulary: a rule (what is checked, with the explanation a modeller reads) and a hit (where a check
found something); a finding (a hit stamped with its rule) and its severity are the project's shared ones
(`retail.findings`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from retail.findings import Severity

if TYPE_CHECKING:
    from semantic_model.validate.project import Project


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
