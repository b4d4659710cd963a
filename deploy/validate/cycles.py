"""No cycles: a pipeline that (through ExecutePipeline) runs itself never ends, and activities that depend on each
other never start; Studio refuses to publish the second, the first fails only at run time. dependsOn can only
name a sibling in the same activity list (an activity inside a ForEach cannot depend on one outside it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from deploy.validate.activities import all_activities
from deploy.validate.expressions import is_expression
from deploy.validate.jsonpath import child
from deploy.validate.model import Hit

if TYPE_CHECKING:
    from deploy.validate.context import Context

Graph = dict[str, list[tuple[str, str]]]  # node -> [(next node, path of the edge)]


def cycles(graph: Graph) -> list[list[tuple[str, str]]]:
    """One cycle per strongly connected component that has one, as its edges [(node, edge path), ...] from the
    component's first node in graph order back to it."""
    found = []
    for component in _components(graph):
        start = next(node for node in graph if node in component)
        path = _path_back(graph, start, component)
        if path:
            found.append(path)
    return found


def _components(graph: Graph) -> list[set[str]]:
    """Strongly connected components (Tarjan), iterative so deep graphs do not hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            edges = [target for target, _ in graph.get(node, []) if target in graph]
            if position < len(edges):
                work.append((node, position + 1))
                target = edges[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return components


def _path_back(graph: Graph, start: str, component: set[str]) -> list[tuple[str, str]]:
    """The shortest edge path from `start` back to itself inside the component (empty when there is none)."""
    previous: dict[str, tuple[str, str]] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, where in graph.get(node, []):
                if target == start:
                    edges = [(node, where)]
                    while node != start:
                        node, where = previous[node]
                        edges.insert(0, (node, where))
                    return edges
                if target in component and target not in previous:
                    previous[target] = (node, where)
                    following.append(target)
        frontier = following
    return []


def _shown(edges: list[tuple[str, str]]) -> str:
    return " -> ".join([node for node, _ in edges] + [edges[0][0]])


def pipeline_cycles(context: Context) -> Iterator[Hit]:
    graph: Graph = {}
    files = {}
    for pipeline in context.workspace.of("pipeline"):
        if pipeline.name is None or pipeline.name in graph:
            continue
        files[pipeline.name] = pipeline.file
        graph[pipeline.name] = []
        for placed in all_activities(pipeline):
            target = placed.type_properties.get("pipeline")
            name = target.get("referenceName") if isinstance(target, dict) else None
            if placed.type == "ExecutePipeline" and isinstance(name, str) and not is_expression(name):
                where = child(child(child(placed.path, "typeProperties"), "pipeline"), "referenceName")
                graph[pipeline.name].append((name, where))
    for edges in cycles(graph):
        start, where = edges[0]
        yield Hit(files[start], where, f"ExecutePipeline cycle: {_shown(edges)} never ends")


def dependency_cycles(context: Context) -> Iterator[Hit]:
    for file, lists in context.activity_lists.items():
        for activities in lists:
            graph: Graph = {}
            for placed in activities.activities:
                if placed.name and placed.name not in graph:
                    graph[placed.name] = [(name, child(child(child(placed.path, "dependsOn"), i), "activity"))
                                          for i, name in placed.depends_on]
            for edges in cycles(graph):
                yield Hit(file, edges[0][1], f"dependsOn cycle: {_shown(edges)}; none of these activities can start")


def unknown_dependencies(context: Context) -> Iterator[Hit]:
    for file, lists in context.activity_lists.items():
        everywhere = {placed.name for activities in lists for placed in activities.activities}
        for activities in lists:
            for placed in activities.activities:
                for i, name in placed.depends_on:
                    if activities.named(name) is None:
                        where = child(child(child(placed.path, "dependsOn"), i), "activity")
                        elsewhere = (" (it is in another activity list: dependsOn only links activities of the same "
                                     "list)" if name in everywhere else "")
                        yield Hit(file, where, f"dependsOn names {name!r}, which is not an activity of this "
                                               f"list{elsewhere}")
