"""Defects injected into the synthetic sources, as data, and the manifest that records each one.

Every defect type says what it does to a record and what the platform is expected to do with it, so later
layers can be tested against the manifest: each listed record must end up exactly where `expected` says.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class DefectType:
    name: str
    effect: str
    expected: str  # quarantine | raw_reject | deduplicate | rescue | accept_late | unknown_member
    default_rate: float


DEFECT_TYPES: dict[str, DefectType] = {
    d.name: d
    for d in (
        DefectType("duplicate", "an exact copy of a record later in the same delivery", "deduplicate", 0.002),
        DefectType("malformed", "a line cut short: too few CSV fields, or truncated JSON", "raw_reject", 0.001),
        DefectType("wrong_type", "a number field holding text such as 'two' or '12,99'", "quarantine", 0.001),
        DefectType("out_of_range", "a negative or absurd quantity, price, count or rating", "quarantine", 0.002),
        # Kept, flagged with a warning, and keyed to the unknown member (-1) in gold until the code arrives.
        DefectType("unknown_code", "a store or product code no master data knows", "unknown_member", 0.001),
        DefectType("future_timestamp", "an event time more than a year after its delivery", "quarantine", 0.001),
        DefectType("missing_mandatory", "a mandatory field left empty", "quarantine", 0.001),
        DefectType("invalid_utf8", "bytes that are not UTF-8 inside a text field", "raw_reject", 0.0005),
        DefectType("late_arrival", "a valid record delivered with the next day's files", "accept_late", 0.002),
        # A file-level defect: the rate is the share of POS files that carry an extra column.
        DefectType("schema_drift", "a POS file with a column the contract does not know", "rescue", 0.05),
    )
}


@dataclass(frozen=True)
class DefectRates:
    """Per-record probability of each defect type (for schema_drift: per POS file)."""

    rates: dict[str, float] = field(default_factory=lambda: {n: d.default_rate for n, d in DEFECT_TYPES.items()})

    @classmethod
    def scaled(cls, factor: float, overrides: dict[str, float] | None = None) -> DefectRates:
        rates = {n: d.default_rate * factor for n, d in DEFECT_TYPES.items()}
        for name, rate in (overrides or {}).items():
            if name not in DEFECT_TYPES:
                raise ValueError(f"unknown defect type {name!r}; known: {', '.join(DEFECT_TYPES)}")
            rates[name] = rate
        if any(not 0 <= r <= 1 for r in rates.values()):
            raise ValueError("defect rates are probabilities between 0 and 1")
        return cls(rates)

    def pick(self, rng: np.random.Generator, n: int, applicable: tuple[str, ...]) -> list[str | None]:
        """At most one defect per record, drawn independently with the configured rates."""
        if n == 0:
            return []
        names = [a for a in applicable if a != "schema_drift"]
        bounds = np.cumsum([self.rates[a] for a in names])
        if bounds.size == 0 or bounds[-1] == 0:
            return [None] * n
        if bounds[-1] > 1:
            raise ValueError(f"defect rates for {applicable} add up to more than 1")
        draws = rng.random(n)
        slots = np.searchsorted(bounds, draws, side="right")
        return [names[s] if s < len(names) else None for s in slots.tolist()]


@dataclass
class Manifest:
    """What was generated and every defect injected, with the file, line and record id of each."""

    generator: dict
    sources: dict[str, Counter] = field(default_factory=dict)
    entries: list[dict] = field(default_factory=list)
    late_reference: list[dict] = field(default_factory=list)

    def count(self, source: str, **counts: int) -> None:
        self.sources.setdefault(source, Counter()).update(counts)

    def record(self, defect: str, source: str, file: str, line: int | None, record_id: str) -> None:
        self.entries.append({"defect": defect, "source": source, "file": file, "line": line, "record_id": record_id})

    def to_dict(self) -> dict:
        defects: dict[str, dict] = {}
        for name, kind in DEFECT_TYPES.items():
            rows = [e for e in self.entries if e["defect"] == name]
            defects[name] = {
                "effect": kind.effect,
                "expected": kind.expected,
                "count": len(rows),
                "by_source": dict(sorted(Counter(e["source"] for e in rows).items())),
                "records": [{k: v for k, v in e.items() if k != "defect"} for e in rows],
            }
        return {
            "generator": self.generator,
            "sources": {name: dict(sorted(c.items())) for name, c in sorted(self.sources.items())},
            "defects": defects,
            "late_reference": self.late_reference,
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
