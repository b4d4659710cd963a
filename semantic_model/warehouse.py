"""The warehouse side of the contract: what the SQL project says the reporting views (`rpt`) return.

Each `CREATE VIEW rpt.x` of `sql_pools/database/repeatable/R__10_reporting_views.sql` is parsed with the project's
Synapse dialect; each output column gets a T-SQL type, a nullability and, when it passes a table column through
unchanged, its origin (`dbo.fact_sales.date_key`). Types are resolved through the view's SELECT (aliases, joins,
CTEs, `alias.*`) to the columns the migrations declare (`CREATE TABLE` in `migrations/*.sql`), and computed
expressions are typed the way T-SQL types them:

    CAST(x AS t)                    t
    SUM/AVG/MIN/MAX(x)              x's type (SUM and AVG of an INT stay INT)
    COUNT(...)  COUNT_BIG(...)      INT, BIGINT
    NTILE/ROW_NUMBER/RANK() OVER    BIGINT
    STDEV, SQRT, SQUARE, POWER      FLOAT
    DATEDIFF, YEAR, MONTH, DAY      INT
    a + b, a * b, a / b, COALESCE, CASE   the operand of highest data type precedence (FLOAT over DECIMAL over
                                    BIGINT over INT over BIT over strings), as T-SQL does
    1 / 1.0 / 'x'                   INT / DECIMAL / VARCHAR

An expression the rules above do not cover has an unknown type (None), and checks skip it rather than guess.
Nullability comes from the declared columns (NOT NULL), COUNT is never NULL and COALESCE is not NULL when one of
its arguments is not; an outer join's nullable side is not modelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import sqlglot
from sqlglot import exp

from sql_pools.dialect import Synapse
from sql_pools.project import Script, ScriptKind, created_tables, project_scripts

DType = exp.DataType.Type

# T-SQL type names by family, in data type precedence order within the model's compatibility table.
FAMILIES = {
    "int": {"BIGINT", "INT", "SMALLINT", "TINYINT"},
    "decimal": {"DECIMAL", "NUMERIC", "MONEY", "SMALLMONEY"},
    "float": {"FLOAT", "REAL"},
    "date": {"DATE", "DATETIME", "DATETIME2", "SMALLDATETIME", "DATETIMEOFFSET", "TIME"},
    "bit": {"BIT"},
    "string": {"NVARCHAR", "VARCHAR", "NCHAR", "CHAR", "NTEXT", "TEXT", "UNIQUEIDENTIFIER"},
}
# T-SQL data type precedence (higher wins in an expression mixing types).
PRECEDENCE = ["CHAR", "VARCHAR", "NCHAR", "NVARCHAR", "UNIQUEIDENTIFIER", "BIT", "TINYINT", "SMALLINT", "INT",
              "BIGINT", "SMALLMONEY", "MONEY", "DECIMAL", "NUMERIC", "REAL", "FLOAT", "TIME", "DATE",
              "SMALLDATETIME", "DATETIME", "DATETIME2", "DATETIMEOFFSET"]

_NAMES = {
    DType.BIGINT: "BIGINT", DType.INT: "INT", DType.SMALLINT: "SMALLINT", DType.TINYINT: "TINYINT",
    DType.UTINYINT: "TINYINT", DType.DECIMAL: "DECIMAL", DType.MONEY: "MONEY", DType.SMALLMONEY: "SMALLMONEY",
    DType.FLOAT: "FLOAT", DType.DOUBLE: "FLOAT", DType.DATE: "DATE", DType.DATETIME: "DATETIME",
    DType.DATETIME2: "DATETIME2", DType.SMALLDATETIME: "SMALLDATETIME", DType.TIMESTAMPTZ: "DATETIMEOFFSET",
    DType.TIME: "TIME", DType.BIT: "BIT", DType.BOOLEAN: "BIT", DType.NVARCHAR: "NVARCHAR",
    DType.VARCHAR: "VARCHAR", DType.NCHAR: "NCHAR", DType.CHAR: "CHAR", DType.TEXT: "VARCHAR",
    DType.UUID: "UNIQUEIDENTIFIER",
}
_REAL = getattr(DType, "REAL", None)
if _REAL is not None:
    _NAMES[_REAL] = "REAL"

REPORTING_SCHEMA = "rpt"
VIEWS_SCRIPT = "10_reporting_views"


def family(sql_type: str | None) -> str | None:
    return next((name for name, members in FAMILIES.items() if sql_type in members), None)


@dataclass(frozen=True)
class SqlColumn:
    name: str
    type: str | None  # a T-SQL type name without length or precision (BIGINT, DECIMAL, NVARCHAR...), None if unknown
    nullable: bool | None
    origin: str | None = None  # schema.table.column of a base column passed through unchanged

    @property
    def family(self) -> str | None:
        return family(self.type)


@dataclass
class View:
    name: str  # schema.view, lower case
    columns: dict[str, SqlColumn]
    path: Path
    line: int


@dataclass
class Catalog:
    """The base tables (from the migrations) and the views (from the repeatable scripts), by lower-case
    `schema.name`."""

    tables: dict[str, dict[str, SqlColumn]]
    views: dict[str, View] = field(default_factory=dict)

    def relation(self, name: str) -> dict[str, SqlColumn] | None:
        view = self.views.get(name)
        return view.columns if view else self.tables.get(name)


def load_catalog(scripts: Iterable[Script] | None = None) -> Catalog:
    """The tables the migrations create and the `rpt` views, typed."""
    scripts = list(scripts) if scripts is not None else project_scripts(
        kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE))
    tables = {name: _declared(create) for name, create in
              created_tables([s for s in scripts if s.kind is ScriptKind.VERSIONED]).items()}
    catalog = Catalog(tables)
    for script in scripts:
        for batch in script.batches:
            for statement in batch.statements:
                if isinstance(statement, exp.Create) and statement.kind == "VIEW" and \
                        isinstance(statement.expression, exp.Query):
                    name = _qualified(statement.this)
                    columns = select_columns(statement.expression, catalog, {})
                    catalog.views[name] = View(name, columns, script.path, batch.line)
    return catalog


def reporting_views(catalog: Catalog) -> dict[str, View]:
    """The `rpt` views only: the Power BI contract."""
    return {name: view for name, view in catalog.views.items() if name.startswith(REPORTING_SCHEMA + ".")}


def query_columns(sql: str, catalog: Catalog) -> dict[str, SqlColumn]:
    """The output columns of a native query (a SELECT over the views), typed like a view's."""
    statement = sqlglot.parse_one(sql, read=Synapse)
    if not isinstance(statement, exp.Query):
        raise ValueError("not a SELECT")
    return select_columns(statement, catalog, {})


def query_relations(sql: str) -> set[str]:
    """The `schema.name` of every table or view a query reads (CTE names left out)."""
    statement = sqlglot.parse_one(sql, read=Synapse)
    ctes = {cte.alias.lower() for cte in statement.find_all(exp.CTE)}
    return {_qualified(t) for t in statement.find_all(exp.Table) if not (not t.db and t.name.lower() in ctes)}


def _qualified(node: exp.Expression) -> str:
    table = node if isinstance(node, exp.Table) else node.find(exp.Table)
    return f"{table.db or 'dbo'}.{table.name}".lower()


def _declared(create: exp.Create) -> dict[str, SqlColumn]:
    schema = create.this if isinstance(create.this, exp.Schema) else None
    name = _qualified(create.this)
    columns: dict[str, SqlColumn] = {}
    for definition in schema.expressions if schema else []:
        if isinstance(definition, exp.ColumnDef):
            kinds = [c.args.get("kind") for c in definition.args.get("constraints") or []]
            not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null")
                           for k in kinds)
            column = definition.name.lower()
            columns[column] = SqlColumn(column, _type_name(definition.args.get("kind")), not not_null,
                                        f"{name}.{column}")
    return columns


def _type_name(data_type: exp.DataType | None) -> str | None:
    if data_type is None:
        return None
    return _NAMES.get(data_type.this)


def _from(select: exp.Select) -> list[tuple[exp.Expression, str]]:
    from_ = select.args.get("from_") or select.args.get("from")
    sources = [from_.this] if from_ else []
    sources += [join.this for join in select.args.get("joins") or []]
    return [(source, source.alias_or_name.lower()) for source in sources]


def select_columns(query: exp.Query, catalog: Catalog, ctes: dict[str, dict[str, SqlColumn]]
                   ) -> dict[str, SqlColumn]:
    """The output columns of a query, by lower-case name."""
    local = dict(ctes)
    with_ = query.args.get("with_") or query.args.get("with")
    for cte in with_.expressions if with_ else []:
        local[cte.alias.lower()] = select_columns(cte.this, catalog, local)
    if isinstance(query, exp.Union):
        return select_columns(query.left, catalog, local)
    if isinstance(query, exp.Subquery):
        return select_columns(query.this, catalog, local)
    if not isinstance(query, exp.Select):
        return {}
    sources: dict[str, dict[str, SqlColumn]] = {}
    for source, alias in _from(query):
        if isinstance(source, exp.Table):
            cte = local.get(source.name.lower()) if not source.db else None
            relation = cte if cte is not None else catalog.relation(_qualified(source))
            sources[alias] = relation or {}
        elif isinstance(source, exp.Subquery):
            sources[alias] = select_columns(source.this, catalog, local)
    scope = _Scope(sources, catalog, local)
    out: dict[str, SqlColumn] = {}
    for projection in query.expressions:
        value = projection.unalias()
        if value.is_star:
            qualifier = value.table.lower() if isinstance(value, exp.Column) else ""
            chosen = [sources[qualifier]] if qualifier else list(sources.values())
            for relation in chosen:
                out.update(relation)
            continue
        name = projection.alias_or_name.lower()
        typed = scope.type_of(value)
        out[name] = SqlColumn(name, typed.type, typed.nullable, typed.origin)
    return out


@dataclass(frozen=True)
class _Typed:
    type: str | None
    nullable: bool | None = None
    origin: str | None = None


_UNKNOWN = _Typed(None)


def _highest(types: Iterable[str | None]) -> str | None:
    known = list(types)
    if not known or any(t is None for t in known):
        return None
    return max(known, key=lambda t: PRECEDENCE.index(t) if t in PRECEDENCE else -1)


@dataclass
class _Scope:
    sources: dict[str, dict[str, SqlColumn]]
    catalog: Catalog
    ctes: dict[str, dict[str, SqlColumn]]

    def column(self, column: exp.Column) -> _Typed:
        name = column.name.lower()
        if column.table:
            found = self.sources.get(column.table.lower(), {}).get(name)
        else:
            owners = [relation[name] for relation in self.sources.values() if name in relation]
            found = owners[0] if len(owners) == 1 else None
        return _Typed(found.type, found.nullable, found.origin) if found else _UNKNOWN

    def type_of(self, node: exp.Expression) -> _Typed:
        if isinstance(node, exp.Paren):
            return self.type_of(node.this)
        if isinstance(node, exp.Column):
            return self.column(node)
        if isinstance(node, (exp.Cast, exp.TryCast)):
            inner = self.type_of(node.this)
            return _Typed(_type_name(node.args.get("to")), inner.nullable)
        if isinstance(node, exp.Literal):
            if node.is_string:
                return _Typed("VARCHAR", False)
            return _Typed("DECIMAL" if any(c in node.this for c in ".eE") else "INT", False)
        if isinstance(node, exp.Null):
            return _Typed(None, True)
        if isinstance(node, exp.Window):
            if isinstance(node.this, (exp.Ntile, exp.RowNumber, exp.Rank, exp.DenseRank)):
                return _Typed("BIGINT", False)
            return _Typed(self.type_of(node.this).type)
        if isinstance(node, exp.Count):
            return _Typed("BIGINT" if node.args.get("big_int") else "INT", False)
        if isinstance(node, (exp.Sum, exp.Avg, exp.Min, exp.Max)):
            return _Typed(self.type_of(node.this).type, True)
        if isinstance(node, (exp.Stddev, exp.StddevSamp, exp.StddevPop, exp.Variance, exp.Sqrt, exp.Pow, exp.Exp,
                             exp.Ln, exp.Log)):
            return _Typed("FLOAT", None)
        if isinstance(node, (exp.Ceil, exp.Floor, exp.Round, exp.Abs, exp.Neg)):
            return self.type_of(node.this)
        if isinstance(node, (exp.DateDiff, exp.Year, exp.Month, exp.Day)):
            return _Typed("INT", None)
        if isinstance(node, exp.DateAdd):
            return _Typed(self.type_of(node.this).type, None)
        if isinstance(node, exp.Coalesce):
            args = [self.type_of(a) for a in [node.this, *node.expressions]]
            origins = {a.origin for a in args if a.origin}
            literal_only = all(a.origin is None for a in args[1:])
            origin = args[0].origin if len(origins) == 1 and literal_only else None
            return _Typed(_highest(a.type for a in args), not any(a.nullable is False for a in args), origin)
        if isinstance(node, exp.Case):
            branches = [self.type_of(i.args["true"]) for i in node.args.get("ifs") or []]
            default = node.args.get("default")
            branches.append(self.type_of(default) if default is not None else _Typed(None, True))
            typed = [b.type for b in branches if not (b.type is None and b.nullable)]
            return _Typed(_highest(typed), None if default is not None else True)
        if isinstance(node, exp.If):
            branches = [self.type_of(node.args["true"])]
            if node.args.get("false") is not None:
                branches.append(self.type_of(node.args["false"]))
            return _Typed(_highest(b.type for b in branches))
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)):
            left, right = self.type_of(node.left), self.type_of(node.right)
            nullable = None if left.nullable is None or right.nullable is None else left.nullable or right.nullable
            return _Typed(_highest([left.type, right.type]), nullable)
        if isinstance(node, exp.Subquery):
            columns = list(select_columns(node.this, self.catalog, self.ctes).values())
            return _Typed(columns[0].type, True) if len(columns) == 1 else _UNKNOWN
        return _UNKNOWN
