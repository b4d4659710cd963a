"""The Synapse dedicated SQL pool dialect: sqlglot's T-SQL dialect plus what only the pool has.

sqlglot's T-SQL parser does not know a dedicated pool's `CREATE TABLE ... WITH (...)` options, and it keeps the
pool's own statements as opaque commands. This subclass (registered as `synapse`) parses both into typed nodes
(`expressions.py`), so a linter reads a table's distribution or a security policy's predicates from the tree,
and generating T-SQL gives the same text back:

    DISTRIBUTION = HASH(col [, col ...]) | ROUND_ROBIN | REPLICATE      -> DistributionProperty
    HEAP                                                              -> exp.HeapProperty
    CLUSTERED COLUMNSTORE INDEX [ORDER (col, ...)]                     -> ColumnstoreIndexProperty
    CLUSTERED INDEX (col [ASC|DESC], ...)                              -> ClusteredIndexProperty
    PARTITION (col RANGE [LEFT|RIGHT] FOR VALUES (v, ...))             -> PartitionRangeProperty
    CREATE TABLE ... WITH (...) AS SELECT (CTAS, not rewritten to SELECT INTO)
    RENAME OBJECT, UPDATE STATISTICS, ALTER TABLE ... SWITCH | SPLIT RANGE | MERGE RANGE,
    CREATE WORKLOAD GROUP | CLASSIFIER, CREATE SECURITY POLICY, GRANT | DENY | REVOKE ... ON SCHEMA:: | OBJECT::,
    CREATE ROLE, ALTER ROLE ... ADD | DROP MEMBER, ALTER TABLE ... ALTER COLUMN ... ADD MASKED | DROP MASKED,
    CREATE STATISTICS, ALTER DATABASE ... SET option

Procedure bodies are T-SQL blocks with `;` after each statement (sqlglot reads `BEGIN ... END` that way).

`to_duckdb` transpiles for the local warehouse, where the physical options mean nothing: it removes exactly
those (the `PHYSICAL` tuple) and nothing else, so any other option reaching DuckDB is a visible error, and maps
T-SQL's BIT (a boolean) to BOOLEAN.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp, parse
from sqlglot.dialects.tsql import TSQL
from sqlglot.tokens import TokenType

from sql_pools.dialect.expressions import PHYSICAL
from sql_pools.dialect.generator import SynapseGenerator
from sql_pools.dialect.parser import SynapseParser

__all__ = ["PHYSICAL", "Synapse", "physical_options", "to_duckdb"]


class SynapseTokenizer(TSQL.Tokenizer):
    # T-SQL's tokenizer swallows these whole as opaque commands (END with the rest of its line, ELSE and all);
    # the Synapse parser reads them.
    KEYWORDS: ClassVar[dict] = {k: v for k, v in TSQL.Tokenizer.KEYWORDS.items() if k != "UPDATE STATISTICS"}
    COMMANDS: ClassVar[set] = TSQL.Tokenizer.COMMANDS - {TokenType.RENAME, TokenType.END}


class Synapse(TSQL):
    """Registered with sqlglot as `synapse`: `sqlglot.parse_one(sql, read="synapse")`."""

    Tokenizer = SynapseTokenizer
    Parser = SynapseParser
    Generator = SynapseGenerator


def physical_options(create: exp.Create) -> list[exp.Property]:
    """A CREATE statement's Synapse physical options, in the order written."""
    properties = create.args.get("properties")
    return [p for p in (properties.expressions if properties else []) if isinstance(p, PHYSICAL)]


def to_duckdb(sql: str) -> list[str]:
    """Each statement as DuckDB SQL, with the pool's physical table options removed (they describe storage on
    60 distributions, which a single-file DuckDB database does not have)."""
    statements = []
    for statement in parse(sql, read=Synapse):
        if statement is None:
            continue
        for option in list(statement.find_all(*PHYSICAL)):
            option.pop()
        for bit in list(statement.find_all(exp.DataType)):
            if bit.this == exp.DataType.Type.BIT:  # T-SQL's BIT is a boolean; DuckDB's BIT is a bit string
                bit.replace(exp.DataType.build("BOOLEAN"))
        properties = statement.args.get("properties")
        if isinstance(properties, exp.Properties) and not properties.expressions:
            properties.pop()
        statements.append(statement.sql("duckdb"))
    return statements
