"""A pipeline's activities where they sit: top-level, and nested in ForEach, Until, IfCondition and Switch.

Each list of activities is its own dependsOn scope: an activity can only depend on a sibling in the same list.
What an activity may read with `activity('x')` follows from that: the siblings it (transitively) depends on,
plus whatever its enclosing container activity may read, up to the top-level list.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from deploy.validate.jsonpath import child
from deploy.validate.workspace import Artifact

# Where each container activity keeps its inner activity lists, under typeProperties.
CONTAINERS: dict[str, tuple[str, ...]] = {
    "ForEach": ("activities",),
    "Until": ("activities",),
    "IfCondition": ("ifTrueActivities", "ifFalseActivities"),
    "Switch": ("defaultActivities",),  # and cases[i].activities
}


@dataclass(eq=False)
class ActivityList:
    """One list of activities (`path` is the list's JSON path) and the container activity that holds it."""

    path: str
    owner: Placed | None
    activities: list[Placed] = field(default_factory=list)

    def named(self, name: str) -> Placed | None:
        return next((a for a in self.activities if a.name == name), None)

    def ancestors(self, name: str) -> set[str]:
        """The siblings `name` depends on, directly or through other siblings (names not in this list ignored)."""
        seen: set[str] = set()
        pending = [name]
        while pending:
            placed = self.named(pending.pop())
            for _, upstream in placed.depends_on if placed else ():
                if upstream not in seen and self.named(upstream) is not None:
                    seen.add(upstream)
                    pending.append(upstream)
        return seen


@dataclass(eq=False)
class Placed:
    """An activity's JSON object, its JSON path and the list it sits in."""

    data: dict[str, Any]
    path: str
    siblings: ActivityList

    @property
    def name(self) -> str | None:
        name = self.data.get("name")
        return name if isinstance(name, str) else None

    @property
    def type(self) -> str | None:
        kind = self.data.get("type")
        return kind if isinstance(kind, str) else None

    @property
    def type_properties(self) -> dict[str, Any]:
        properties = self.data.get("typeProperties")
        return properties if isinstance(properties, dict) else {}

    @property
    def depends_on(self) -> list[tuple[int, str]]:
        """(index in dependsOn, activity name) for each well-formed dependsOn entry."""
        entries = self.data.get("dependsOn")
        return [(i, e["activity"]) for i, e in enumerate(entries if isinstance(entries, list) else [])
                if isinstance(e, dict) and isinstance(e.get("activity"), str)]

    @property
    def containers(self) -> list[Placed]:
        """The enclosing container activities, innermost first."""
        found, owner = [], self.siblings.owner
        while owner is not None:
            found.append(owner)
            owner = owner.siblings.owner
        return found

    @property
    def in_foreach(self) -> bool:
        return any(container.type == "ForEach" for container in self.containers)

    def upstream(self) -> set[str]:
        """The activities whose output this one may read: what it depends on (transitively) in its own list, and
        what each enclosing container depends on in its list."""
        names: set[str] = set()
        current: Placed | None = self
        while current is not None:
            if current.name:
                names |= current.siblings.ancestors(current.name)
            current = current.siblings.owner
        return names


def inner_lists(activity: dict[str, Any], path: str) -> Iterator[tuple[str, list[Any]]]:
    """The activity lists nested directly in a container activity, with their JSON paths."""
    properties = activity.get("typeProperties")
    if not isinstance(properties, dict) or activity.get("type") not in CONTAINERS:
        return
    base = child(path, "typeProperties")
    for key in CONTAINERS[activity["type"]]:
        if isinstance(properties.get(key), list):
            yield child(base, key), properties[key]
    cases = properties.get("cases") if activity["type"] == "Switch" else None
    for index, case in enumerate(cases if isinstance(cases, list) else []):
        if isinstance(case, dict) and isinstance(case.get("activities"), list):
            yield child(child(child(base, "cases"), index), "activities"), case["activities"]


def activity_lists(pipeline: Artifact) -> list[ActivityList]:
    """Every activity list of a pipeline, outer lists before the lists nested in them."""
    top = pipeline.properties.get("activities")
    if not isinstance(top, list):
        return []
    lists: list[ActivityList] = []
    pending: list[tuple[str, list[Any], Placed | None]] = [("$.properties.activities", top, None)]
    while pending:
        path, items, owner = pending.pop(0)
        current = ActivityList(path, owner)
        lists.append(current)
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            placed = Placed(item, child(path, index), current)
            current.activities.append(placed)
            pending.extend((inner_path, inner, placed) for inner_path, inner in inner_lists(item, placed.path))
    return lists


def all_activities(pipeline: Artifact) -> list[Placed]:
    """Every activity of a pipeline, nested ones included."""
    return [placed for activities in activity_lists(pipeline) for placed in activities.activities]


def nested_in(container: Placed, lists: list[ActivityList]) -> set[str]:
    """The names of every activity inside a container activity, at any depth."""
    return {placed.name for activities in lists for placed in activities.activities
            if placed.name and container in placed.containers}
