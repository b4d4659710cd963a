"""What every check reads: the loaded workspace, where the Spark pool definitions live, and the SQL project's
procedures (parsed once, and only when a pipeline calls a stored procedure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from deploy.validate.activities import ActivityList, activity_lists
from deploy.validate.procedures import created_procedures
from deploy.validate.workspace import Workspace
from sql_pools.project import ProjectError, Script, project_scripts

T = TypeVar("T")


@dataclass
class Context:
    workspace: Workspace
    pools: Path  # one `<pool name>.json` per Spark pool the workspace may use
    sql_scripts: list[Script] | None = None  # None: the project's own scripts (sql_pools/database)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """An analysis several rules share (SDK round trips, expression uses), computed on first use."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @cached_property
    def activity_lists(self) -> dict[str, list[ActivityList]]:
        """Each pipeline file's activity lists, outer lists first."""
        return {pipeline.file: activity_lists(pipeline) for pipeline in self.workspace.of("pipeline")}

    @cached_property
    def procedures(self) -> set[str] | ProjectError:
        """The procedures the SQL project creates, or why the project could not be read."""
        try:
            scripts = project_scripts() if self.sql_scripts is None else self.sql_scripts
            return created_procedures(scripts)
        except ProjectError as error:
            return error

    def pool_exists(self, name: str) -> bool:
        return (self.pools / f"{name}.json").is_file()
