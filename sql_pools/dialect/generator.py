"""Generating the pool's table options and statements back as T-SQL."""

from __future__ import annotations

from typing import ClassVar

from sqlglot import exp
from sqlglot.generator import Generator
from sqlglot.generators.tsql import TSQLGenerator

from sql_pools.dialect import expressions as nodes


def _distribution(generator: TSQLGenerator, expression: nodes.DistributionProperty) -> str:
    kind = expression.args["kind"]
    columns = f"({generator.expressions(expression, flat=True)})" if kind == "HASH" else ""
    return f"DISTRIBUTION = {kind}{columns}"


def _columnstore(generator: TSQLGenerator, expression: nodes.ColumnstoreIndexProperty) -> str:
    order = f" ORDER ({generator.expressions(expression, flat=True)})" if expression.expressions else ""
    return f"CLUSTERED COLUMNSTORE INDEX{order}"


def _clustered_index(generator: TSQLGenerator, expression: nodes.ClusteredIndexProperty) -> str:
    return f"CLUSTERED INDEX ({generator.expressions(expression, flat=True)})"


def _partition_range(generator: TSQLGenerator, expression: nodes.PartitionRangeProperty) -> str:
    side = f" {expression.args['side']}" if expression.args.get("side") else ""
    return (f"PARTITION ({generator.sql(expression, 'this')} RANGE{side} FOR VALUES "
            f"({generator.expressions(expression, flat=True)}))")


def _options(generator: TSQLGenerator, options: list[exp.Expression]) -> str:
    def one(option: exp.Expression) -> str:
        value = option.args["value"]
        text = (f"({', '.join(one(o) for o in value.expressions)})" if isinstance(value, exp.Tuple)
                else generator.sql(value))
        return f"{generator.sql(option, 'this')} = {text}"

    return f"({', '.join(one(o) for o in options)})"


def _switch(generator: TSQLGenerator, e: nodes.SwitchPartition) -> str:
    source = f" PARTITION {generator.sql(e, 'partition')}" if e.args.get("partition") else ""
    target = f" PARTITION {generator.sql(e, 'to_partition')}" if e.args.get("to_partition") else ""
    options = f" WITH {_options(generator, e.args['options'])}" if e.args.get("options") else ""
    return f"SWITCH{source} TO {generator.sql(e, 'to')}{target}{options}"


def _security_policy(generator: TSQLGenerator, e: nodes.SecurityPolicy) -> str:
    predicates = ", ".join(f"ADD {p.args['kind']} PREDICATE {generator.sql(p, 'this')} ON {generator.sql(p, 'table')}"
                           for p in e.expressions)
    options = f" WITH {_options(generator, e.args['options'])}" if e.args.get("options") else ""
    return f"CREATE SECURITY POLICY {generator.sql(e, 'this')} {predicates}{options}"


def _primary_key(generator: TSQLGenerator, e: nodes.PrimaryKey | nodes.PrimaryKeyColumnConstraint) -> str:
    clustered = f" {e.args['clustered']}" if e.args.get("clustered") else ""
    columns = f" ({generator.expressions(e, flat=True)})" if isinstance(e, exp.PrimaryKey) else ""
    options = "".join(f" {option}" for option in e.args.get("options") or [])
    return f"PRIMARY KEY{clustered}{columns}{options}"


def _update_statistics(generator: TSQLGenerator, e: nodes.UpdateStatistics) -> str:
    names = f" ({generator.expressions(e, flat=True)})" if e.expressions else ""
    return f"UPDATE STATISTICS {generator.sql(e, 'this')}{names}"


def _permission(generator: TSQLGenerator, e: nodes.Permission) -> str:
    privileges = ", ".join(generator.sql(p) for p in e.args["privileges"])
    kind = f"{e.args['kind']}::" if e.args.get("kind") else ""
    columns = f" ({', '.join(generator.sql(c) for c in e.args['columns'])})" if e.args.get("columns") else ""
    direction = "FROM" if e.args["action"] == "REVOKE" else "TO"
    principals = ", ".join(generator.sql(p) for p in e.args["principals"])
    securable = f" ON {kind}{generator.sql(e, 'this')}{columns}" if e.args.get("this") else ""
    return f"{e.args['action']} {privileges}{securable} {direction} {principals}"


def _column_mask(generator: TSQLGenerator, e: nodes.ColumnMask) -> str:
    if e.args.get("function") is None:
        return f"ALTER COLUMN {generator.sql(e, 'this')} DROP MASKED"
    return f"ALTER COLUMN {generator.sql(e, 'this')} ADD MASKED WITH (FUNCTION = {generator.sql(e, 'function')})"


def _create_statistics(generator: TSQLGenerator, e: nodes.CreateStatistics) -> str:
    with_ = f" WITH {generator.sql(e, 'with_')}" if e.args.get("with_") else ""
    return (f"CREATE STATISTICS {generator.sql(e, 'this')} ON {generator.sql(e, 'table')} "
            f"({generator.expressions(e, flat=True)}){with_}")


class SynapseGenerator(TSQLGenerator):
    TRANSFORMS: ClassVar[dict] = {
        **TSQLGenerator.TRANSFORMS,
        nodes.DistributionProperty: _distribution,
        nodes.ColumnstoreIndexProperty: _columnstore,
        nodes.ClusteredIndexProperty: _clustered_index,
        nodes.PartitionRangeProperty: _partition_range,
        nodes.RenameObject: lambda g, e: f"RENAME OBJECT {g.sql(e, 'this')} TO {g.sql(e, 'to')}",
        nodes.UpdateStatistics: _update_statistics,
        nodes.SwitchPartition: _switch,
        nodes.RangeBoundary: lambda g, e: f"{e.args['kind']} RANGE ({g.sql(e, 'this')})",
        nodes.Workload: lambda g, e: (f"CREATE WORKLOAD {e.args['kind']} {g.sql(e, 'this')} "
                                      f"WITH {_options(g, e.expressions)}"),
        nodes.SecurityPolicy: _security_policy,
        nodes.Permission: _permission,
        nodes.CreateRole: lambda g, e: f"CREATE ROLE {g.sql(e, 'this')}",
        nodes.DropPoolObject: lambda g, e: (f"DROP {e.args['kind']}{' IF EXISTS' if e.args.get('exists') else ''} "
                                            f"{g.sql(e, 'this')}"),
        nodes.PrimaryKey: _primary_key,
        nodes.Merge: lambda g, e: g.merge_sql(e),
        nodes.Throw: lambda g, e: f"THROW {g.expressions(e, flat=True)}".rstrip(),
        nodes.PrimaryKeyColumnConstraint: _primary_key,
        nodes.RoleMember: lambda g, e: f"ALTER ROLE {g.sql(e, 'this')} {e.args['action']} MEMBER {g.sql(e, 'member')}",
        nodes.ColumnMask: _column_mask,
        nodes.CreateStatistics: _create_statistics,
        nodes.AlterDatabaseSet: lambda g, e: (f"ALTER DATABASE {g.sql(e, 'this')} SET {g.sql(e, 'option')} "
                                        f"{g.sql(e, 'value')}"),
    }
    PROPERTIES_LOCATION: ClassVar[dict] = {
        **TSQLGenerator.PROPERTIES_LOCATION,
        **dict.fromkeys(nodes.PHYSICAL, exp.Properties.Location.POST_WITH),
    }

    def merge_sql(self, expression: exp.Merge) -> str:
        return f"{super().merge_sql(expression)}{self.options_modifier(expression)}"

    def ifblock_sql(self, expression: exp.IfBlock) -> str:
        false = expression.args.get("false")
        other = f" ELSE {self._branch(false)}" if false else ""
        return f"IF {self.sql(expression, 'this')} {self._branch(expression.args['true'])}{other}"

    def _branch(self, branch: exp.Expression) -> str:
        if isinstance(branch, exp.Block) and branch.args.get("begin"):
            return f"BEGIN {''.join(f'{self.sql(s)}; ' for s in branch.expressions)}END"
        return self.sql(branch)

    def create_sql(self, expression: exp.Create) -> str:
        """A dedicated pool has CREATE TABLE AS SELECT (with its options); SQL Server's dialect would rewrite it
        as SELECT INTO."""
        if expression.kind == "TABLE" and isinstance(expression.expression, exp.Query):
            return self.prepend_ctes(expression, Generator.create_sql(self, expression))
        return super().create_sql(expression)
