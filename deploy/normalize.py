"""One canonical form for an artifact's JSON, so Git and the live workspace compare equal when Synapse would
behave the same: only `name` and `properties` (the service adds `id`, `etag`, `type`), no server-set fields
(a pipeline's `lastPublishTime`, a trigger's `runtimeState`), nulls and empty lists/objects dropped (the service
and the SDK add `annotations: []` and friends), datetimes with a zone compared as instants (the SDK sends
`05:00:00Z` as `05:00:00.000Z`), SecureString values masked (the service never returns them), keys sorted. The
hash of this form identifies what a release publishes.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from deploy.constants import SERVER_SET_PROPERTIES, SERVER_SET_TOP

MASK = "**********"  # how the service returns a SecureString's value
_ISO_WITH_ZONE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def normalize(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of one artifact (Git file or live resource)."""
    top = {key: value for key, value in data.items() if key not in SERVER_SET_TOP}
    properties = top.get("properties")
    if isinstance(properties, dict):
        drop = SERVER_SET_PROPERTIES.get(kind, frozenset())
        top["properties"] = {key: value for key, value in properties.items() if key not in drop}
    return _clean(top) or {}


def _clean(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") == "SecureString" and "value" in value:
        value = {**value, "value": MASK}  # the service never returns a secure string; Git should not hold one
    if isinstance(value, dict):
        cleaned = {key: _clean(item) for key, item in sorted(value.items())}
        return {key: item for key, item in cleaned.items() if not _empty(item)}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, str) and _ISO_WITH_ZONE.match(value):
        return _instant(value)
    return value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, dict | list) and not value)


def _instant(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def canonical(document: Any) -> str:
    """Compact, sorted JSON text: what is hashed and compared."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(document: Any) -> str:
    """sha256 of the canonical text, shortened to 16 hex digits for tables (still collision-safe here)."""
    return hashlib.sha256(canonical(document).encode("utf-8")).hexdigest()[:16]


def diff(live: Any, source: Any, name: str) -> str:
    """A unified diff from the live artifact to what the release would publish (both normalized)."""
    before = json.dumps(live, indent=2, sort_keys=True, ensure_ascii=False).splitlines() if live else []
    after = json.dumps(source, indent=2, sort_keys=True, ensure_ascii=False).splitlines() if source else []
    return "\n".join(difflib.unified_diff(before, after, f"live/{name}", f"release/{name}", lineterm=""))
