"""The checks behind the rules: each reads the project model and yields a `Hit` per offending object, with the
node the finding points at (its line) and a message naming the object and what to change."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from sqlglot import exp

from sql_pools.advisor.limits import DISTRIBUTIONS
from sql_pools.advisor.limits import REPLICATE_LIMIT_BYTES as REPLICATE_LIMIT
from sql_pools.dialect import Synapse
from sql_pools.lint.model import TEMPORAL, Column, Project, Table, qualified, resolve

ROWS_PER_DISTRIBUTION = 10  # fewer distinct hash values than this per distribution leaves some empty, others hot
RLS_COLUMNS = ("region", "store_key")
_TRIGGER = re.compile(r"^\s*(?:OR\s+ALTER\s+)?TRIGGER\s+(?P<name>[\w.\[\]]+)", re.IGNORECASE)
_ADD_CONSTRAINT = re.compile(r"^\s*TABLE\s+(?P<table>[\w.\[\]]+)\s+ADD\s+CONSTRAINT\b(?P<rest>.*)",
                             re.IGNORECASE | re.DOTALL)


class Hit(NamedTuple):
    node: exp.Expression  # what the finding points at: its statement's batch gives the file, its tokens the line
    object: str
    message: str


def fact_not_hashed(project: Project) -> Iterator[Hit]:
    for table in project.tables:
        if table.is_fact and table.distribution != "HASH":
            yield Hit(table.create.this, table.name, f"{table.name} is {table.distribution}; distribute it by "
                      "HASH on a high-cardinality NOT NULL key that its large joins use")


def poor_hash_column(project: Project) -> Iterator[Hit]:
    for table in project.tables:
        for key in table.hash_columns:
            column = table.columns.get(key.name.lower())
            reasons = _poor_hash_reasons(key.name.lower(), column, project.projected_rows)
            if reasons:
                yield Hit(key, f"{table.name}.{key.name}",
                          f"{table.name} is hashed on {key.name}, {' and '.join(reasons)}")


def _poor_hash_reasons(name: str, column: Column | None, projected_rows: dict[str, int]) -> list[str]:
    kind = column.type.this if column and column.type else None
    reasons = []
    if kind in TEMPORAL or name.endswith(("date_key", "_date")):
        reasons.append("a date: a day's rows, which loads write and queries filter on, all go to one distribution")
    if kind == exp.DataType.Type.BIT:
        reasons.append(f"a bit: its two values fill at most 2 of the {DISTRIBUTIONS} distributions")
    if column and column.nullable:
        reasons.append("nullable: every NULL hashes to the same distribution")
    dimension = f"dim_{name.removesuffix('_key')}" if name.endswith("_key") else None
    rows = projected_rows.get(dimension) if dimension else None
    if rows is not None and rows < DISTRIBUTIONS * ROWS_PER_DISTRIBUTION:
        reasons.append(f"low-cardinality: {dimension} projects {rows:,} rows, fewer than "
                       f"{DISTRIBUTIONS * ROWS_PER_DISTRIBUTION} ({ROWS_PER_DISTRIBUTION} per distribution)")
    return reasons


def dimension_replication(project: Project) -> Iterator[Hit]:
    for table in project.tables:
        rows = project.projected_rows.get(table.short)
        if not table.is_dimension or rows is None:
            continue
        size = rows * table.row_width
        estimate = f"{rows:,} rows × {table.row_width} bytes ≈ {size / 1024**3:.2f} GB"
        if table.distribution == "REPLICATE" and size > REPLICATE_LIMIT:
            yield Hit(table.create.this, table.name, f"{table.name} is REPLICATE but projects {estimate}, over "
                      "2 GB: distribute it by HASH on its key")
        elif table.distribution != "REPLICATE" and size <= REPLICATE_LIMIT:
            yield Hit(table.create.this, table.name, f"{table.name} is {table.distribution} but projects "
                      f"{estimate}, under 2 GB: make it REPLICATE")


def staging_layout(project: Project) -> Iterator[Hit]:
    for table in project.tables:
        if table.schema != "stg":
            continue
        wrong = [f"is {table.distribution}"] if table.distribution != "ROUND_ROBIN" else []
        wrong += [] if table.heap else ["is not a HEAP"]
        if wrong:
            yield Hit(table.create.this, table.name, f"staging table {table.name} {' and '.join(wrong)}; "
                      "create it WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)")


def unsupported_features(project: Project) -> Iterator[Hit]:
    kinds = (exp.Create, exp.Reference, exp.UniqueColumnConstraint, exp.PrimaryKey, exp.PrimaryKeyColumnConstraint,
             exp.ComputedColumnConstraint, exp.Command)
    for node in project.nodes(*kinds):
        feature = _unsupported(node)
        if feature:
            yield Hit(node, _owner(node), feature)


def _unsupported(node: exp.Expression) -> str | None:
    """What in this node a dedicated pool rejects, or None."""
    if isinstance(node, exp.Command):
        return _unsupported_command(node)
    if isinstance(node, exp.Create):
        if node.kind in ("SEQUENCE", "TRIGGER"):
            return f"CREATE {node.kind} {qualified(node.this)}"
        return f"unique index {node.this.name} on {qualified(node.this)}" if node.kind == "INDEX" and \
            node.args.get("unique") else None
    if isinstance(node, exp.Reference):
        return f"a FOREIGN KEY (REFERENCES {qualified(node.this)})"
    if isinstance(node, exp.ComputedColumnConstraint):
        return f"computed column {node.find_ancestor(exp.ColumnDef).name}"
    key = "UNIQUE" if isinstance(node, exp.UniqueColumnConstraint) else "PRIMARY KEY"
    missing = [words for words in ("NONCLUSTERED", "NOT ENFORCED") if not _declares(node, words)]
    return f"a {key} without {' and '.join(missing)}: declare it {key} NONCLUSTERED (...) NOT ENFORCED" \
        if missing else None


def _declares(node: exp.Expression, words: str) -> bool:
    """Whether the constraint holding `node` says `words`: read from its generated text, because the dialect gives
    NONCLUSTERED as a node and may give NOT ENFORCED as an option or a node."""
    unit = node.find_ancestor(exp.Constraint, exp.ColumnDef) or node
    return words in unit.sql(dialect=Synapse).upper()


def _unsupported_command(command: exp.Command) -> str | None:
    """Statements the dialect keeps as text: CREATE TRIGGER, and ALTER TABLE ... ADD CONSTRAINT it cannot parse."""
    text = str(command.args.get("expression") or "")
    trigger = _TRIGGER.match(text) if command.name.upper() == "CREATE" else None
    if trigger:
        return f"CREATE TRIGGER {trigger['name']}"
    constraint = _ADD_CONSTRAINT.match(text) if command.name.upper() == "ALTER" else None
    if not constraint:
        return None
    rest = " ".join(constraint["rest"].upper().split())
    if "FOREIGN KEY" in rest or "REFERENCES" in rest:
        return f"a FOREIGN KEY on {constraint['table']}"
    if ("PRIMARY KEY" in rest or "UNIQUE" in rest) and not ("NONCLUSTERED" in rest and "NOT ENFORCED" in rest):
        return f"a PRIMARY KEY or UNIQUE constraint on {constraint['table']} that is not NONCLUSTERED NOT ENFORCED"
    return None


def merge_limits(project: Project) -> Iterator[Hit]:
    for merge in project.nodes(exp.Merge):
        target = project.table(qualified(merge.this))
        if target is None:
            continue
        whens = merge.args["whens"].expressions
        inserts = [w for w in whens if not w.args.get("matched") and not w.args.get("source")]  # BY TARGET
        if inserts and target.distribution != "HASH":
            yield Hit(inserts[0], target.name, f"MERGE into {target.name} inserts WHEN NOT MATCHED BY TARGET but "
                      f"{target.name} is {target.distribution}, not HASH-distributed")
        identity = [c.name for c in target.columns.values() if c.identity]
        if identity:
            yield Hit(merge.this, target.name, f"MERGE into {target.name}, which has the IDENTITY column "
                      f"{', '.join(identity)}")


def join_type_mismatch(project: Project) -> Iterator[Hit]:
    for scope in project.nodes(exp.Select, exp.Merge):
        sources = project.sources(scope)
        conditions = [scope.args.get("on")] if isinstance(scope, exp.Merge) else \
            [join.args.get("on") for join in scope.args.get("joins") or []]
        for equality in (e for c in conditions if c for e in c.find_all(exp.EQ)):
            left, right = equality.this, equality.expression
            if equality.find_ancestor(exp.Select, exp.Merge) is not scope or not (
                    isinstance(left, exp.Column) and isinstance(right, exp.Column)):
                continue
            a, b = resolve(left, sources), resolve(right, sources)
            if a and b and a.type and b.type and a.declared != b.declared:
                yield Hit(equality, _owner(equality), f"{_named(left, sources)} is {a.declared} but "
                          f"{_named(right, sources)} is {b.declared}")


def unsecured_tables(project: Project) -> Iterator[Hit]:
    latest: dict[str, Table] = {t.name: t for t in project.tables if not t.in_procedure}
    for table in latest.values():
        columns = [c for c in RLS_COLUMNS if c in table.columns]
        if table.schema == "dbo" and columns and table.name not in project.filtered:
            yield Hit(table.create.this, table.name, f"{table.name} has {' and '.join(columns)} but no security "
                      "policy FILTER predicate on it: every reader sees every region's rows")


def fact_max_columns(project: Project) -> Iterator[Hit]:
    for table in project.tables:
        for column in table.columns.values() if table.is_fact else ():
            if column.is_max:
                yield Hit(column.node, f"{table.name}.{column.name}", f"fact table {table.name} has "
                          f"{column.name} {column.declared}: declare the length of its longest value")


def _owner(node: exp.Expression) -> str:
    """The object a statement defines or alters (a view, a procedure, a table), for the finding's object."""
    root = node.root()
    if isinstance(root, exp.Command):
        match = _TRIGGER.match(str(root.args.get("expression") or "")) or _ADD_CONSTRAINT.match(
            str(root.args.get("expression") or ""))
        return match[1] if match else root.name
    target = root.this if isinstance(root, (exp.Create, exp.Alter)) else None
    return qualified(target) if target is not None and target.find(exp.Table) else "query"


def _named(column: exp.Column, sources: dict[str, Table]) -> str:
    """`schema.table.column` for a column reference, through its alias."""
    table = sources.get(column.table.lower()) if column.table else next(
        (t for t in sources.values() if column.name.lower() in t.columns), None)
    return f"{table.name}.{column.name}" if table else column.sql(dialect=Synapse)
