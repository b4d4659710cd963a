"""Which stored procedures the dedicated SQL pool will have: every `CREATE PROCEDURE schema.name` of the SQL
database project (sql_pools/database), read through its parser, so a pipeline cannot call one that no script
creates."""

from __future__ import annotations

import re

from sqlglot import exp

from sql_pools.project import Script

_QUOTES = re.compile(r'[\[\]"`]')


def created_procedures(scripts: list[Script]) -> set[str]:
    """`schema.name` (lower case, `dbo` when no schema is written) of every procedure the scripts create."""
    names = set()
    for script in scripts:
        for statement in script.statements:
            if isinstance(statement, exp.Create) and statement.kind == "PROCEDURE":
                table = statement.this.find(exp.Table)
                if table is not None:
                    names.add(f"{table.db or 'dbo'}.{table.name}".lower())
    return names


def procedure_key(written: str) -> str:
    """The `schema.name` key of a procedure name as an activity writes it: `[etl].[usp_x]`, `etl.usp_x`, `usp_x`
    (schema dbo) or `db.etl.usp_x` (the database part dropped). T-SQL names compare case-insensitively."""
    parts = [part.strip() for part in _QUOTES.sub("", written).split(".")]
    if len(parts) == 1:
        parts = ["dbo", *parts]
    return ".".join(parts[-2:]).lower()
