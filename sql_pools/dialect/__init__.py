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
those (the `PHYSICAL` tuple) and NOT ENFORCED primary keys, nothing else, so any other option reaching DuckDB is
a visible error, and maps the types whose names mean something else there (BIT, FLOAT). `pool_only` names the
statements the local warehouse skips on purpose (security, workload management, statistics, procedures).
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import ErrorLevel, exp, parse
from sqlglot.dialects.tsql import TSQL
from sqlglot.tokens import TokenType

from sql_pools.dialect import expressions as nodes
from sql_pools.dialect.expressions import PHYSICAL
from sql_pools.dialect.generator import SynapseGenerator
from sql_pools.dialect.parser import SynapseParser

__all__ = ["PHYSICAL", "Synapse", "physical_options", "pool_only", "to_duckdb"]


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




def _duckdb_type(data_type: exp.DataType) -> str | None:
    """T-SQL types whose DuckDB namesake means something else: BIT is a boolean (DuckDB: a bit string), FLOAT is
    float(53), a double, and FLOAT(1-24) a real (DuckDB's FLOAT is always 4 bytes)."""
    if data_type.this == exp.DataType.Type.BIT:
        return "BOOLEAN"
    if data_type.this == exp.DataType.Type.FLOAT:
        bits = int(data_type.expressions[0].name) if data_type.expressions else 53
        return "REAL" if bits <= 24 else "DOUBLE"
    return None


# Statements about the pool's security, workload management, statistics and storage: the local DuckDB warehouse
# has no principals, no workload groups, no distributions or partitions to act on.
_POOL_ONLY = (nodes.Workload, nodes.SecurityPolicy, nodes.Permission, nodes.CreateRole, nodes.RoleMember,
              nodes.CreateStatistics, nodes.UpdateStatistics, nodes.AlterDatabaseSet, nodes.RenameObject,
              nodes.DropPoolObject, nodes.Throw)
_POOL_ONLY_ACTIONS = (nodes.ColumnMask, nodes.SwitchPartition, nodes.RangeBoundary)


def pool_only(statement: exp.Expression) -> bool:
    """True for what only the dedicated pool runs: security, workload management, statistics, partition
    maintenance, and procedures and functions (T-SQL bodies DuckDB cannot run). The local build skips exactly
    these, and counts them."""
    if isinstance(statement, _POOL_ONLY):
        return True
    if isinstance(statement, exp.IfBlock):  # IF EXISTS (...) DROP WORKLOAD ...: pool-only when its branches are
        branches = [b for b in (statement.args.get("true"), statement.args.get("false")) if b is not None]
        inner = [s for b in branches for s in (b.expressions if isinstance(b, exp.Block) else [b])]
        return bool(inner) and all(pool_only(s) for s in inner)
    if isinstance(statement, exp.Create | exp.Drop) and statement.kind in ("PROCEDURE", "FUNCTION"):
        return True
    return isinstance(statement, exp.Alter) and any(
        isinstance(action, _POOL_ONLY_ACTIONS) for action in statement.args.get("actions") or [])


def to_duckdb(sql: str) -> list[str]:
    """Each statement as DuckDB SQL, with the pool's physical table options removed (they describe storage on
    60 distributions, which a single-file DuckDB database does not have)."""
    statements = []
    for statement in parse(sql, read=Synapse):
        if statement is None:
            continue
        for option in list(statement.find_all(*PHYSICAL)):
            option.pop()
        for key in list(statement.find_all(nodes.PrimaryKey, nodes.PrimaryKeyColumnConstraint)):
            key.pop()  # NOT ENFORCED: a hint for the pool's optimizer; DuckDB would enforce it
        for constraint in list(statement.find_all(exp.Constraint)):
            if not constraint.expressions:
                constraint.pop()
        for data_type in list(statement.find_all(exp.DataType)):
            replacement = _duckdb_type(data_type)
            if replacement:
                data_type.replace(exp.DataType.build(replacement))
        properties = statement.args.get("properties")
        if isinstance(properties, exp.Properties) and not properties.expressions:
            properties.pop()
        # RAISE: anything DuckDB cannot express is an error here, never a silently dropped clause
        statements.append(statement.sql("duckdb", unsupported_level=ErrorLevel.RAISE))
    return statements
