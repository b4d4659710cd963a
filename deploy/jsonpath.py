"""The small JSONPath an override addresses values with: `$.a.b`, `$['a b']`, `$.list[2]`, wildcards `[*]` and
`.*`, and recursive descent `$..key`. Only paths that exist are selected: an override never creates a property,
so a misspelt path matches nothing and fails `validate` instead of adding a property Synapse would ignore."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Location = tuple[str | int, ...]  # keys and indexes from the document's root
_WILD = "*"


class PathError(ValueError):
    """A path that does not parse, with the position of the problem."""


@dataclass(frozen=True)
class Step:
    key: str | int  # a key, an index, or `*`
    recursive: bool = False  # `..key`: the key at any depth below


_TOKEN = re.compile(r"""\.\.(?P<rkey>[A-Za-z_$@][\w$@\-]*|\*)|\.(?P<key>[A-Za-z_$@][\w$@\-]*|\*)"""
                    r"""|\[(?P<index>\d+|\*)\]|\[(?P<q>['"])(?P<quoted>(?:\\.|(?!(?P=q)).)*)(?P=q)\]""")


def parse(path: str) -> list[Step]:
    """The steps of `path`; raises PathError naming where it stops making sense."""
    if not path.startswith("$"):
        raise PathError(f"{path!r}: a path starts with $")
    steps, position = [], 1
    while position < len(path):
        match = _TOKEN.match(path, position)
        if not match:
            raise PathError(f"{path!r}: cannot read the path from position {position} ({path[position:]!r})")
        if match["rkey"] is not None:
            steps.append(Step(match["rkey"], recursive=True))
        elif match["key"] is not None:
            steps.append(Step(match["key"]))
        elif match["index"] is not None:
            steps.append(Step(_WILD if match["index"] == _WILD else int(match["index"])))
        else:
            steps.append(Step(re.sub(r"\\(.)", r"\1", match["quoted"])))
        position = match.end()
    return steps


def select(document: Any, path: str) -> list[Location]:
    """The locations of every existing value `path` names in `document`, in document order."""
    found: list[Location] = [()]
    for step in parse(path):
        found = [child for location in found for child in _step(_at(document, location), location, step)]
    return list(dict.fromkeys(found))  # `..` can reach one value twice


def _step(value: Any, location: Location, step: Step) -> list[Location]:
    matches = _children(value, location, step.key)
    if step.recursive:
        for key, item in _items(value):
            matches.extend(_step(item, (*location, key), step))
    return matches


def _children(value: Any, location: Location, key: str | int) -> list[Location]:
    if key == _WILD:
        return [(*location, k) for k, _ in _items(value)]
    if isinstance(value, dict) and isinstance(key, str) and key in value:
        return [(*location, key)]
    if isinstance(value, list) and isinstance(key, int) and key < len(value):
        return [(*location, key)]
    return []


def _items(value: Any) -> list[tuple[str | int, Any]]:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    return []


def _at(document: Any, location: Location) -> Any:
    for key in location:
        document = document[key]
    return document


def get(document: Any, location: Location) -> Any:
    return _at(document, location)


def put(document: Any, location: Location, value: Any) -> None:
    """Replace the value at an existing location (the root cannot be replaced)."""
    if not location:
        raise PathError("an override cannot replace the whole artifact")
    _at(document, location[:-1])[location[-1]] = value


def render(location: Location) -> str:
    """A location written as a path (`$.properties.parameters['my key'].defaultValue`)."""
    text = "$"
    for key in location:
        if isinstance(key, int):
            text += f"[{key}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            text += f".{key}"
        else:
            text += "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return text
