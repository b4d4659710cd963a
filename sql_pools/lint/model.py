"""The project as the linter sees it: every table its DDL creates (columns, distribution, storage) and where each
statement sits, built once from the parsed scripts so each rule reads facts instead of walking text.

A table is described by the statement that creates it: its column list, or for a CTAS (`CREATE TABLE ... AS
SELECT`) the columns of its select list as far as the DDL says (`*` and plain column references carry the source
column's type and nullability, a CAST its type; any other expression is of unknown type). Columns added later by
`ALTER TABLE ... ADD` are added to the table. Temporary `#tables` are left out: they live for one session.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from sql_pools.dialect import Synapse
from sql_pools.dialect import expressions as nodes
from sql_pools.project import Batch, Script

DType = exp.DataType.Type

# Bytes a value takes in a row, for the replicated-table size estimate (SQL Server's storage sizes; the temporal
# types at their widest precision).
FIXED_WIDTH = {
    DType.BIT: 1, DType.UTINYINT: 1, DType.TINYINT: 1, DType.SMALLINT: 2, DType.INT: 4, DType.BIGINT: 8,
    DType.SMALLMONEY: 4, DType.MONEY: 8, DType.FLOAT: 8, DType.DOUBLE: 8, DType.UUID: 16,
    DType.DATE: 3, DType.TIME: 5, DType.SMALLDATETIME: 4, DType.DATETIME: 8, DType.DATETIME2: 8,
    DType.TIMESTAMPTZ: 10,
}
# Bytes per unit of declared length (an NCHAR or NVARCHAR character takes 2).
FIXED_LENGTH = {DType.CHAR: 1, DType.NCHAR: 2, DType.BINARY: 1}
VARIABLE_LENGTH = {DType.VARCHAR: 1, DType.NVARCHAR: 2, DType.VARBINARY: 1}
MAX_IN_ROW = 8000  # a (max) column is assumed to hold what fits in row (8,000 bytes), half full like the rest
UNKNOWN_WIDTH = 8  # a CTAS expression the DDL gives no type for
ROW_OVERHEAD = 7  # row header, null bitmap and variable-column offsets
TEMPORAL = {DType.DATE, DType.TIME, DType.SMALLDATETIME, DType.DATETIME, DType.DATETIME2, DType.TIMESTAMPTZ,
            DType.TIMESTAMP}


@dataclass(frozen=True)
class Column:
    """`type` is None for a CTAS expression the DDL gives no type for; `nullable` None when unknown."""

    name: str
    type: exp.DataType | None
    nullable: bool | None
    identity: bool
    node: exp.Expression  # where the column is declared, for findings

    @property
    def declared(self) -> str:
        return self.type.sql(dialect=Synapse) if self.type else "unknown"

    @property
    def is_max(self) -> bool:
        return self.type is not None and any(p.name.upper() == "MAX" for p in self.type.expressions)

    @property
    def width(self) -> int:
        """Estimated bytes in a row: fixed types their storage size, variable-length ones half their declared
        length plus a 2-byte offset (the optimizer's own assumption for variable-length columns)."""
        if self.type is None:
            return UNKNOWN_WIDTH
        kind, params = self.type.this, [p.this for p in self.type.expressions]
        length = MAX_IN_ROW if self.is_max else int(params[0].name) if params else 1
        if kind in VARIABLE_LENGTH:
            return VARIABLE_LENGTH[kind] * length // 2 + 2
        if kind in FIXED_LENGTH:
            return FIXED_LENGTH[kind] * length
        if kind == DType.DECIMAL:
            precision = int(params[0].name) if params else 18
            return 5 if precision <= 9 else 9 if precision <= 19 else 13 if precision <= 28 else 17
        return FIXED_WIDTH.get(kind, UNKNOWN_WIDTH)


@dataclass
class Table:
    """One `CREATE TABLE`. With no DISTRIBUTION option a pool table is ROUND_ROBIN; with no HEAP (nor any index
    option) it is a clustered columnstore."""

    name: str  # schema.table, lower case
    create: exp.Create
    columns: dict[str, Column]
    distribution: str
    hash_columns: list[exp.Expression]
    heap: bool
    in_procedure: bool  # created by a load procedure (a CTAS to swap in), not by the schema itself

    @property
    def schema(self) -> str:
        return self.name.split(".")[0]

    @property
    def short(self) -> str:
        return self.name.split(".")[1]

    @property
    def is_fact(self) -> bool:
        return self.short.startswith("fact_") and self.schema != "stg"

    @property
    def is_dimension(self) -> bool:
        return self.short.startswith("dim_") and self.schema != "stg"

    @property
    def row_width(self) -> int:
        return ROW_OVERHEAD + sum(column.width for column in self.columns.values())


@dataclass
class Project:
    """Every statement with its batch, every table created (in script order), and the tables a security
    policy's FILTER predicate covers."""

    projected_rows: dict[str, int]
    statements: list[tuple[Batch, exp.Expression]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    filtered: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, scripts: list[Script], projected_rows: dict[str, int]) -> Project:
        project = cls(projected_rows)
        for script in scripts:
            for batch in script.batches:
                for statement in batch.statements:
                    project.statements.append((batch, statement))
                    project._read(statement)
        return project

    def _read(self, statement: exp.Expression) -> None:
        for node in statement.walk(bfs=False):
            if isinstance(node, exp.Create) and node.kind == "TABLE" and not _temporary(node):
                self.tables.append(self._table(node))
            elif isinstance(node, exp.Alter) and node.args.get("kind") == "TABLE":
                table = self.table(qualified(node.this))
                added = [a for a in node.args.get("actions") or [] if isinstance(a, exp.ColumnDef)]
                if table:
                    table.columns.update({a.name.lower(): _declared(a, set()) for a in added})
            elif isinstance(node, nodes.SecurityPredicate) and node.args["kind"] == "FILTER":
                self.filtered.add(qualified(node.args["table"]))

    def table(self, name: str) -> Table | None:
        """The latest definition of `schema.table`."""
        return next((t for t in reversed(self.tables) if t.name == name), None)

    def nodes(self, *types: type[exp.Expression]) -> Iterator[exp.Expression]:
        """Every node of those types in every statement, procedure bodies included."""
        for _, statement in self.statements:
            yield from statement.find_all(*types)

    def sources(self, scope: exp.Expression) -> dict[str, Table]:
        """The project tables a SELECT (its FROM and JOINs) or a MERGE (target and USING) reads, by the alias or
        name its columns use. A CTE or a derived table is not a project table."""
        if isinstance(scope, exp.Merge):
            candidates = [scope.this, scope.args.get("using")]
        else:
            from_ = scope.args.get("from_")
            candidates = [from_.this if from_ else None, *(j.this for j in scope.args.get("joins") or [])]
        ctes = {cte.alias.lower() for cte in scope.root().find_all(exp.CTE)}
        found = {}
        for source in candidates:
            if isinstance(source, exp.Table) and not (not source.db and source.name.lower() in ctes):
                table = self.table(qualified(source))
                if table:
                    found[source.alias_or_name.lower()] = table
        return found

    def _table(self, create: exp.Create) -> Table:
        properties = create.args.get("properties")
        options = properties.expressions if properties else []
        distribution = next((o for o in options if isinstance(o, nodes.DistributionProperty)), None)
        schema = create.this if isinstance(create.this, exp.Schema) else None
        key = _primary_key(create)
        columns = ({d.name.lower(): _declared(d, key) for d in schema.expressions if isinstance(d, exp.ColumnDef)}
                   if schema else {})
        query = create.expression
        if isinstance(query, exp.Select):
            columns.update(self._selected(query))
        return Table(
            name=qualified(create.this),
            create=create,
            columns=columns,
            distribution=distribution.args["kind"] if distribution else "ROUND_ROBIN",
            hash_columns=list(distribution.expressions) if distribution else [],
            heap=any(isinstance(o, exp.HeapProperty) for o in options),
            in_procedure=create.find_ancestor(exp.Create) is not None,
        )

    def _selected(self, select: exp.Select) -> dict[str, Column]:
        """A CTAS's columns: what its select list says about each."""
        sources = self.sources(select)
        columns: dict[str, Column] = {}
        for projection in select.expressions:
            value = projection.unalias()
            if value.is_star:
                qualifier = value.table.lower() if isinstance(value, exp.Column) else ""
                tables = [sources[qualifier]] if qualifier in sources else [] if qualifier else sources.values()
                columns.update({name: _carried(c, name, projection) for t in tables for name, c in t.columns.items()})
                continue
            name = projection.alias_or_name.lower()
            source = resolve(value, sources) if isinstance(value, exp.Column) else None
            if source:
                columns[name] = _carried(source, name, projection)
            else:
                declared = value.args.get("to") if isinstance(value, exp.Cast) else None
                columns[name] = Column(name, declared, None, False, projection)
        return columns


def resolve(column: exp.Column, sources: dict[str, Table]) -> Column | None:
    """The project column a column reference names: through its table alias, or the one source that has it."""
    name = column.name.lower()
    if column.table:
        table = sources.get(column.table.lower())
        return table.columns.get(name) if table else None
    owners = [t for t in sources.values() if name in t.columns]
    return owners[0].columns[name] if len(owners) == 1 else None


def qualified(node: exp.Expression) -> str:
    """`schema.table` in lower case; an unqualified name is in dbo, the pool's default schema."""
    table = node if isinstance(node, exp.Table) else node.find(exp.Table)
    return f"{table.db or 'dbo'}.{table.name}".lower()


def _temporary(create: exp.Create) -> bool:
    table = create.find(exp.Table)
    return table.name.startswith("#") or bool(table.this.args.get("temporary"))


def _declared(definition: exp.ColumnDef, primary_key: set[str]) -> Column:
    """A column as its definition declares it: NOT NULL, an IDENTITY and a primary key column are not nullable."""
    kinds = [c.args.get("kind") for c in definition.args.get("constraints") or []]
    identity = any(isinstance(k, exp.GeneratedAsIdentityColumnConstraint) for k in kinds)
    not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null") for k in kinds)
    keyed = definition.name.lower() in primary_key or any(isinstance(k, exp.PrimaryKeyColumnConstraint)
                                                          for k in kinds)
    return Column(definition.name.lower(), definition.args.get("kind"), not (not_null or identity or keyed),
                  identity, definition)


def _primary_key(create: exp.Create) -> set[str]:
    """The columns a table-level PRIMARY KEY names (as `PrimaryKey`, or a constraint holding the key's marker)."""
    keys = [*create.find_all(exp.PrimaryKey),
            *(c for c in create.find_all(exp.Constraint) if c.find(exp.PrimaryKeyColumnConstraint))]
    return {column.name.lower() for key in keys for column in key.find_all(exp.Column)}


def _carried(column: Column, name: str, projection: exp.Expression) -> Column:
    """A source column a CTAS selects as it is: type, nullability and IDENTITY come along (as with SELECT INTO),
    under the name the select list gives it."""
    return Column(name, column.type, column.nullable, column.identity, projection)
