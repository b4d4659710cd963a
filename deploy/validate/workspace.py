"""The Synapse Studio Git folder as files: one JSON file `{"name", "properties"}` per artifact, one folder per kind.

Synapse Git integration writes `<kind>/<name>.json` (managed private endpoints one level deeper, under
`managedVirtualNetwork/<vnet>/managedPrivateEndpoint/`) and `publish_config.json` at the root; nothing else
belongs there. Files that do not load become hits of the layout rules instead of exceptions, so one broken file
does not hide the findings of all the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.validate.jsonpath import ROOT
from deploy.validate.model import Hit

# Studio's folder names, which are also the kind names used throughout the validator.
KINDS = ("linkedService", "dataset", "pipeline", "trigger", "notebook", "sparkJobDefinition", "sqlscript",
         "integrationRuntime", "credential", "dataflow", "managedVirtualNetwork")
NESTED_KINDS = frozenset({"managedVirtualNetwork"})  # the only kind whose files sit in sub-folders
ROOT_FILES = frozenset({"publish_config.json"})  # Studio's own file at the root (which branch it publishes to)


@dataclass(frozen=True)
class Artifact:
    """One artifact file: its kind (folder), path relative to the workspace root, and parsed JSON object."""

    kind: str
    file: str
    data: dict[str, Any]

    @property
    def name(self) -> str | None:
        name = self.data.get("name")
        return name if isinstance(name, str) else None

    @property
    def stem(self) -> str:
        return Path(self.file).stem

    @property
    def properties(self) -> dict[str, Any]:
        return self.data["properties"]


@dataclass
class Workspace:
    """The loaded artifacts; files that do not load (`unreadable`) or do not belong (`unexpected`) as hits."""

    root: Path
    artifacts: list[Artifact] = field(default_factory=list)
    unreadable: list[Hit] = field(default_factory=list)
    unexpected: list[Hit] = field(default_factory=list)

    def of(self, kind: str) -> list[Artifact]:
        return [artifact for artifact in self.artifacts if artifact.kind == kind]

    def get(self, kind: str, name: str) -> Artifact | None:
        """The artifact of that kind and name (exact, as references are written), or None."""
        return next((a for a in self.artifacts if a.kind == kind and a.name == name), None)


def load_workspace(root: Path) -> Workspace:
    """Every artifact file under `root`, sorted by path; unreadable and unexpected files recorded as hits."""
    workspace = Workspace(root)
    if not root.is_dir():
        workspace.unreadable.append(Hit(str(root), ROOT, "the workspace folder does not exist"))
        return workspace
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue  # .gitkeep, editor and Git files
        if entry.is_dir() and entry.name in KINDS:
            _load_kind(workspace, entry)
        elif not (entry.is_file() and entry.name in ROOT_FILES):
            what = "folder" if entry.is_dir() else "file"
            workspace.unexpected.append(Hit(
                _relative(root, entry), ROOT,
                f"unexpected {what} in the Synapse Git root folder: Studio only reads {', '.join(KINDS)} "
                "and publish_config.json"))
    return workspace


def _load_kind(workspace: Workspace, folder: Path) -> None:
    pattern = "**/*" if folder.name in NESTED_KINDS else "*"
    for path in sorted(folder.glob(pattern)):
        if path.name.startswith(".") or (path.is_dir() and folder.name in NESTED_KINDS):
            continue
        file = _relative(workspace.root, path)
        if path.is_dir() or path.suffix != ".json":
            what = "folder" if path.is_dir() else "file"
            workspace.unexpected.append(Hit(file, ROOT, f"Studio reads one .json file per artifact in {folder.name}/; "
                                                        f"this {what} is ignored"))
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            workspace.unreadable.append(Hit(file, ROOT, f"not valid JSON: {error}"))
            continue
        problem = _shape_problem(data)
        if problem:
            workspace.unreadable.append(Hit(file, ROOT, problem))
            continue
        workspace.artifacts.append(Artifact(folder.name, file, data))


def _shape_problem(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "an artifact file holds one JSON object {\"name\": ..., \"properties\": {...}}"
    if not isinstance(data.get("name"), str):
        return "the artifact has no \"name\" string"
    if not isinstance(data.get("properties"), dict):
        return "the artifact has no \"properties\" object"
    return None


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
