"""Where the SDK fails to read an artifact. `Model.deserialize` only says "Unable to deserialize to object: type"
about the whole file; this walks the model's attribute map (the same one the SDK reads with) down to the first
value that fails, so the finding points at `$.properties.activities[1].typeProperties.items` instead of `$`.
Like the SDK, it stops at the first failure in a file."""

from __future__ import annotations

import copy
import re
from typing import Any

from azure.synapse.artifacts import models

from deploy.validate.jsonpath import child

_MODELS = {name: value for name, value in vars(models).items() if isinstance(value, type)}
_FLATTENED = re.compile(r"(?<!\\)\.")  # attribute keys like "typeProperties.items" (a literal dot is "\.")


def locate(model: type, data: Any, path: str) -> tuple[str, str]:
    """(path, reason) of the deepest value under `path` that `model` cannot read; `path` itself when no part of
    it fails alone."""
    if not isinstance(data, dict):
        return path, f"{model.__name__} expects a JSON object, found {type(data).__name__}"
    concrete = _concrete(model, data)
    for spec in concrete._attribute_map.values():
        value, where = _value_at(data, spec["key"], path)
        if value is None:
            continue
        found = _failing(spec["type"], value, where) or _failing_leaf(concrete, data, spec, value, where)
        if found:
            return found
    try:
        concrete.deserialize(copy.deepcopy(data))
    except Exception as error:  # msrest wraps TypeError/AttributeError/ValueError
        return path, innermost(error)
    return path, "the SDK cannot read it"


def _failing(kind: str, value: Any, where: str) -> tuple[str, str] | None:
    """The failure inside one attribute value of SDK type `kind` (`Model`, `[Model]`, `{Model}`), if any."""
    if kind.startswith("[") and kind[1:-1] in _MODELS:
        if not isinstance(value, list):
            return where, f"a list of {kind[1:-1]} is expected, found {type(value).__name__}"
        items = list(enumerate(value))
    elif kind.startswith("{") and kind[1:-1] in _MODELS:
        if not isinstance(value, dict):
            return where, f"an object of {kind[1:-1]} is expected, found {type(value).__name__}"
        items = list(value.items())
    elif kind in _MODELS and hasattr(_MODELS[kind], "_attribute_map"):
        items = [(None, value)]
    else:
        return None
    model = _MODELS[kind.strip("[]{}")]
    for key, item in items:
        item_path = where if key is None else child(where, key)
        if not _reads(model, item):
            return locate(model, item, item_path)
    return None


def _failing_leaf(model: type, data: dict[str, Any], spec: dict[str, str], value: Any,
                  where: str) -> tuple[str, str] | None:
    """A plain attribute (string, number, datetime, list of strings) that fails on its own: the model is given
    only that attribute (and its discriminator)."""
    parts = [part.replace("\\.", ".") for part in _FLATTENED.split(spec["key"])] if spec["key"] else []
    if not parts or spec["type"].strip("[]{}") in _MODELS:
        return None
    alone: dict[str, Any] = {"type": data["type"]} if "type" in data else {}
    target = alone
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = copy.deepcopy(value)
    try:
        model.deserialize(alone)
    except Exception as error:  # msrest wraps TypeError/AttributeError/ValueError
        return where, innermost(error)
    return None


def _reads(model: type, data: Any) -> bool:
    try:
        model.deserialize(copy.deepcopy(data))
    except Exception:  # msrest wraps TypeError/AttributeError/ValueError
        return False
    return isinstance(data, dict)


def _concrete(model: type, data: dict[str, Any]) -> type:
    """The subclass the SDK picks by discriminator (`type`); msrest's `_classify` pops the key, hence the copy."""
    try:
        return model._classify(copy.deepcopy(data), _MODELS)
    except Exception:
        return model


def _value_at(data: dict[str, Any], key: str, path: str) -> tuple[Any, str]:
    value: Any = data
    for part in _FLATTENED.split(key) if key else []:
        part = part.replace("\\.", ".")
        if not isinstance(value, dict) or part not in value:
            return None, path
        value, path = value[part], child(path, part)
    return (value, path) if key else (None, path)


def innermost(error: BaseException) -> str:
    """The root cause's message: msrest nests the real one under one or more DeserializationErrors."""
    while True:
        nested = [arg for arg in error.args if isinstance(arg, BaseException)]  # DeserializationError(msg, cause)
        inner = getattr(error, "inner_exception", None) or error.__cause__ or (nested[-1] if nested else None)
        if not isinstance(inner, BaseException) or inner is error:
            break
        error = inner
    return f"{type(error).__name__}: {error}"[:200]
