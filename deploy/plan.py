"""The plan: what an apply would do to one workspace, decided before anything is written.

Per artifact: `create` (not in the workspace), `update` (normalized JSON differs), `unchanged`, `delete` (live
only, with `--delete-orphans`) or `orphan` (live only, kept). Writes run by dependency level; deletions run the
levels of the live references backwards. Triggers: a started trigger is stopped only when its own definition
changes or is deleted, or when a pipeline it runs (directly or through ExecutePipeline) changes or is deleted;
every trigger stopped is started again afterwards, so an apply leaves triggers as it found them, plus those the
environment's `deploy.start_triggers` names. Reasons not to apply (a dependency that will not exist, an orphan
something else still references, a reference cycle) are `problems`, found here, before any write.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from deploy.environment import Release
from deploy.filters import Selection
from deploy.graph import CycleError, Key, by_level, called_pipelines, dependencies, levels, pipelines_run_by
from deploy.live import LiveWorkspace
from deploy.normalize import diff, digest, normalize
from deploy.publishers import PUBLISHERS


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"
    ORPHAN = "orphan"  # live only; kept (pass --delete-orphans to delete)


WRITES = (Action.CREATE, Action.UPDATE)


@dataclass(frozen=True)
class Change:
    kind: str
    name: str
    action: Action
    level: int
    body: dict[str, Any] | None = None  # what is sent: the Git JSON after overrides
    release: dict[str, Any] | None = None  # normalized, for comparison and diffs
    live: dict[str, Any] | None = None  # normalized
    depends_on: tuple[Key, ...] = ()

    @property
    def key(self) -> Key:
        return (self.kind, self.name)

    @property
    def digest(self) -> str | None:
        return digest(self.release) if self.release is not None else None

    def diff(self) -> str:
        return diff(self.live, self.release, f"{self.kind}/{self.name}")


@dataclass(frozen=True)
class TriggerStep:
    name: str
    reason: str


@dataclass
class Plan:
    environment: str
    endpoint: str
    selection: Selection
    delete_orphans: bool
    changes: list[Change] = field(default_factory=list)
    stop: list[TriggerStep] = field(default_factory=list)  # started triggers stopped before the first write
    restart: list[str] = field(default_factory=list)  # the stopped ones that still exist: started again
    start: list[TriggerStep] = field(default_factory=list)  # environment's start_triggers not started yet
    problems: list[str] = field(default_factory=list)

    def of(self, *actions: Action) -> list[Change]:
        return [change for change in self.changes if change.action in actions]

    @property
    def has_work(self) -> bool:
        return bool(self.of(*WRITES, Action.DELETE) or self.stop or self.start)

    def write_levels(self) -> list[list[Change]]:
        writes = {change.key: change for change in self.of(*WRITES)}
        level = {key: change.level for key, change in writes.items()}
        return [[writes[key] for key in group] for group in by_level(level, writes)]

    def delete_levels(self) -> list[list[Change]]:
        """Deletions, dependents first: triggers before pipelines, callers before callees, datasets before
        linked services."""
        deletes = {change.key: change for change in self.of(Action.DELETE)}
        level = {key: change.level for key, change in deletes.items()}
        return [[deletes[key] for key in group] for group in by_level(level, deletes, reverse=True)]

    def counts(self) -> dict[str, int]:
        return {action.value: len(self.of(action)) for action in Action}

    def to_dict(self, *, diffs: bool = False) -> dict[str, Any]:
        """The plan for CI (`--json`): stable keys, no bodies."""
        def change(item: Change) -> dict[str, Any]:
            entry: dict[str, Any] = {"type": item.kind, "name": item.name, "action": item.action.value,
                                     "level": item.level, "hash": item.digest,
                                     "depends_on": [f"{k}:{n}" for k, n in item.depends_on]}
            if diffs and item.action is Action.UPDATE:
                entry["diff"] = item.diff()
            return entry

        return {"environment": self.environment, "endpoint": self.endpoint, "filter": self.selection.describe(),
                "delete_orphans": self.delete_orphans, "counts": self.counts(),
                "changes": [change(item) for item in self.changes],
                "triggers": {"stop": [{"name": s.name, "reason": s.reason} for s in self.stop],
                             "restart": list(self.restart),
                             "start": [{"name": s.name, "reason": s.reason} for s in self.start]},
                "problems": list(self.problems)}


def build_plan(release: Release, live: LiveWorkspace, endpoint: str, selection: Selection | None = None,
               delete_orphans: bool = False) -> Plan:
    """Compare the release (Git after overrides) with the live workspace."""
    selection = selection or Selection()
    plan = Plan(release.settings.name, endpoint, selection, delete_orphans)
    source = {artifact.key: artifact for artifact in release.artifacts}
    release_edges = {key: dependencies(key[0], artifact.data) for key, artifact in source.items()}
    live_edges = {key: dependencies(key[0], data) for key, data in live.artifacts.items()}
    try:
        level = levels(release_edges)
    except CycleError as error:
        plan.problems.append(str(error))
        return plan
    orphans = [key for key in live.artifacts if key not in source and key in selection]
    try:
        orphan_level = levels({key: live_edges[key] for key in orphans})
    except CycleError as error:
        plan.problems.append(f"orphans: {error}")
        return plan

    for key in sorted(source, key=lambda k: (level[k], PUBLISHERS[k[0]].rank, k[1])):
        if key not in selection:
            continue
        artifact = source[key]
        mine = normalize(key[0], artifact.data)
        theirs = normalize(key[0], live.artifacts[key]) if key in live.artifacts else None
        action = Action.CREATE if theirs is None else Action.UNCHANGED if mine == theirs else Action.UPDATE
        plan.changes.append(Change(key[0], key[1], action, level[key], artifact.data, mine, theirs,
                                   tuple(sorted(release_edges[key]))))
    for key in sorted(orphans, key=lambda k: (-orphan_level[k], PUBLISHERS[k[0]].rank, k[1])):
        plan.changes.append(Change(key[0], key[1], Action.DELETE if delete_orphans else Action.ORPHAN,
                                   orphan_level[key], None, None, normalize(key[0], live.artifacts[key]),
                                   tuple(sorted(live_edges[key]))))

    _check_dependencies(plan, source, live)
    _check_deletions(plan, source, live, release_edges, live_edges)
    _plan_triggers(plan, source, live, release_edges, live_edges, release.settings.deploy.start_triggers)
    return plan


def _check_dependencies(plan: Plan, source: dict[Key, Any], live: LiveWorkspace) -> None:
    """Every reference of a write resolves after the apply: written in this run, or already live."""
    written = {change.key for change in plan.of(*WRITES, Action.UNCHANGED)}
    deleted = {change.key for change in plan.of(Action.DELETE)}
    for change in plan.of(*WRITES):
        for dep in change.depends_on:
            if dep in written or (dep in live.artifacts and dep not in deleted):
                continue
            why = "outside the filter and not in the workspace" if dep in source else "not in the release"
            plan.problems.append(f"{change.kind} {change.name} references {dep[0]} {dep[1]}, which is {why}")


def _check_deletions(plan: Plan, source: dict[Key, Any], live: LiveWorkspace, release_edges: dict[Key, set[Key]],
                     live_edges: dict[Key, set[Key]]) -> None:
    """An orphan can only go when nothing that stays references it (Synapse refuses, half-way through)."""
    deleted = {change.key for change in plan.of(Action.DELETE)}
    written = {change.key for change in plan.of(*WRITES)}
    remaining = (set(live.artifacts) | written) - deleted
    for key in sorted(deleted):
        for other in sorted(remaining):
            edges = release_edges.get(other, set()) if other in written else live_edges.get(other, set())
            if key in edges:
                plan.problems.append(f"cannot delete {key[0]} {key[1]}: {other[0]} {other[1]} still references it "
                                     "(it stays in the workspace, outside the filter or unchanged)")


def _plan_triggers(plan: Plan, source: dict[Key, Any], live: LiveWorkspace, release_edges: dict[Key, set[Key]],
                   live_edges: dict[Key, set[Key]], start_patterns: list[str]) -> None:
    by_key = {change.key: change for change in plan.changes}
    changed = {name for (kind, name), change in by_key.items()
               if kind == "pipeline" and change.action in (Action.UPDATE, Action.DELETE)}
    edges = {key: release_edges.get(key, set()) | live_edges.get(key, set())
             for key in set(release_edges) | set(live_edges)}
    for (kind, name), data in sorted(live.artifacts.items()):
        if kind != "trigger" or not live.started(name):
            continue
        change = by_key.get((kind, name))
        reasons = []
        if change is not None and change.action is Action.UPDATE:
            reasons.append("its definition changes")
        if change is not None and change.action is Action.DELETE:
            reasons.append("it is deleted")
        runs = pipelines_run_by(data) | (pipelines_run_by(source[(kind, name)].data) if (kind, name) in source
                                         else set())
        touched = sorted(called_pipelines(runs, edges) & changed)
        if touched:
            reasons.append(f"pipeline {', '.join(touched)} changes")
        if reasons:
            plan.stop.append(TriggerStep(name, "; ".join(reasons)))
            if not (change is not None and change.action is Action.DELETE):
                plan.restart.append(name)
    restarting = set(plan.restart)
    for change in plan.changes:
        if (change.kind == "trigger" and change.action in (*WRITES, Action.UNCHANGED)
                and change.name not in restarting and not live.started(change.name)
                and any(fnmatch.fnmatchcase(change.name, pattern) for pattern in start_patterns)):
            plan.start.append(TriggerStep(change.name, "deploy.start_triggers of the environment"))
