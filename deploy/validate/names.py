"""Names: Synapse addresses every artifact by name (`PUT /pipelines/{name}`) and Git integration stores it as
`<kind>/<name>.json`; a file whose name differs from its `name` is published under the `name` and shows up in
Studio as another artifact. The name pattern is the one the data-plane API checks (azure-synapse-artifacts:
`^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$`, 1 to 260 characters); activity names follow the pipeline rules (at most 55
characters, same forbidden characters) and must be unique in their pipeline, since `activity('x')` and dependsOn
address them by name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from deploy.validate.jsonpath import child
from deploy.validate.model import Hit

if TYPE_CHECKING:
    from deploy.validate.context import Context

ARTIFACT_NAME = re.compile(r"[A-Za-z0-9_][^<>*#.%&:\\+?/]*")
ARTIFACT_NAME_LENGTH = 260
ACTIVITY_NAME_LENGTH = 55


def name_matches_file(context: Context) -> Iterator[Hit]:
    for artifact in context.workspace.artifacts:
        if artifact.name != artifact.stem:
            yield Hit(artifact.file, "$.name", f"name {artifact.name!r} differs from the file name "
                                               f"{artifact.stem!r}: Studio keeps <name>.json; rename one of them")


def invalid_names(context: Context) -> Iterator[Hit]:
    for artifact in context.workspace.artifacts:
        problem = name_problem(artifact.name or "", ARTIFACT_NAME_LENGTH)
        if problem:
            yield Hit(artifact.file, "$.name", f"{artifact.name!r} is not a valid {artifact.kind} name: {problem}")
    for file, lists in context.activity_lists.items():
        for activities in lists:
            for placed in activities.activities:
                problem = name_problem(placed.name or "", ACTIVITY_NAME_LENGTH)
                if problem:
                    yield Hit(file, child(placed.path, "name"), f"{placed.name!r} is not a valid activity name: "
                                                                f"{problem}")


def duplicate_activity_names(context: Context) -> Iterator[Hit]:
    for file, lists in context.activity_lists.items():
        seen: dict[str, str] = {}
        for activities in lists:
            for placed in activities.activities:
                if placed.name in seen:
                    yield Hit(file, child(placed.path, "name"), f"a second activity named {placed.name!r} (the "
                                                                f"first is {seen[placed.name]})")
                elif placed.name:
                    seen[placed.name] = placed.path


def name_problem(name: str, length: int) -> str | None:
    if not name:
        return "it is empty"
    if len(name) > length:
        return f"{len(name)} characters, at most {length} allowed"
    if not ARTIFACT_NAME.fullmatch(name):
        return "it starts with a letter, digit or _ and holds none of < > * # . % & : \\ + ? /"
    if name != name.strip():
        return "it starts or ends with a space"
    return None
