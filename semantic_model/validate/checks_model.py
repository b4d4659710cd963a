"""The checks on the semantic model: its sources against the SQL project, relationships, DAX references, Microsoft's
Best Practice Analyzer rules that matter for a DirectQuery model, aggregations, storage modes and row-level
security. Each check yields `Hit`s; `rules.py` gives them ids, severities and explanations."""

from __future__ import annotations

import re
from collections.abc import Iterator

from semantic_model import dax
from semantic_model.project import PARAMETERS
from semantic_model.tmdl import Column, Measure, Relationship, Table, ignored_rules
from semantic_model.validate.model import Hit
from semantic_model.validate.project import Project
from semantic_model.warehouse import REPORTING_SCHEMA, SqlColumn

# Which T-SQL type families a model data type may read without a lossy or failing conversion.
COMPATIBLE = {"int64": {"int"}, "decimal": {"decimal"}, "double": {"float"}, "dateTime": {"date"},
              "boolean": {"bit"}, "string": {"string"}}
NUMERIC = {"int64", "decimal", "double"}

# Dimensions that carry the -1 (Unknown) and -2 (Not applicable) members, so every fact key resolves
# (spark_pools/gold/star.py: `key_of` maps a missing or unmatched code to -1/-2).
UNKNOWN_MEMBER_DIMENSIONS = {f"{REPORTING_SCHEMA}.{d}" for d in
                             ("dim_store", "dim_product", "dim_customer", "dim_channel", "dim_supplier")}
DATE_DIMENSION = f"{REPORTING_SCHEMA}.dim_date"
# The date keys the date dimension covers by construction: spark_pools/gold/build.py builds dim_date over whole
# years from the first to the last sale, stock count, order date and promised date. Feedback dates and receipt
# dates are not in that range computation, so a relationship on them must not assume referential integrity.
DATE_KEYS_COVERED = {"dbo.fact_sales.date_key", "dbo.fact_inventory_snapshot.date_key",
                     "dbo.fact_purchase_order_line.order_date_key", "dbo.fact_purchase_order_line.promised_date_key"}
SALES_FACT = "fact_sales"

# From BPARules.json: MEASURES_USING_TIME_INTELLIGENCE_AND_MODEL_IS_USING_DIRECT_QUERY and
# MINIMIZE_POWER_QUERY_TRANSFORMATIONS, LIMIT_ROW_LEVEL_SECURITY_(RLS)_LOGIC, HIDE_FACT_TABLE_COLUMNS.
TIME_INTELLIGENCE = {
    "CLOSINGBALANCEMONTH", "CLOSINGBALANCEQUARTER", "CLOSINGBALANCEYEAR", "DATEADD", "DATESBETWEEN", "DATESINPERIOD",
    "DATESMTD", "DATESQTD", "DATESYTD", "ENDOFMONTH", "ENDOFQUARTER", "ENDOFYEAR", "FIRSTDATE", "FIRSTNONBLANK",
    "FIRSTNONBLANKVALUE", "LASTDATE", "LASTNONBLANK", "LASTNONBLANKVALUE", "NEXTDAY", "NEXTMONTH", "NEXTQUARTER",
    "NEXTYEAR", "OPENINGBALANCEMONTH", "OPENINGBALANCEQUARTER", "OPENINGBALANCEYEAR", "PARALLELPERIOD",
    "PREVIOUSDAY", "PREVIOUSMONTH", "PREVIOUSQUARTER", "PREVIOUSYEAR", "SAMEPERIODLASTYEAR", "STARTOFMONTH",
    "STARTOFQUARTER", "STARTOFYEAR", "TOTALMTD", "TOTALQTD", "TOTALYTD"}
POWER_QUERY_TRANSFORMATIONS = ("Table.Combine(", "Table.Join(", "Table.NestedJoin(", "Table.AddColumn(",
                               "Table.Group(", "Table.Sort(", "Table.Pivot(", "Table.Unpivot(",
                               "Table.UnpivotOtherColumns(", "Table.Distinct(", '[Query=""SELECT', "Value.NativeQuery",
                               "OleDb.Query", "Odbc.Query")
RLS_STRING_FUNCTIONS = {"LEFT", "RIGHT", "UPPER", "LOWER", "FIND"}
AGGREGATING = {"COUNT", "COUNTBLANK", "SUM", "AVERAGE", "VALUES", "DISTINCT", "DISTINCTCOUNT", "MIN", "MAX", "COUNTA",
               "AVERAGEA", "MAXA", "MINA"}


def _name(table: str, name: str) -> str:
    return f"{table}[{name}]"


def _tables(project: Project) -> list[Table]:
    return list(project.model.tables.values()) if project.model else []


def _columns(project: Project) -> Iterator[Column]:
    for table in _tables(project):
        yield from table.columns.values()


def _measures(project: Project) -> Iterator[Measure]:
    for table in _tables(project):
        yield from table.measures.values()


def _relationships(project: Project) -> list[Relationship]:
    return project.model.relationships if project.model else []


def _source_column(project: Project, column: Column) -> SqlColumn | None:
    source = project.sources.get(column.table)
    if source is None or source.columns is None or column.expression:
        return None
    return source.columns.get((column.source_column or column.name).lower())


def _visible(project: Project, column: Column | Measure) -> bool:
    table = project.model.tables[column.table]
    return not (column.is_hidden or table.is_hidden)


# The contract with the SQL project ---------------------------------------------------------------------------


def source_views(project: Project) -> Iterator[Hit]:
    for name, source in project.sources.items():
        place = source.partition.place
        if source.problem:
            yield Hit(place.path, place.line, name, f"partition {source.partition.name!r}: {source.problem}")
            continue
        for relation in sorted(source.relations):
            if not relation.startswith(REPORTING_SCHEMA + "."):
                yield Hit(place.path, place.line, name,
                          f"reads {relation}, outside the {REPORTING_SCHEMA} schema: the reporting views are the "
                          f"contract, and the Power BI principal may read only them")
            elif relation not in project.views:
                yield Hit(place.path, place.line, name,
                          f"reads {relation}, which R__10_reporting_views.sql does not create")


def source_parameters(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    for parameter in PARAMETERS:
        expression = project.model.expressions.get(parameter)
        if expression is None or not expression.is_parameter:
            path = project.model.root / "expressions.tmdl"
            line = expression.place.line if expression else 1
            yield Hit(path, line, parameter, f"no model parameter {parameter} (an expression with "
                                             f"meta [IsParameterQuery=true])")
    for name, source in project.sources.items():
        arguments = [a.removeprefix('#"').removesuffix('"') for a in source.arguments or []]
        if source.arguments is not None and arguments != list(PARAMETERS):
            place = source.partition.place
            yield Hit(place.path, place.line, name,
                      f"Sql.Database({', '.join(source.arguments)}): pass the parameters "
                      f"{', '.join(PARAMETERS)} so each environment rebinds the model")


def columns_in_views(project: Project) -> Iterator[Hit]:
    for column in _columns(project):
        source = project.sources.get(column.table)
        if column.expression or source is None or source.columns is None:
            continue
        wanted = (column.source_column or column.name).lower()
        if wanted not in source.columns:
            where = ", ".join(sorted(source.relations)) or "its native query"
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      f"sourceColumn {column.source_column!r} is not a column of {where} "
                      f"(it returns: {', '.join(source.columns)})")


def column_types(project: Project) -> Iterator[Hit]:
    for column in _columns(project):
        sql = _source_column(project, column)
        if sql is None or sql.family is None or column.data_type not in COMPATIBLE:
            continue
        if sql.family not in COMPATIBLE[column.data_type]:
            wanted = next(t for t, families in COMPATIBLE.items() if sql.family in families)
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      f"dataType {column.data_type} but the view returns {sql.type}: declare {wanted}")


# Relationships -----------------------------------------------------------------------------------------------


def relationship_endpoints(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        for table, column in ((r.from_table, r.from_column), (r.to_table, r.to_column)):
            if table not in project.model.tables:
                yield Hit(r.place.path, r.place.line, r.name, f"no table {table!r}")
            elif column not in project.model.tables[table].columns:
                yield Hit(r.place.path, r.place.line, r.name, f"no column {_name(table, column)}")


def relationship_types(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        left, right = project.model.column(r.from_table, r.from_column), project.model.column(r.to_table, r.to_column)
        if left and right and left.data_type != right.data_type:
            yield Hit(r.place.path, r.place.line, r.name,
                      f"{_name(r.from_table, r.from_column)} is {left.data_type} but "
                      f"{_name(r.to_table, r.to_column)} is {right.data_type}")


def bidirectional(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        if r.cross_filtering.lower() == "bothdirections":
            yield Hit(r.place.path, r.place.line, r.name,
                      f"{_name(r.from_table, r.from_column)} -> {_name(r.to_table, r.to_column)} filters both "
                      f"directions: make it oneDirection")


def many_to_many(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        if r.from_cardinality.lower() == "many" and r.to_cardinality.lower() == "many":
            yield Hit(r.place.path, r.place.line, r.name, "many-to-many: relate the fact to a dimension's key instead")


def _integrity_problem(project: Project, r: Relationship) -> str | None:
    """Why the warehouse does not guarantee every from-key finds its row on the to side, or None when it does."""
    from_column = project.model.column(r.from_table, r.from_column)
    to_source = project.sources.get(r.to_table)
    sql = _source_column(project, from_column) if from_column else None
    if sql is None or to_source is None:
        return "the key's source is unknown"
    if sql.nullable is not False:
        return f"the key can be NULL in the warehouse ({sql.origin or 'a computed column'})"
    dimension = next(iter(to_source.relations), "")
    if dimension == DATE_DIMENSION:
        if sql.origin not in DATE_KEYS_COVERED:
            return f"the gold job does not build dim_date over the dates of {sql.origin or 'this key'}"
        return None
    if dimension not in UNKNOWN_MEMBER_DIMENSIONS:
        return f"{dimension or r.to_table} has no unknown (-1/-2) members"
    return None


def _queried_in_direct_query(project: Project, r: Relationship) -> bool:
    tables = project.model.tables
    return all(t in tables and tables[t].mode in {"directQuery", "dual"} for t in (r.from_table, r.to_table))


def referential_integrity_allowed(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        if r.rely_on_referential_integrity and project.model.column(r.from_table, r.from_column):
            problem = _integrity_problem(project, r)
            if problem:
                yield Hit(r.place.path, r.place.line, r.name,
                          f"relyOnReferentialIntegrity on {_name(r.from_table, r.from_column)}, but {problem}: rows "
                          f"would silently drop out of totals (inner join)")


def referential_integrity_missed(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        if r.rely_on_referential_integrity or not r.is_active or not project.model.column(r.from_table,
                                                                                          r.from_column):
            continue
        if _queried_in_direct_query(project, r) and _integrity_problem(project, r) is None:
            yield Hit(r.place.path, r.place.line, r.name,
                      f"{_name(r.from_table, r.from_column)} always resolves: set relyOnReferentialIntegrity so "
                      f"DirectQuery joins with INNER JOIN")


# DAX ---------------------------------------------------------------------------------------------------------


def _dax_objects(project: Project) -> Iterator[tuple[str, str, str | None, object, bool]]:
    """(object, expression, home table for unqualified columns, place, is_measure) for measures, calculated
    columns and role filters."""
    for measure in _measures(project):
        yield _name(measure.table, measure.name), measure.expression, None, measure.place, True
    for column in _columns(project):
        if column.expression:
            yield _name(column.table, column.name), column.expression, column.table, column.place, False
    for role in project.model.roles.values() if project.model else []:
        for permission in role.permissions.values():
            if permission.filter:
                yield f"{role.name} ({permission.table})", permission.filter, permission.table, permission.place, \
                    False


def dax_references(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    tables, measures = project.model.tables, project.model.measures()
    for role in project.model.roles.values():
        for permission in role.permissions.values():
            if permission.table not in tables:
                yield Hit(permission.place.path, permission.place.line, role.name,
                          f"tablePermission on {permission.table!r}, which is not a table of the model")
    for obj, expression, home, place, _ in _dax_objects(project):
        for ref in dax.references(expression):
            if ref.table is not None and ref.table not in tables:
                yield Hit(place.path, place.line, obj, f"{ref.text}: no table {ref.table!r}")
            elif ref.table is not None and ref.name is not None:
                table = tables[ref.table]
                if ref.name not in table.columns and ref.name not in table.measures:
                    yield Hit(place.path, place.line, obj, f"{ref.text}: {ref.table} has no column or measure "
                                                           f"{ref.name!r}")
            elif ref.table is None and ref.name is not None and ref.name not in measures:
                home_table = tables.get(home) if home else None
                if not (home_table and ref.name in home_table.columns) and \
                        not any(ref.name in t.columns for t in tables.values()):
                    yield Hit(place.path, place.line, obj, f"{ref.text}: no measure {ref.name!r}")


def dax_qualification(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    tables, measures = project.model.tables, project.model.measures()
    for obj, expression, _home, place, is_measure in _dax_objects(project):
        for ref in dax.references(expression):
            if ref.name is None:
                continue
            if ref.table is not None and ref.table in tables and ref.name in tables[ref.table].measures and \
                    ref.name not in tables[ref.table].columns:
                yield Hit(place.path, place.line, obj, f"{ref.text}: refer to a measure unqualified, "
                                                       f"[{ref.name}]")
            elif is_measure and ref.table is None and ref.name not in measures and \
                    any(ref.name in t.columns for t in tables.values()):
                yield Hit(place.path, place.line, obj, f"[{ref.name}]: qualify a column with its table")


def divide_function(project: Project) -> Iterator[Hit]:
    for obj, expression, _, place, _ in _dax_objects(project):
        if dax.uses_division_operator(expression):
            yield Hit(place.path, place.line, obj, "divides with '/': use DIVIDE(numerator, denominator)")


def time_intelligence(project: Project) -> Iterator[Hit]:
    if not any(t.mode in {"directQuery", "dual"} for t in _tables(project)):
        return
    for measure in _measures(project):
        used = dax.calls(measure.expression) & TIME_INTELLIGENCE
        if used:
            yield Hit(measure.place.path, measure.place.line, _name(measure.table, measure.name),
                      f"time intelligence ({', '.join(sorted(used))}) over DirectQuery")


def iferror(project: Project) -> Iterator[Hit]:
    for obj, expression, _, place, _ in _dax_objects(project):
        if "IFERROR" in dax.calls(expression):
            yield Hit(place.path, place.line, obj, "IFERROR: use DIVIDE or test the condition instead")


def inactive_relationships(project: Project) -> Iterator[Hit]:
    expressions = [m.expression for m in _measures(project)]
    for r in _relationships(project):
        if r.is_active:
            continue
        used = any("USERELATIONSHIP" in dax.calls(e) and
                   {(ref.table, ref.name) for ref in dax.references(e)} >= {(r.from_table, r.from_column),
                                                                           (r.to_table, r.to_column)}
                   for e in expressions)
        if not used:
            yield Hit(r.place.path, r.place.line, r.name, "inactive and no measure activates it with USERELATIONSHIP")


# Best Practice Analyzer rules on columns and measures ---------------------------------------------------------


def floating_point(project: Project) -> Iterator[Hit]:
    for column in _columns(project):
        if column.data_type != "double":
            continue
        sql = _source_column(project, column)
        where = _name(column.table, column.name)
        if sql is not None and sql.family != "float":
            yield Hit(column.place.path, column.place.line, where,
                      f"double over {sql.type}: declare it decimal (fixed decimal) or int64")
        elif not column.is_hidden:
            yield Hit(column.place.path, column.place.line, where,
                      "a visible double column: hide it and expose a fixed-decimal measure (CONVERT(..., CURRENCY))")
        elif "AVOID_FLOATING_POINT_DATA_TYPES" not in ignored_rules(column):
            yield Hit(column.place.path, column.place.line, where,
                      "double: the view returns FLOAT, so keep it hidden and record the deliberate exception in a "
                      "BestPracticeAnalyzer_IgnoreRules annotation")


def measure_format_strings(project: Project) -> Iterator[Hit]:
    for measure in _measures(project):
        if _visible(project, measure) and not (measure.format_string or "").strip():
            yield Hit(measure.place.path, measure.place.line, _name(measure.table, measure.name), "no formatString")


def column_format_strings(project: Project) -> Iterator[Hit]:
    for column in _columns(project):
        if column.data_type in NUMERIC and not (column.format_string or "").strip():
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      f"{column.data_type} column without formatString")


def _relationship_columns(project: Project) -> set[tuple[str, str]]:
    return {pair for r in _relationships(project) for pair in ((r.from_table, r.from_column),
                                                                (r.to_table, r.to_column))}


def summarize_by_none(project: Project) -> Iterator[Hit]:
    keys = _relationship_columns(project)
    for column in _columns(project):
        is_key = (column.table, column.name) in keys
        if column.data_type in NUMERIC and (_visible(project, column) or is_key) and \
                (column.summarize_by or "default").lower() != "none":
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      f"summarizeBy {column.summarize_by or '(default: sum)'}: set none and aggregate with a measure")


def hide_foreign_keys(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        column = project.model.column(r.from_table, r.from_column)
        if column and r.from_cardinality.lower() == "many" and not column.is_hidden:
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      "foreign key is visible: set isHidden")


def mark_primary_keys(project: Project) -> Iterator[Hit]:
    for r in _relationships(project):
        column = project.model.column(r.to_table, r.to_column)
        table = project.model.tables.get(r.to_table)
        if column and table and r.to_cardinality.lower() == "one" and not column.is_key and \
                (table.data_category or "").lower() != "time":
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      "dimension key without isKey")


def data_column_sources(project: Project) -> Iterator[Hit]:
    for column in _columns(project):
        if not column.expression and not (column.source_column or "").strip():
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name), "no sourceColumn")


def measure_expressions(project: Project) -> Iterator[Hit]:
    for measure in _measures(project):
        if not measure.expression.strip():
            yield Hit(measure.place.path, measure.place.line, _name(measure.table, measure.name), "no expression")


def measure_documentation(project: Project) -> Iterator[Hit]:
    for measure in _measures(project):
        if not _visible(project, measure):
            continue
        missing = [name for name, value in (("description", measure.description),
                                            ("displayFolder", measure.display_folder)) if not (value or "").strip()]
        if missing:
            yield Hit(measure.place.path, measure.place.line, _name(measure.table, measure.name),
                      f"no {' and no '.join(missing)}")


def hide_fact_columns(project: Project) -> Iterator[Hit]:
    aggregated: set[tuple[str, str]] = set()
    for measure in _measures(project):
        for ref in dax.references(measure.expression):
            call = re.search(r"([A-Za-z_.]+)\s*\(\s*$", measure.expression[:ref.offset])
            if ref.table and ref.name and call and call.group(1).upper() in AGGREGATING:
                aggregated.add((ref.table, ref.name))
    for column in _columns(project):
        if (column.table, column.name) in aggregated and column.data_type in NUMERIC and \
                _visible(project, column):
            yield Hit(column.place.path, column.place.line, _name(column.table, column.name),
                      "aggregated by a measure but visible: hide it")


def date_table(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    if not any((t.data_category or "").lower() == "time" and
               any(c.is_key and c.data_type == "dateTime" for c in t.columns.values()) for t in _tables(project)):
        path = project.model.root / "model.tmdl"
        yield Hit(path, 1, "model", "no date table (dataCategory: Time with an isKey dateTime column)")


def power_query_transformations(project: Project) -> Iterator[Hit]:
    for table in _tables(project):
        if "MINIMIZE_POWER_QUERY_TRANSFORMATIONS" in table.ignored_rules:
            continue
        for partition in table.partitions:
            used = [f.rstrip("(") for f in POWER_QUERY_TRANSFORMATIONS if f in (partition.source or "")]
            if used:
                yield Hit(partition.place.path, partition.place.line, table.name,
                          f"partition {partition.name!r} uses {', '.join(used)}: move the logic into a view")


def partition_names(project: Project) -> Iterator[Hit]:
    for table in _tables(project):
        if len(table.partitions) == 1 and table.partitions[0].name != table.name:
            partition = table.partitions[0]
            yield Hit(partition.place.path, partition.place.line, table.name,
                      f"the single partition is named {partition.name!r}: name it {table.name!r}")


# Aggregations and storage modes ---------------------------------------------------------------------------------


def sales_aggregation(project: Project) -> Iterator[Hit]:
    if project.model is None or SALES_FACT not in project.model.tables:
        return
    if not any(SALES_FACT in project.detail_tables(name) for name in project.aggregation_tables):
        table = project.model.tables[SALES_FACT]
        yield Hit(table.place.path, table.place.line, SALES_FACT,
                  "no aggregation table maps to the sales fact (columns with alternateOf)")


def aggregation_mappings(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    tables = project.model.tables
    aggregation_tables = set(project.aggregation_tables)
    for name in project.aggregation_tables:
        for column in tables[name].columns.values():
            alternate = column.alternate_of
            if alternate is None:
                continue
            where, place = _name(name, column.name), alternate.place
            kind = alternate.summarization.lower()
            if kind not in {"sum", "min", "max", "count", "groupby"}:
                yield Hit(place.path, place.line, where, f"summarization {alternate.summarization!r} is not one of "
                                                         f"sum, min, max, count, groupBy")
                continue
            if alternate.base_column:
                base_table, base_name = alternate.base_column
                base = project.model.column(base_table, base_name)
                if base is None:
                    yield Hit(place.path, place.line, where, f"baseColumn {_name(base_table, base_name)} does not "
                                                             f"exist")
                    continue
                if kind != "count" and base.data_type != column.data_type:
                    yield Hit(place.path, place.line, where,
                              f"{column.data_type} but its base column {_name(base_table, base_name)} is "
                              f"{base.data_type}: an aggregation column has the detail column's data type")
            elif alternate.base_table:
                base_table = alternate.base_table
                if base_table not in tables:
                    yield Hit(place.path, place.line, where, f"baseTable {base_table!r} does not exist")
                    continue
                if kind != "count":
                    yield Hit(place.path, place.line, where, "a baseTable mapping counts rows: summarization count")
            else:
                yield Hit(place.path, place.line, where, "alternateOf names neither baseColumn nor baseTable")
                continue
            if kind == "count" and column.data_type != "int64":
                yield Hit(place.path, place.line, where, "a count aggregation column must be int64")
            if kind != "groupby":
                if tables[base_table].mode != "directQuery":
                    yield Hit(place.path, place.line, where,
                              f"detail table {base_table} is {tables[base_table].mode}: aggregations serve "
                              f"DirectQuery detail tables")
                if base_table in aggregation_tables:
                    yield Hit(place.path, place.line, where, f"{base_table} is itself an aggregation table: chained "
                                                             f"aggregations are not allowed")


def aggregation_dimensions_dual(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    tables = project.model.tables
    for name in project.aggregation_tables:
        details = project.detail_tables(name)
        for r in _relationships(project):
            if r.from_table != name or r.to_table not in tables:
                continue
            shared = any(other.from_table in details and other.to_table == r.to_table
                         for other in _relationships(project))
            if shared and tables[r.to_table].mode != "dual":
                yield Hit(r.place.path, r.place.line, r.name,
                          f"{r.to_table} relates {name} and its detail table but is {tables[r.to_table].mode}: "
                          f"make it dual")


def storage_modes(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    tables = project.model.tables
    many_sides = {r.from_table for r in _relationships(project)}
    for r in _relationships(project):
        if r.to_table not in tables or r.from_table not in tables or r.to_table in many_sides:
            continue
        dimension = tables[r.to_table]
        if tables[r.from_table].mode == "directQuery" and dimension.mode != "dual":
            yield Hit(dimension.place.path, dimension.place.line, dimension.name,
                      f"a dimension of DirectQuery {r.from_table} in {dimension.mode} mode: make it dual")
            many_sides.add(r.to_table)  # once per dimension


# Row-level security --------------------------------------------------------------------------------------------


def _restricted_roles(project: Project) -> Iterator[tuple[str, object, set[str]]]:
    """(role name, place, tables it filters) for every role that filters something (not head office)."""
    for role in project.model.roles.values() if project.model else []:
        filtered = {p.table for p in role.permissions.values() if (p.filter or "").strip()}
        if filtered:
            yield role.name, role.place, filtered


def regional_roles(project: Project) -> Iterator[Hit]:
    store_tables = {t.name for t in _tables(project) if "store_key" in t.columns}
    for name, place, filtered in _restricted_roles(project):
        for table in sorted(store_tables - project.filtered_by(filtered)):
            yield Hit(place.path, place.line, name,
                      f"does not filter {table}: its rows would show every region to the role's members")


def aggregation_security(project: Project) -> Iterator[Hit]:
    aggregations = set(project.aggregation_tables)
    for role in project.model.roles.values() if project.model else []:
        for permission in role.permissions.values():
            if permission.table in aggregations and (permission.filter or "").strip():
                yield Hit(permission.place.path, permission.place.line, role.name,
                          f"filters the aggregation table {permission.table}: filter the dimension its GroupBy "
                          f"columns map to instead")
    for name, place, filtered in _restricted_roles(project):
        reached = project.filtered_by(filtered)
        for aggregation in sorted(aggregations):
            details = project.detail_tables(aggregation)
            if not details & reached or aggregation in project.filtered_by(filtered - {aggregation}):
                continue
            group_by = {c.alternate_of.base_column for c in project.model.tables[aggregation].columns.values()
                        if c.alternate_of and c.alternate_of.summarization.lower() == "groupby"
                        and c.alternate_of.base_column}
            for table in sorted(filtered - aggregations):
                if not project.filtered_by({table}) & details:
                    continue
                expression = project.model.roles[name].permissions[table].filter or ""
                columns = {(ref.table or table, ref.name) for ref in dax.references(expression) if ref.name}
                if not columns <= group_by:
                    yield Hit(place.path, place.line, name,
                              f"filters {table} on {', '.join(sorted(_name(*c) for c in columns - group_by))}, "
                              f"which {aggregation} has no GroupBy column for: the role's queries never use the "
                              f"aggregation")


def simple_rls(project: Project) -> Iterator[Hit]:
    for role in project.model.roles.values() if project.model else []:
        for permission in role.permissions.values():
            used = dax.calls(permission.filter or "") & RLS_STRING_FUNCTIONS
            if used:
                yield Hit(permission.place.path, permission.place.line, role.name,
                          f"filter on {permission.table} uses {', '.join(sorted(used))}: compute it in the warehouse")
