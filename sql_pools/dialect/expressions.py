"""The AST nodes the Synapse dialect adds to sqlglot's: the pool's physical table options and its own statements.

Each node's `arg_types` names its parts, so a linter reads a table's distribution or a security policy's
predicates from the tree instead of from text.
"""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp

DISTRIBUTIONS = ("HASH", "ROUND_ROBIN", "REPLICATE")


class DistributionProperty(exp.Property):
    """`kind` is HASH, ROUND_ROBIN or REPLICATE; `expressions` the hash columns (one or more)."""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "expressions": False}


class ColumnstoreIndexProperty(exp.Property):
    """A clustered columnstore index; `expressions` the ORDER columns of an ordered one."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": False}


class ClusteredIndexProperty(exp.Property):
    arg_types: ClassVar[dict[str, bool]] = {"expressions": True}


class PartitionRangeProperty(exp.Property):
    """`this` the partition column, `side` LEFT or RIGHT, `expressions` the boundary values."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "side": False, "expressions": True}


class RenameObject(exp.Expression):
    """RENAME OBJECT t TO new_name: the swap step of a CTAS reload."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "to": True}


class UpdateStatistics(exp.Expression):
    """UPDATE STATISTICS t [(statistic, ...)]"""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": False}


class SwitchPartition(exp.Expression):
    """ALTER TABLE t SWITCH [PARTITION n] TO target [PARTITION m] [WITH (TRUNCATE_TARGET = ON)]"""

    arg_types: ClassVar[dict[str, bool]] = {"partition": False, "to": True, "to_partition": False,
                                            "options": False}


class RangeBoundary(exp.Expression):
    """ALTER TABLE t SPLIT RANGE (v) | MERGE RANGE (v): partition boundary maintenance."""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "this": True}


class Workload(exp.Expression):
    """CREATE WORKLOAD GROUP | CLASSIFIER name WITH (option = value, ...)"""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "this": True, "expressions": True}


class SecurityPredicate(exp.Expression):
    """ADD FILTER | BLOCK PREDICATE schema.fn(column, ...) ON table"""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "this": True, "table": True}


class SecurityPolicy(exp.Expression):
    """CREATE SECURITY POLICY name ADD ... PREDICATE ..., ... [WITH (STATE = ON)]"""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "expressions": True, "options": False}


class Permission(exp.Expression):
    """GRANT | DENY | REVOKE privilege, ... ON [SCHEMA:: | OBJECT::]name [(column, ...)] TO | FROM principal, ...

    `kind` is SCHEMA, OBJECT or None (a plain object name); `columns` a column-level grant."""

    arg_types: ClassVar[dict[str, bool]] = {"action": True, "privileges": True, "kind": False, "this": False,
                                            "columns": False, "principals": True}


class CreateRole(exp.Expression):
    arg_types: ClassVar[dict[str, bool]] = {"this": True}


class RoleMember(exp.Expression):
    """ALTER ROLE role ADD | DROP MEMBER principal"""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "action": True, "member": True}


class ColumnMask(exp.Expression):
    """ALTER COLUMN c ADD MASKED WITH (FUNCTION = '...') | DROP MASKED: dynamic data masking (an ALTER TABLE action)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "function": False}


class CreateStatistics(exp.Expression):
    """CREATE STATISTICS name ON table (column, ...) [WITH FULLSCAN | SAMPLE n PERCENT]"""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "table": True, "expressions": True, "with_": False}


class DropPoolObject(exp.Expression):
    """DROP SECURITY POLICY [IF EXISTS] name | DROP WORKLOAD GROUP | CLASSIFIER name"""

    arg_types: ClassVar[dict[str, bool]] = {"kind": True, "this": True, "exists": False}


class PrimaryKey(exp.PrimaryKey):
    """PRIMARY KEY [NONCLUSTERED | CLUSTERED] (column, ...) [NOT ENFORCED]: a pool only takes NONCLUSTERED
    NOT ENFORCED keys (they inform the optimizer; nothing checks them)."""

    arg_types: ClassVar[dict[str, bool]] = {**exp.PrimaryKey.arg_types, "clustered": False}


class PrimaryKeyColumnConstraint(exp.PrimaryKeyColumnConstraint):
    """The column form: `c INT NOT NULL PRIMARY KEY NONCLUSTERED NOT ENFORCED`."""

    arg_types: ClassVar[dict[str, bool]] = {**exp.PrimaryKeyColumnConstraint.arg_types, "clustered": False}


class Merge(exp.Merge):
    """MERGE ... [OPTION (LABEL = '...')]: T-SQL's MERGE takes query hints, which sqlglot's MERGE has no place for."""

    arg_types: ClassVar[dict[str, bool]] = {**exp.Merge.arg_types, "options": False}


class Throw(exp.Expression):
    """THROW [number, message, state]: raise an error (bare THROW re-raises inside CATCH)."""

    arg_types: ClassVar[dict[str, bool]] = {"expressions": False}


class AlterDatabaseSet(exp.Expression):
    """ALTER DATABASE db SET option ON | OFF (such as RESULT_SET_CACHING)."""

    arg_types: ClassVar[dict[str, bool]] = {"this": True, "option": True, "value": True}


PHYSICAL = (DistributionProperty, ColumnstoreIndexProperty, ClusteredIndexProperty, PartitionRangeProperty,
            exp.HeapProperty)
