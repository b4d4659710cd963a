"""The database project on disk: which scripts exist, in what order they apply, and their parsed statements.

    sql_pools/database/migrations/V<nnn>__<what>.sql   versioned: applied once, in version order, never edited
    sql_pools/database/repeatable/R__<nn>_<what>.sql  repeatable: re-applied whenever their text changes
    sql_pools/database/dba/<what>.sql                 DMV tuning scripts a DBA runs by hand (never migrated)

A script is made of batches separated by lines holding only `GO`, the convention of SSMS and sqlcmd: Synapse
wants `CREATE VIEW`, `CREATE PROCEDURE` and `CREATE FUNCTION` alone in their batch, and the migration runner
sends one batch at a time.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path

import sqlglot
from sqlglot import exp

from sql_pools.dialect import Synapse

DATABASE = Path(__file__).resolve().parent / "database"
_GO = re.compile(r"^\s*GO\s*$", re.IGNORECASE | re.MULTILINE)
_VERSIONED = re.compile(r"^V(?P<version>\d{3})__(?P<name>[a-z0-9_]+)\.sql$")
_REPEATABLE = re.compile(r"^R__(?P<name>[a-z0-9_]+)\.sql$")


class ScriptKind(StrEnum):
    VERSIONED = "versioned"
    REPEATABLE = "repeatable"
    DBA = "dba"


class ProjectError(ValueError):
    """A script is misnamed or does not parse as Synapse T-SQL."""


@dataclass(frozen=True)
class Batch:
    """One batch of a script: its text as written and where it starts (1-based line), for findings."""

    script: Path
    line: int
    text: str

    @cached_property
    def statements(self) -> list[exp.Expression]:
        try:
            return [s for s in sqlglot.parse(self.text, read=Synapse) if s is not None]
        except sqlglot.errors.ParseError as error:
            raise ProjectError(f"{self.script.name} (batch at line {self.line}) does not parse: {error}") from error


@dataclass(frozen=True)
class Script:
    path: Path
    kind: ScriptKind
    name: str
    version: int | None = None
    batches: list[Batch] = field(default_factory=list, compare=False, repr=False)

    @property
    def checksum(self) -> str:
        """SHA-256 of the text with line endings normalised, so a checkout on Windows does not look edited."""
        return hashlib.sha256(self.path.read_text(encoding="utf-8").replace("\r\n", "\n").encode()).hexdigest()

    @property
    def statements(self) -> list[exp.Expression]:
        return [statement for batch in self.batches for statement in batch.statements]


def split_batches(path: Path, text: str) -> list[Batch]:
    """The script's batches (split on `GO` lines), each with the line it starts on; comment-only batches dropped."""
    batches, start = [], 0
    for match in [*_GO.finditer(text), None]:
        chunk = text[start:match.start() if match else len(text)]
        if not all(_is_comment(row) for row in chunk.splitlines()):
            first = start + len(chunk) - len(chunk.lstrip())
            batches.append(Batch(path, text.count("\n", 0, first) + 1, chunk.strip()))
        if match:
            start = match.end()
    return batches


def _is_comment(row: str) -> bool:
    return not row.strip() or row.lstrip().startswith("--")


def load_script(path: Path, kind: ScriptKind) -> Script:
    if kind is ScriptKind.VERSIONED:
        match = _VERSIONED.match(path.name)
        if not match:
            raise ProjectError(f"{path.name}: a versioned migration is named V<nnn>__<what>.sql (lower case)")
        name, version = match["name"], int(match["version"])
    elif kind is ScriptKind.REPEATABLE:
        match = _REPEATABLE.match(path.name)
        if not match:
            raise ProjectError(f"{path.name}: a repeatable script is named R__<nn>_<what>.sql (lower case)")
        name, version = match["name"], None
    else:
        name, version = path.stem, None
    return Script(path, kind, name, version, split_batches(path, path.read_text(encoding="utf-8")))


def project_scripts(root: Path = DATABASE, kinds: tuple[ScriptKind, ...] = tuple(ScriptKind)) -> list[Script]:
    """Every script of the project, versioned by version, then repeatable by name, then DBA scripts."""
    scripts = []
    for kind in kinds:
        folder = root / {"versioned": "migrations", "repeatable": "repeatable", "dba": "dba"}[kind]
        found = [load_script(path, kind) for path in sorted(folder.glob("*.sql"))]
        versions = [s.version for s in found if s.version is not None]
        if len(versions) != len(set(versions)):
            raise ProjectError(f"two versioned migrations share a version in {folder}")
        scripts.extend(found)
    return scripts


def created_tables(scripts: list[Script]) -> dict[str, exp.Create]:
    """Each `CREATE TABLE` of the project by its `schema.table` name (lower case)."""
    return {_qualified(s.this): s for script in scripts for s in script.statements
            if isinstance(s, exp.Create) and s.kind == "TABLE"}


def _qualified(schema: exp.Expression) -> str:
    table = schema.find(exp.Table) if not isinstance(schema, exp.Table) else schema
    return f"{table.db or 'dbo'}.{table.name}".lower()
