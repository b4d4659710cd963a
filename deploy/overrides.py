"""Environment overrides: the `[[deploy.overrides]]` of an environment file written into the Git artifacts.

An override that matches no artifact, or no value in the artifacts it names, is a problem, not a no-op: a renamed
parameter or a typo would otherwise deploy the Git (dev) value silently. So is a `{placeholder}` that names a
setting the environment leaves unset. Problems are collected, all of them, before anything talks to Azure.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from deploy import jsonpath
from deploy.source import SourceArtifact
from retail.settings import OverrideSettings, Settings

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


@dataclass(frozen=True)
class Applied:
    """Where one override wrote: the artifact and the JSON path of the value."""

    override: int  # index in deploy.overrides
    kind: str
    name: str
    path: str


def resolve(text: str, settings: Settings) -> str:
    """`text` with every `{section.key}` replaced by that setting's value; raises KeyError naming the first
    placeholder the environment leaves unset (or that names no setting)."""

    def value(match: re.Match[str]) -> str:
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        return setting(settings, match.group(1).strip())

    return _PLACEHOLDER.sub(value, text)


def setting(settings: Settings, dotted: str) -> str:
    """The value of a dotted setting (`synapse.storage_account`, `deploy.values.alert_url`) as text."""
    node: Any = settings
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
        if node is None:
            raise KeyError(dotted)
    if isinstance(node, dict | list | BaseModel):
        raise KeyError(f"{dotted} (a section, not a value)")
    return str(node)


def resolve_value(value: Any, settings: Settings) -> Any:
    """An override's value with placeholders resolved in every string inside it."""
    if isinstance(value, str):
        return resolve(value, settings)
    if isinstance(value, list):
        return [resolve_value(item, settings) for item in value]
    if isinstance(value, dict):
        return {key: resolve_value(item, settings) for key, item in value.items()}
    return value


def apply_overrides(artifacts: Iterable[SourceArtifact], settings: Settings
                    ) -> tuple[list[SourceArtifact], list[Applied], list[str]]:
    """The artifacts with the environment's overrides applied (copies; the inputs are untouched), where each
    override wrote, and the problems: overrides that match nothing, unset placeholders, unreadable paths."""
    artifacts = [artifact.with_data(copy.deepcopy(artifact.data)) for artifact in artifacts]
    applied: list[Applied] = []
    problems: list[str] = []
    for index, override in enumerate(settings.deploy.overrides):
        where = f"deploy.overrides[{index}] ({override.type} {override.name} {override.path})"
        try:
            value = resolve_value(override.value, settings)
            find = resolve(override.find, settings) if override.find is not None else None
        except KeyError as error:
            problems.append(f"{where}: value: placeholder {{{error.args[0]}}} is not set in this environment")
            continue
        try:
            jsonpath.parse(override.path)
        except jsonpath.PathError as error:
            problems.append(f"{where}: path: {error}")
            continue
        hits = _apply_one(index, override, value, find, artifacts)
        if not hits:
            problems.append(f"{where}: matches nothing: {_why_nothing(override, find, artifacts)}")
        applied.extend(hits)
    return artifacts, applied, problems


def _apply_one(index: int, override: OverrideSettings, value: Any, find: str | None,
               artifacts: list[SourceArtifact]) -> list[Applied]:
    hits = []
    for artifact in artifacts:
        if artifact.kind != override.type or not fnmatch.fnmatchcase(artifact.name, override.name):
            continue
        for location in jsonpath.select(artifact.data, override.path):
            current = jsonpath.get(artifact.data, location)
            if find is not None:
                if not isinstance(current, str) or find not in current:
                    continue
                jsonpath.put(artifact.data, location, current.replace(find, value))
            else:
                jsonpath.put(artifact.data, location, copy.deepcopy(value))
            hits.append(Applied(index, artifact.kind, artifact.name, jsonpath.render(location)))
    return hits


def _why_nothing(override: OverrideSettings, find: str | None, artifacts: list[SourceArtifact]) -> str:
    named = [a for a in artifacts if a.kind == override.type and fnmatch.fnmatchcase(a.name, override.name)]
    if not named:
        return f"no {override.type} is named {override.name!r}"
    if find is None or not any(jsonpath.select(a.data, override.path) for a in named):
        return f"no value at {override.path} in {', '.join(a.name for a in named)}"
    return f"no string at {override.path} contains {find!r}"
