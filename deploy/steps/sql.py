"""The dedicated SQL pool's migrations as a release step: the SQL project's versioned scripts not yet applied,
then the repeatable ones whose text changed (sql_pools.migrations keeps the history in the pool, so a re-run
applies nothing). Connects as the release's Entra identity to the environment's `sql_pool.endpoint/database`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from azure.core.credentials import TokenCredential

from retail.settings import Settings
from sql_pools.migrations import MigrationReport, SynapseTarget, migrate, synapse_connection
from sql_pools.project import ScriptKind, project_scripts

Connect = Callable[[str, str, TokenCredential], Any]


def run_migrations(settings: Settings, credential: TokenCredential, *, connect: Connect = synapse_connection
                   ) -> MigrationReport:
    """Apply the project to the environment's pool. `connect` is sql_pools' pyodbc connection (needs Microsoft's
    ODBC Driver 18); tests pass another DB-API connection factory."""
    if settings.sql_pool.engine != "synapse":
        raise ValueError(f"environment {settings.name}: sql_pool.engine is {settings.sql_pool.engine}; the local "
                         "warehouse is built with `retail warehouse build`")
    connection = connect(settings.sql_pool.endpoint, settings.sql_pool.database, credential)
    try:
        scripts = project_scripts(kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE))
        return migrate(SynapseTarget(connection), scripts)
    finally:
        close = getattr(connection, "close", None)
        if close is not None:
            close()
