"""The release order: which artifacts reference which, and the levels that follow from it.

An artifact's level is one more than the highest level among the artifacts it references (linked services →
datasets and data flows → notebooks and Spark job definitions → pipelines, pipelines after the pipelines they
call with ExecutePipeline, triggers after their pipelines). Everything in one level is independent and is
written in parallel; deletions run the levels backwards (a trigger before its pipeline, a caller before the
pipeline it calls). Names written as expressions resolve at run time and are no dependency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from deploy.publishers import PUBLISHERS
from deploy.validate.references import references
from deploy.validate.workspace import Artifact

Key = tuple[str, str]


def dependencies(kind: str, data: dict[str, Any]) -> set[Key]:
    """The artifacts of published kinds that `data` references by name (itself excluded)."""
    name = data.get("name")
    found = {(ref.target, ref.name) for ref in references(Artifact(kind, f"{kind}/{name}.json", data))}
    return {key for key in found if key[0] in PUBLISHERS and key != (kind, name)}


def pipelines_run_by(trigger: dict[str, Any]) -> set[str]:
    """The pipelines a trigger starts directly."""
    found = set()
    for entry in (trigger.get("properties") or {}).get("pipelines") or []:
        reference = entry.get("pipelineReference") if isinstance(entry, dict) else None
        if isinstance(reference, dict) and isinstance(reference.get("referenceName"), str):
            found.add(reference["referenceName"])
    return found


def called_pipelines(start: Iterable[str], edges: Mapping[Key, set[Key]]) -> set[str]:
    """`start` and every pipeline they call, directly or through ExecutePipeline chains."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(target for kind, target in edges.get(("pipeline", name), set()) if kind == "pipeline")
    return seen


class CycleError(ValueError):
    """Artifacts that reference each other in a ring: no order publishes them."""


def levels(edges: Mapping[Key, set[Key]]) -> dict[Key, int]:
    """The level of each key of `edges` (its dependencies outside `edges` are taken as already there)."""
    level: dict[Key, int] = {}
    visiting: set[Key] = set()

    def visit(key: Key, trail: tuple[Key, ...]) -> int:
        if key in level:
            return level[key]
        if key in visiting:
            ring = " -> ".join(f"{k}:{n}" for k, n in (*trail[trail.index(key):], key))
            raise CycleError(f"reference cycle: {ring}")
        visiting.add(key)
        inner = [visit(dep, (*trail, key)) for dep in sorted(edges[key]) if dep in edges]
        visiting.discard(key)
        level[key] = 1 + max(inner, default=-1)
        return level[key]

    for key in sorted(edges, key=lambda k: (PUBLISHERS[k[0]].rank, k[1])):
        visit(key, ())
    return level


def by_level(level: Mapping[Key, int], keys: Iterable[Key], *, reverse: bool = False) -> list[list[Key]]:
    """`keys` grouped by level, lowest level first (or last with `reverse`), each group in release order."""
    groups: dict[int, list[Key]] = {}
    for key in keys:
        groups.setdefault(level[key], []).append(key)
    order = sorted(groups, reverse=reverse)
    return [sorted(groups[n], key=lambda k: (PUBLISHERS[k[0]].rank, k[1])) for n in order]
