"""A release for one environment, checked before any call to Azure: the Git artifacts with the environment's
overrides applied, and every reason not to deploy them (a setting the deployer needs left unset, an override
that matches nothing or names an unset setting, a dev value left in an artifact bound for test or prod)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deploy.constants import SOURCE_ENVIRONMENT
from deploy.markers import leftovers, source_markers
from deploy.overrides import Applied, apply_overrides
from deploy.source import SourceArtifact, SourceError, load_source
from retail.settings import Settings, SettingsError, load_settings


@dataclass
class Release:
    settings: Settings
    artifacts: list[SourceArtifact] = field(default_factory=list)  # overrides applied
    applied: list[Applied] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def prepare(settings: Settings, root: Path, source_settings: Settings | None = None) -> Release:
    """The release of the workspace folder `root` to the environment of `settings`, with its problems.
    `source_settings` is the environment whose values Git holds (dev's settings unless given)."""
    release = Release(settings)
    if settings.is_local or settings.synapse is None:
        release.problems.append(f"environment {settings.name}: synapse: not set; only Synapse environments "
                                "(dev, test, prod) are deployed")
        return release
    try:
        source = load_source(root)
    except SourceError as error:
        release.problems.append(f"workspace {root}: {error}")
        return release
    release.artifacts, release.applied, problems = apply_overrides(source, settings)
    release.problems.extend(problems)
    if source_settings is None and settings.name != SOURCE_ENVIRONMENT:
        try:
            source_settings = load_settings(SOURCE_ENVIRONMENT)
        except SettingsError as error:
            release.problems.append(f"cannot read the {SOURCE_ENVIRONMENT} settings the Git values come from, so "
                                    f"leftover {SOURCE_ENVIRONMENT} values cannot be found: {error}")
            return release
    if source_settings is not None:
        markers = source_markers(source_settings, settings)
        release.problems.extend(leftovers(release.artifacts, markers, settings.name))
    return release
