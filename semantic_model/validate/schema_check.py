"""Checks a JSON document against the stored schemas in `semantic_model/schemas/` (restatements of the published
Fabric schemas, each naming its source in `$id`).

The `jsonschema` package is used when it is installed; otherwise a small validator covers the JSON Schema keywords
the stored schemas use: type, required, properties, additionalProperties (true/false), items, enum, const,
pattern, maxLength, oneOf and anyOf.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "null": lambda v: v is None,
}


@cache
def stored_schemas() -> dict[str, dict]:
    """Every stored schema by the URL it restates (its `$id`)."""
    found = {}
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        found[schema["$id"]] = schema
    return found


def errors(document: Any, schema: dict) -> list[str]:
    """Where and why the document breaks the schema, as `$.path: message` strings (empty when valid)."""
    try:
        import jsonschema
    except ImportError:
        return _validate(document, schema, "$")
    validator = jsonschema.Draft7Validator(schema)
    return sorted(f"{_path(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document))


def _path(parts: Any) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _validate(value: Any, schema: dict, at: str) -> list[str]:
    found: list[str] = []
    types = schema.get("type")
    if types is not None:
        allowed = [types] if isinstance(types, str) else types
        if not any(_TYPES[t](value) for t in allowed):
            return [f"{at}: expected {' or '.join(allowed)}, found {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        found.append(f"{at}: must be {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{at}: must be one of {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            found.append(f"{at}: longer than {schema['maxLength']} characters")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [f"{at}: missing required property {name!r}" for name in schema.get("required", [])
                  if name not in value]
        for name, item in value.items():
            if name in properties:
                found += _validate(item, properties[name], f"{at}.{name}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{at}: property {name!r} is not allowed")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += _validate(item, schema["items"], f"{at}[{index}]")
    if "oneOf" in schema:
        matching = sum(not _validate(value, option, at) for option in schema["oneOf"])
        if matching != 1:
            found.append(f"{at}: must match exactly one of {len(schema['oneOf'])} alternatives ({matching} match)")
    if "anyOf" in schema and not any(not _validate(value, option, at) for option in schema["anyOf"]):
        found.append(f"{at}: matches none of the alternatives")
    return found
