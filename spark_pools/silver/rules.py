"""Data-quality rules as data: a name, a Spark SQL condition that holds for a good row, an action, an owner.

- `quarantine`: the row goes to the entity's quarantine table with every rule it failed;
- `warn`: the row is kept and the rule's name is added to its `_dq_warnings`;
- `fail`: one failing row stops the load.
A condition that evaluates to NULL counts as failed: "unknown" is not "good".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

Action = Literal["warn", "quarantine", "fail"]


@dataclass(frozen=True)
class Rule:
    name: str
    condition: str
    action: Action
    owner: str
    description: str = ""


class RuleFailedError(RuntimeError):
    """A `fail` rule found bad rows; nothing of the load was written."""


def mandatory(*columns: str, owner: str, extra: str = "") -> Rule:
    condition = " AND ".join(f"{c} IS NOT NULL" for c in columns) + (f" AND ({extra})" if extra else "")
    return Rule("mandatory_present", condition, "quarantine", owner,
                f"{', '.join(columns)} must be present")


def numeric(*columns: str, owner: str) -> Rule:
    """Each typed column has a `<name>_text` twin holding the text received; text that did not parse fails."""
    condition = " AND ".join(f"({c}_text IS NULL OR {c} IS NOT NULL)" for c in columns)
    return Rule("values_parse", condition, "quarantine", owner, f"{', '.join(columns)} must parse as typed")


def known(owner: str, *columns: str) -> tuple[Rule, ...]:
    """A code the master data does not know yet: kept, mapped to the unknown member in gold until it arrives.
    The condition is the flag the entity's code lookup sets (`_known_<column>`)."""
    return tuple(Rule(f"known_{c}", f"_known_{c}", "warn", owner, f"{c} exists in the master data") for c in columns)


def _failed(rules: list[Rule]) -> Column:
    """The names of the rules a row fails, as an array built by `concat` (compiled by Spark; a lambda `filter`
    would be interpreted row by row)."""
    none = F.array().cast("array<string>")
    checks = [F.when(F.coalesce(F.expr(r.condition), F.lit(False)), none).otherwise(F.array(F.lit(r.name)))
              for r in rules]
    return F.concat(*checks) if checks else none


def evaluate(frame: DataFrame, rules: tuple[Rule, ...]) -> DataFrame:
    """Adds `_dq_failed` (quarantine rules failed), `_dq_warnings` and `_dq_fatal` (fail rules failed)."""
    by_action = {a: [r for r in rules if r.action == a] for a in ("quarantine", "warn", "fail")}
    return frame.withColumns({
        "_dq_failed": _failed(by_action["quarantine"]),
        "_dq_warnings": _failed(by_action["warn"]),
        "_dq_fatal": _failed(by_action["fail"]),
    })
