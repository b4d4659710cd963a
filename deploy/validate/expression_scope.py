"""What each expression may refer to, where it is written. Synapse only resolves these at run time, so a typo in a
parameter name or an `activity('x')` that has not run yet fails the pipeline run, not the publish.

- in a pipeline: `pipeline().parameters.X` declared in the pipeline, `variables('X')` declared, `activity('X')`
  upstream of the activity (see `activities.Placed.upstream`; an Until's own condition may also read the
  activities inside it), `item()` only inside a ForEach;
- in a dataset: `dataset().X` declared in the dataset; in a linked service: `linkedService().X` declared;
- in a trigger: `trigger()` only in the parameters it passes to its pipelines.
Declared defaults (`parameters`, `variables`) and descriptions are not expressions and are not read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from deploy.validate.activities import CONTAINERS, Placed, nested_in
from deploy.validate.expressions import ExpressionError, Use, expressions_in, is_expression, parse, uses
from deploy.validate.jsonpath import child, strings
from deploy.validate.model import Hit
from deploy.validate.workspace import Artifact

if TYPE_CHECKING:
    from deploy.validate.context import Context

# Which uses each kind of place allows; anything else is "not available here".
ALLOWED = {
    "pipeline": {"pipeline-parameter", "pipeline", "variable", "activity", "item"},
    "dataset": {"dataset-parameter", "dataset"},
    "linkedService": {"linkedService-parameter", "linkedService"},
    "trigger pipeline parameters": {"trigger"},
    "trigger": set(),
}
SHOWN = {"pipeline-parameter": "pipeline()", "pipeline": "pipeline()", "variable": "variables()",
         "activity": "activity()", "item": "item()", "dataset-parameter": "dataset()", "dataset": "dataset()",
         "linkedService-parameter": "linkedService()", "linkedService": "linkedService()", "trigger": "trigger()"}
_NOT_EXPRESSIONS = frozenset({"description", "annotations", "folder", "parameters", "variables"})
_ACTIVITY_SKIP = frozenset({"description", "dependsOn", "name", "type"})
_INNER_LISTS = frozenset({"activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities"})  # walked apart
_SET_VARIABLE = ("SetVariable", "AppendVariable")


@dataclass(frozen=True)
class Scope:
    """What is declared around a place: the kind of place, the artifact's parameters and variables, and for an
    activity the activities it may read and whether it runs inside a ForEach."""

    where: str
    parameters: frozenset[str]
    variables: frozenset[str] = frozenset()
    activity: Placed | None = None
    readable: frozenset[str] = frozenset()
    in_foreach: bool = False


@dataclass(frozen=True)
class Found:
    """One use (or a parse error) in the string at `path` of `file`."""

    file: str
    path: str
    text: str
    scope: Scope
    use: Use | ExpressionError


def places(context: Context) -> Iterator[tuple[Artifact, str, str, Scope]]:
    """(artifact, path, string, scope) for every string that may hold an expression."""
    for artifact in context.workspace.artifacts:
        properties = artifact.properties
        declared = _declared(properties.get("parameters"))
        if artifact.kind in ("dataset", "linkedService"):
            yield from _top_level(artifact, Scope(artifact.kind, declared))
        elif artifact.kind == "trigger":
            yield from _top_level(artifact, Scope("trigger", frozenset()), skip={"pipelines"})
            pipelines = properties.get("pipelines")
            for index, entry in enumerate(pipelines if isinstance(pipelines, list) else []):
                if isinstance(entry, dict):
                    where = child(child(child("$.properties", "pipelines"), index), "parameters")
                    for path, text in strings(entry.get("parameters"), where):
                        yield artifact, path, text, Scope("trigger pipeline parameters", frozenset())
        elif artifact.kind == "pipeline":
            variables = _declared(properties.get("variables"))
            lists = context.activity_lists[artifact.file]
            for activities in lists:
                for placed in activities.activities:
                    scope = Scope("pipeline", declared, variables, placed, frozenset(placed.upstream()),
                                  placed.in_foreach)
                    condition = child(child(placed.path, "typeProperties"), "expression")
                    for path, text in _activity_strings(placed):
                        if placed.type == "Until" and path.startswith(condition):
                            # an Until's condition is evaluated after each pass: it may read its inner activities
                            inner = scope.readable | nested_in(placed, lists)
                            yield artifact, path, text, Scope("pipeline", declared, variables, placed,
                                                              frozenset(inner), placed.in_foreach)
                        else:
                            yield artifact, path, text, scope


def _activity_strings(placed: Placed) -> Iterator[tuple[str, str]]:
    """The strings of one activity, without its name, type, description and dependsOn, and without the activity
    lists nested in a container (their activities are places of their own)."""
    for key, value in placed.data.items():
        if key in _ACTIVITY_SKIP:
            continue
        if key != "typeProperties" or placed.type not in CONTAINERS or not isinstance(value, dict):
            yield from strings(value, child(placed.path, key))
            continue
        base = child(placed.path, key)
        for inner_key, inner in value.items():
            if inner_key in _INNER_LISTS:
                continue
            if inner_key == "cases" and isinstance(inner, list):  # Switch: each case's value, not its activities
                for index, case in enumerate(inner):
                    if isinstance(case, dict):
                        for case_key, case_value in case.items():
                            if case_key != "activities":
                                where = child(child(child(base, inner_key), index), case_key)
                                yield from strings(case_value, where)
                continue
            yield from strings(inner, child(base, inner_key))


def _top_level(artifact: Artifact, scope: Scope, skip: set[str] | None = None) -> Iterator[
        tuple[Artifact, str, str, Scope]]:
    for key, value in artifact.properties.items():
        if key not in _NOT_EXPRESSIONS and key not in (skip or set()):
            for path, text in strings(value, child("$.properties", key)):
                yield artifact, path, text, scope


def _declared(block: Any) -> frozenset[str]:
    return frozenset(block) if isinstance(block, dict) else frozenset()


def found(context: Context) -> list[Found]:
    """Every use of every expression in the workspace (shared by the expression rules)."""
    def compute() -> list[Found]:
        result = []
        for artifact, path, text, scope in places(context):
            try:
                for expression in expressions_in(text):
                    result.extend(Found(artifact.file, path, text, scope, use) for use in uses(parse(expression)))
            except ExpressionError as error:
                result.append(Found(artifact.file, path, text, scope, error))
        return result
    return context.memo("expression uses", compute)


def _uses(context: Context, *kinds: str) -> Iterator[tuple[Found, Use]]:
    """The uses of these kinds, where their kind of place allows them."""
    for item in found(context):
        if isinstance(item.use, Use) and item.use.kind in kinds and item.use.kind in ALLOWED[item.scope.where]:
            yield item, item.use


def unparsable(context: Context) -> Iterator[Hit]:
    for item in found(context):
        if isinstance(item.use, ExpressionError):
            yield Hit(item.file, item.path, f"expression does not parse: {item.use} in {_short(item.text)}")


def undeclared_parameters(context: Context) -> Iterator[Hit]:
    written = {"pipeline-parameter": ("pipeline().parameters.", "pipeline"), "dataset-parameter": ("dataset().",
               "dataset"), "linkedService-parameter": ("linkedService().", "linked service")}
    for item, use in _uses(context, *written):
        if use.name not in item.scope.parameters:
            prefix, owner = written[use.kind]
            yield Hit(item.file, item.path, f"{prefix}{use.name}: no such parameter in this {owner} (declared: "
                                            f"{', '.join(sorted(item.scope.parameters)) or 'none'})")


def undeclared_variables(context: Context) -> Iterator[Hit]:
    for item, use in _uses(context, "variable"):
        if use.name is not None and use.name not in item.scope.variables:
            yield Hit(item.file, item.path, f"variables({use.name!r}): no such variable in this pipeline "
                                            f"(declared: {', '.join(sorted(item.scope.variables)) or 'none'})")
    for pipeline in context.workspace.of("pipeline"):
        declared = _declared(pipeline.properties.get("variables"))
        for activities in context.activity_lists[pipeline.file]:
            for placed in activities.activities:
                name = placed.type_properties.get("variableName")
                if placed.type in _SET_VARIABLE and isinstance(name, str) and not is_expression(name) \
                        and name not in declared:
                    yield Hit(pipeline.file, child(child(placed.path, "typeProperties"), "variableName"),
                              f"{placed.type} sets {name!r}, which is not a declared variable of this pipeline")


def activity_not_upstream(context: Context) -> Iterator[Hit]:
    for item, use in _uses(context, "activity"):
        if use.name is None or use.name in item.scope.readable:
            continue
        activity = item.scope.activity
        yield Hit(item.file, item.path, f"activity({use.name!r}) {_why_not(context, item.file, activity, use.name)}")


def _why_not(context: Context, file: str, activity: Placed | None, name: str) -> str:
    referrer = activity.name if activity else None
    target = next((placed for lists in context.activity_lists[file] for placed in lists.activities
                   if placed.name == name), None)
    if target is None:
        return "names no activity of this pipeline"
    if target is activity:
        return "is the activity itself: it has no output while it runs"
    if referrer and (referrer in target.upstream() or any(c.name in target.upstream()
                                                          for c in (activity.containers if activity else []))):
        return f"runs after {referrer!r} (it depends on it), so its output does not exist yet"
    return (f"is not upstream of {referrer!r}: only activities it depends on, directly or through other "
            "activities or its container, have run; add a dependsOn path")


def item_outside_foreach(context: Context) -> Iterator[Hit]:
    for item, _ in _uses(context, "item"):
        if not item.scope.in_foreach:
            yield Hit(item.file, item.path, "item() is only defined inside a ForEach's activities (a ForEach's own "
                                            "items expression is evaluated outside the loop)")


def not_available_here(context: Context) -> Iterator[Hit]:
    for item in found(context):
        if isinstance(item.use, Use) and item.use.kind not in ALLOWED[item.scope.where]:
            allowed = sorted({SHOWN[kind] for kind in ALLOWED[item.scope.where]})
            yield Hit(item.file, item.path, f"{SHOWN[item.use.kind]} is not available in a {item.scope.where} "
                                            f"expression (available: {', '.join(allowed) or 'none of these'})")


def _short(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")
