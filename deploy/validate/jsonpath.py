"""JSON paths into an artifact file (`$.properties.activities[2].name`), so every finding points at one value an
author can find in Studio's JSON view or in the file."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

ROOT = "$"
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def child(path: str, key: str | int) -> str:
    """The path of `key` under `path`: `.key` for identifiers, `['my key']` for anything else, `[i]` for indexes."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}['{key.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}']"


def strings(value: Any, path: str = ROOT, skip: frozenset[str] = frozenset()) -> Iterator[tuple[str, str]]:
    """Every string inside `value` with its path, depth first in file order; keys in `skip` are not entered."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in skip:
                yield from strings(item, child(path, key), skip)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, child(path, index), skip)


def objects(value: Any, path: str = ROOT) -> Iterator[tuple[str, dict]]:
    """Every JSON object inside `value` (itself included) with its path, depth first in file order."""
    if isinstance(value, dict):
        yield path, value
        for key, item in value.items():
            yield from objects(item, child(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from objects(item, child(path, index))
