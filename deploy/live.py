"""The live workspace, read once per plan: every artifact of every published type, as the service's JSON.

All types are listed (one paged request each, in parallel), not only those in Git: an artifact that exists only
in the workspace is an orphan the plan must show, and a trigger's `runtimeState` is what decides which triggers
an apply stops and starts again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from deploy.endpoint import Endpoint
from deploy.publishers import KINDS, PUBLISHERS

Key = tuple[str, str]
STARTED = "Started"


@dataclass
class LiveWorkspace:
    artifacts: dict[Key, dict[str, Any]] = field(default_factory=dict)

    def runtime_state(self, trigger: str) -> str | None:
        data = self.artifacts.get(("trigger", trigger))
        return None if data is None else (data.get("properties") or {}).get("runtimeState")

    def started(self, trigger: str) -> bool:
        return self.runtime_state(trigger) == STARTED


def read_live(endpoint: Endpoint, parallel: int = len(KINDS)) -> LiveWorkspace:
    """Every live artifact of the published types."""
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(KINDS))), thread_name_prefix="list") as pool:
        pages = dict(zip(KINDS, pool.map(lambda kind: endpoint.list(PUBLISHERS[kind]), KINDS), strict=True))
    live = LiveWorkspace()
    for kind, items in pages.items():
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                live.artifacts[(kind, item["name"])] = item
    return live
