"""The artifacts a release publishes: the Studio Git folder's files of the kinds the deployer writes.

Integration runtimes and managed private endpoints are ARM resources (azure-mgmt-synapse), not data-plane
artifacts: they are read for references but never published here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from deploy.publishers import PUBLISHERS
from deploy.validate.workspace import Artifact, load_workspace

Key = tuple[str, str]  # (kind, name): an artifact's identity in Git and in the workspace


@dataclass(frozen=True)
class SourceArtifact:
    kind: str
    name: str
    file: str  # relative to the workspace folder, for messages
    data: dict[str, Any]  # `{name, properties}` as in Git (after overrides, once applied)

    @property
    def key(self) -> Key:
        return (self.kind, self.name)

    def with_data(self, data: dict[str, Any]) -> SourceArtifact:
        return replace(self, data=data)

    def as_artifact(self) -> Artifact:
        """The validator's view of it (its reference walker reads these)."""
        return Artifact(self.kind, self.file, self.data)


class SourceError(ValueError):
    """The workspace folder cannot be read as a release (unreadable files, duplicate names)."""


def load_source(root: Path) -> list[SourceArtifact]:
    """Every publishable artifact under `root`, in file order; raises SourceError on files that do not load
    (the validator reports them in detail)."""
    workspace = load_workspace(Path(root))
    if workspace.unreadable:
        raise SourceError("; ".join(f"{hit.file}: {hit.message}" for hit in workspace.unreadable))
    artifacts, seen = [], {}
    for artifact in workspace.artifacts:
        if artifact.kind not in PUBLISHERS or artifact.name is None:
            continue
        key = (artifact.kind, artifact.name)
        if key in seen:
            raise SourceError(f"{artifact.file}: {artifact.kind} {artifact.name!r} is also defined in {seen[key]}")
        seen[key] = artifact.file
        artifacts.append(SourceArtifact(artifact.kind, artifact.name, artifact.file, artifact.data))
    return artifacts
