"""How "every dev-specific value must be overridden" is enforced.

The Git files hold the dev environment's values (Studio's collaboration branch is the dev workspace). The
deployer knows what identifies dev, from dev's own settings: its environment name (`dev`), workspace, storage
account, resource group, subscription, Key Vault, SQL endpoint and pool, Spark pool, Event Hubs namespace,
Power BI workspace, its `deploy.values`, plus the extra `deploy.markers` dev's file lists. A value counts only
where the target environment's own setting differs (test may share dev's subscription; every environment names
its pool `sqlpool_retail`). After the target's overrides, any string in any artifact that still contains one of
these as a whole token (not inside a longer word: `dev` matches `retail-dev` and `"dev"`, not `device`) fails
`validate` for that target, with the file, the JSON path and the setting it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from deploy.overrides import setting
from deploy.source import SourceArtifact
from deploy.validate.jsonpath import strings
from retail.settings import Settings

IDENTITY_SETTINGS = ("environment.name", "synapse.workspace", "synapse.storage_account", "synapse.resource_group",
                     "synapse.subscription_id", "key_vault", "sql_pool.endpoint", "sql_pool.database", "spark.pool",
                     "powerbi.workspace", "powerbi.workspace_id")


@dataclass(frozen=True)
class Marker:
    text: str
    origin: str  # the source environment's setting it comes from

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(self.text)}(?![A-Za-z0-9])")


def _values(settings: Settings) -> dict[str, str]:
    found = {}
    for key in IDENTITY_SETTINGS:
        try:
            found[key] = setting(settings, key)
        except KeyError:
            continue
    namespace = settings.streaming.bootstrap_servers.split(".", 1)[0]
    if settings.streaming.bootstrap_servers.endswith(".servicebus.windows.net:9093"):
        found["streaming.bootstrap_servers (Event Hubs namespace)"] = namespace
    found.update({f"deploy.values.{key}": value for key, value in settings.deploy.values.items()})
    return found


def source_markers(source: Settings, target: Settings) -> list[Marker]:
    """What identifies `source` and is not also `target`'s value (nothing when they are one environment)."""
    if source.name == target.name:
        return []
    theirs = _values(target)
    markers = [Marker(value, f"{source.name} {key}") for key, value in _values(source).items()
               if value and theirs.get(key) != value]
    markers += [Marker(text, f"{source.name} deploy.markers") for text in source.deploy.markers]
    unique = {marker.text: marker for marker in markers}  # one marker per text, first origin kept
    return sorted(unique.values(), key=lambda marker: (-len(marker.text), marker.text))


def leftovers(artifacts: Iterable[SourceArtifact], markers: list[Marker], target: str) -> list[str]:
    """One problem per string that still holds a source-environment value after the target's overrides."""
    if not markers:
        return []
    compiled = [(marker, marker.pattern) for marker in markers]
    problems = []
    for artifact in artifacts:
        for path, text in strings(artifact.data):
            for marker, pattern in compiled:
                if pattern.search(text):
                    problems.append(f"{artifact.file}: {path}: still holds {marker.text!r} ({marker.origin}); "
                                    f"add an override to [deploy] of the {target} environment")
                    break  # the longest marker names the problem; one line per value
    return problems
