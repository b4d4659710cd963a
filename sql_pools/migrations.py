"""Applying the database project to a warehouse: versioned scripts once each, repeatable scripts when changed.

Every application is recorded in `dbo.schema_migrations` with the script's checksum, so re-running changes
nothing, and a versioned script edited after it was applied is refused (write a new version instead). Two
targets share this logic: the dedicated pool (each batch sent as written, over pyodbc with an Entra token) and
the local DuckDB warehouse (each statement through the Synapse dialect's DuckDB transpiler, pool-only
statements skipped and counted).
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import duckdb

from sql_pools.dialect import Synapse, pool_only, to_duckdb
from sql_pools.project import Script, ScriptKind

HISTORY = "dbo.schema_migrations"


class MigrationError(RuntimeError):
    """The project and the warehouse's history disagree (an edited or removed versioned script, or one older
    than the newest applied), or a batch failed."""


@dataclass(frozen=True)
class Applied:
    script: str
    kind: ScriptKind
    version: int | None
    checksum: str


@dataclass
class MigrationReport:
    applied: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    statements: int = 0
    skipped_pool_only: int = 0
    seconds: float = 0.0


class Target(Protocol):
    """A warehouse the runner can apply scripts to."""

    def history(self) -> list[Applied]: ...

    def apply(self, script: Script, report: MigrationReport) -> None:
        """Run every batch of the script and record it in the history, as one unit where the engine allows."""


def plan(scripts: list[Script], history: list[Applied]) -> list[Script]:
    """The scripts to apply, in order: new versioned scripts, then repeatable scripts whose text changed.
    Raises MigrationError when the applied history cannot be reconciled with the project."""
    versioned = {s.name: s for s in scripts if s.kind is ScriptKind.VERSIONED}
    done = {a.script: a for a in history if a.kind is ScriptKind.VERSIONED}
    for name, applied in done.items():
        script = versioned.get(name)
        if script is None:
            raise MigrationError(f"V{applied.version:03d}__{name}.sql was applied but is no longer in the project")
        if script.checksum != applied.checksum:
            raise MigrationError(f"{script.path.name} was edited after it was applied (checksum {script.checksum[:12]}"
                                 f" != applied {applied.checksum[:12]}): put the change in a new versioned script")
    newest = max((a.version for a in done.values()), default=0)
    pending = [s for s in versioned.values() if s.name not in done]
    too_old = [s.path.name for s in pending if s.version < newest]
    if too_old:
        raise MigrationError(f"{', '.join(too_old)} sorts before V{newest:03d}, which is already applied: renumber it")
    latest = {a.script: a.checksum for a in history if a.kind is ScriptKind.REPEATABLE}  # history is in order
    changed = [s for s in scripts if s.kind is ScriptKind.REPEATABLE and latest.get(s.name) != s.checksum]
    return sorted(pending, key=lambda s: s.version) + changed


def migrate(target: Target, scripts: list[Script]) -> MigrationReport:
    """Bring the target up to the project. Safe to re-run: a second run applies nothing."""
    started = time.perf_counter()
    report = MigrationReport()
    todo = plan(scripts, target.history())
    for script in todo:
        target.apply(script, report)
        report.applied.append(script.path.name)
    report.unchanged = [s.path.name for s in scripts if s not in todo and s.kind is not ScriptKind.DBA]
    report.seconds = time.perf_counter() - started
    return report


class DuckDBTarget:
    """The local warehouse. DuckDB has transactional DDL, so a script applies whole or not at all."""

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection
        connection.execute("CREATE SCHEMA IF NOT EXISTS dbo")  # the pool's default schema; DuckDB's is main
        connection.execute(f"CREATE TABLE IF NOT EXISTS {HISTORY} (script VARCHAR NOT NULL, kind VARCHAR NOT NULL, "
                           "version INTEGER, checksum VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL, "
                           "statements INTEGER NOT NULL, skipped_pool_only INTEGER NOT NULL)")

    def history(self) -> list[Applied]:
        rows = self.connection.execute(f"SELECT script, kind, version, checksum FROM {HISTORY} "
                                       "ORDER BY applied_at, rowid").fetchall()
        return [Applied(name, ScriptKind(kind), version, checksum) for name, kind, version, checksum in rows]

    def apply(self, script: Script, report: MigrationReport) -> None:
        run = skipped = 0
        self.connection.execute("BEGIN TRANSACTION")
        try:
            for batch in script.batches:
                for statement in batch.statements:
                    if pool_only(statement):
                        skipped += 1
                        continue
                    for sql in to_duckdb(statement.sql(Synapse)):
                        self.connection.execute(sql)
                        run += 1
            self.connection.execute(f"INSERT INTO {HISTORY} VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    [script.name, script.kind.value, script.version, script.checksum,
                                     datetime.now(UTC).replace(tzinfo=None), run, skipped])
            self.connection.execute("COMMIT")
        except duckdb.Error as error:
            self.connection.execute("ROLLBACK")
            raise MigrationError(f"{script.path.name}: {error}") from error
        report.statements += run
        report.skipped_pool_only += skipped


# pyodbc's pre-connect attribute for an Entra access token (msodbcsql's SQL_COPT_SS_ACCESS_TOKEN)
_ACCESS_TOKEN_ATTRIBUTE = 1256
_TOKEN_SCOPE = "https://database.windows.net/.default"


def synapse_connection(endpoint: str, database: str, credential: Any) -> Any:
    """A pyodbc connection to the dedicated pool as the caller's Entra identity (managed identity in a
    release pipeline): no password anywhere. Needs Microsoft's ODBC Driver 18 for SQL Server on the machine."""
    import pyodbc  # imported here: the local warehouse does not need an ODBC driver manager

    token = credential.get_token(_TOKEN_SCOPE).token.encode("utf-16-le")
    connection_string = (f"Driver={{ODBC Driver 18 for SQL Server}};Server=tcp:{endpoint},1433;"
                         f"Database={database};Encrypt=yes;TrustServerCertificate=no;Connection Timeout=60")
    return pyodbc.connect(connection_string, attrs_before={
        _ACCESS_TOKEN_ATTRIBUTE: struct.pack(f"<I{len(token)}s", len(token), token)}, autocommit=True)


class SynapseTarget:
    """The dedicated pool. Each batch goes as written (the text a DBA reviewed), one at a time, since a pool
    wants CREATE VIEW / PROCEDURE / FUNCTION alone in a batch. DDL in a pool is not transactional: a failed
    script is not recorded, and its repeatable or idempotent batches make the re-run safe."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.connection.execute(
            f"IF OBJECT_ID(N'{HISTORY}') IS NULL CREATE TABLE {HISTORY} (script NVARCHAR(200) NOT NULL, "
            "kind NVARCHAR(16) NOT NULL, version INT NULL, checksum CHAR(64) NOT NULL, "
            "applied_at DATETIME2(3) NOT NULL, statements INT NOT NULL, skipped_pool_only INT NOT NULL) "
            "WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)")

    def history(self) -> list[Applied]:
        rows = self.connection.execute(f"SELECT script, kind, version, checksum FROM {HISTORY} "
                                       "ORDER BY applied_at").fetchall()
        return [Applied(name, ScriptKind(kind), version, checksum.strip()) for name, kind, version, checksum in rows]

    def apply(self, script: Script, report: MigrationReport) -> None:
        for batch in script.batches:
            try:
                self.connection.execute(batch.text)
            except Exception as error:  # pyodbc.Error, imported lazily
                raise MigrationError(f"{script.path.name} (batch at line {batch.line}): {error}") from error
        statements = len(script.statements)
        self.connection.execute(f"INSERT INTO {HISTORY} VALUES (?, ?, ?, ?, SYSUTCDATETIME(), ?, 0)",
                                script.name, script.kind.value, script.version, script.checksum, statements)
        report.statements += statements
