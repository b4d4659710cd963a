"""A reader for TMDL (Tabular Model Definition Language), the text form of a Power BI semantic model that a PBIP
keeps in `<name>.SemanticModel/definition/`.

TMDL is indentation based (tabs as Power BI Desktop saves it; four spaces count as one level too):

    /// Sales lines                                   <- a description of the next declaration
    table fact_sales                                  <- an object: type, name (quoted when needed)
        column net_amount                             <- a child object, one level deeper
            dataType: decimal                         <- a property `name: value`
            isHidden                                  <- a boolean property written alone (true)
            annotation SummarizationSetBy = User      <- an annotation `name = value`
        measure 'Net Sales' = SUM(fact_sales[net_amount])    <- an object with its default expression
        partition fact_sales = m
            mode: directQuery
            source =                                  <- an expression property; its text is indented
                    let ...                              deeper than the property (or fenced in ```)

The reader builds a generic tree (`Node`) from any TMDL file, then `load_model` turns a definition folder into
typed objects (`SemanticModel`: tables with columns, measures and partitions; relationships; roles; expressions)
with the file and line of each, for findings. It keeps what it does not interpret (lineageTag, changedProperty,
annotations, cultures) in the tree, so files Power BI Desktop saves read without errors.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

_PROPERTY = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*:\s*(?P<value>.*)$")
_EXPRESSION_PROPERTY = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=\s*(?P<value>.*)$")
_WORD = re.compile(r"^[A-Za-z_]\w*$")
_FENCE = "```"
SPACES_PER_LEVEL = 4


class TmdlError(ValueError):
    """A TMDL file that does not read: its path, the 1-based line and what is wrong."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass
class Property:
    name: str
    value: str
    line: int
    expression: bool = False  # written `name = ...` (an expression, possibly multi-line) rather than `name: ...`


@dataclass
class Node:
    """One TMDL object: `kind` is its type keyword (table, column, measure, annotation, ref, ...), `value` the
    text after `=` on its declaration (a default expression or an annotation's value)."""

    kind: str
    name: str | None
    value: str | None
    path: Path
    line: int
    level: int
    description: str | None = None
    properties: dict[str, Property] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def prop(self, name: str, default: str | None = None) -> str | None:
        found = self.properties.get(name)
        return found.value if found else default

    def flag(self, name: str) -> bool:
        return (self.prop(name) or "false").strip().lower() == "true"

    def prop_line(self, name: str) -> int:
        found = self.properties.get(name)
        return found.line if found else self.line

    def children_of(self, kind: str) -> list[Node]:
        return [child for child in self.children if child.kind == kind]

    @property
    def annotations(self) -> dict[str, str]:
        return {child.name or "": child.value or "" for child in self.children_of("annotation")}


@dataclass
class _Line:
    number: int
    level: int
    text: str  # stripped of indentation and trailing whitespace
    raw: str


def _level(raw: str) -> int:
    tabs = spaces = 0
    for char in raw:
        if char == "\t":
            tabs += 1
        elif char == " ":
            spaces += 1
        else:
            break
    return tabs + spaces // SPACES_PER_LEVEL


def parse(text: str, path: Path = Path("<tmdl>")) -> list[Node]:
    """The top-level objects of one TMDL document."""
    lines = [_Line(n, _level(raw), raw.strip(), raw) for n, raw in enumerate(text.replace("\r\n", "\n")
                                                                              .split("\n"), start=1)]
    if lines and lines[0].text.startswith("\ufeff"):
        lines[0].text = lines[0].text.lstrip("\ufeff")
    roots: list[Node] = []
    stack: list[Node] = []
    description: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.text:
            continue
        if line.text.startswith("///"):
            description.append(line.text[3:].strip() if line.text[3:4] == " " else line.text[3:])
            continue
        while stack and stack[-1].level >= line.level:
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is None and line.level > 0:
            raise TmdlError(path, line.number, "indented line outside any object")
        property_match = _PROPERTY.match(line.text)
        expression_match = _EXPRESSION_PROPERTY.match(line.text)
        if parent is not None and property_match and not expression_match:
            _no_description(description, path, line)
            parent.properties[property_match["name"]] = Property(property_match["name"],
                                                                 _unquote_value(property_match["value"]),
                                                                 line.number)
            continue
        if parent is not None and expression_match and expression_match["name"] not in _NAMELESS_OBJECTS:
            _no_description(description, path, line)
            value, i = _expression(lines, i, expression_match["value"], line.level + 1, path, line.number)
            parent.properties[expression_match["name"]] = Property(expression_match["name"], value, line.number,
                                                                   expression=True)
            continue
        if parent is not None and _WORD.match(line.text) and not _opens_block(lines, i, line.level):
            _no_description(description, path, line)
            parent.properties[line.text] = Property(line.text, "true", line.number)
            continue
        node, i = _declaration(lines, i, line, path)
        node.description = "\n".join(description) if description else None
        description = []
        (parent.children if parent is not None else roots).append(node)
        stack.append(node)
    return roots


# Objects declared as `keyword = value` without a name (`changedProperty = IsHidden`).
_NAMELESS_OBJECTS = {"changedProperty"}


def _no_description(description: list[str], path: Path, line: _Line) -> None:
    if description:
        raise TmdlError(path, line.number, "a /// description must precede an object declaration")


def _opens_block(lines: list[_Line], i: int, level: int) -> bool:
    """Whether the next non-blank line is indented deeper (the word before it is a nameless object such as
    `dataAccessOptions`, `kpi` or `alternateOf`, not a boolean property)."""
    for line in lines[i:]:
        if line.text:
            return line.level > level
    return False


def _declaration(lines: list[_Line], i: int, line: _Line, path: Path) -> tuple[Node, int]:
    """`kind [name] [= value]`, `ref kind name`, or `changedProperty = value`."""
    kind, _, rest = line.text.partition(" ")
    rest = rest.strip()
    if "=" in kind:  # `changedProperty=IsHidden`
        kind, _, tail = kind.partition("=")
        rest = "= " + tail + rest
    if kind == "ref":
        ref_kind, _, ref_name = rest.partition(" ")
        name, _ = read_name(ref_name.strip(), path, line.number)
        node = Node("ref", name, None, path, line.number, line.level)
        node.properties["type"] = Property("type", ref_kind, line.number)
        return node, i
    name: str | None = None
    if rest and not rest.startswith("="):
        name, rest = read_name(rest, path, line.number)
        rest = rest.strip()
    value = None
    if rest.startswith("="):
        # An object's default expression continues on lines deeper than its properties (two levels down).
        value, i = _expression(lines, i, rest[1:].strip(), line.level + 2, path, line.number)
    elif rest:
        raise TmdlError(path, line.number, f"unexpected text after the name: {rest!r}")
    return Node(kind, name, value, path, line.number, line.level), i


def _expression(lines: list[_Line], i: int, first: str, min_level: int, path: Path, start: int) -> tuple[str, int]:
    """The text of an expression starting after `=`: fenced in ``` (up to the closing fence), or the rest of the
    line plus every following line indented at least `min_level` deep (blank lines inside kept)."""
    if first.startswith(_FENCE):
        body, j = [], i
        inline = first[len(_FENCE):]
        if inline.strip().endswith(_FENCE):
            return inline.strip()[:-len(_FENCE)].strip(), i
        if inline.strip():
            body.append(inline)
        while j < len(lines):
            if lines[j].text.endswith(_FENCE):
                tail = lines[j].raw.rstrip()[:-len(_FENCE)]
                if tail.strip():
                    body.append(tail)
                return textwrap.dedent("\n".join(body)).strip("\n"), j + 1
            body.append(lines[j].raw.rstrip())
            j += 1
        raise TmdlError(path, start, "unterminated ``` expression")
    body: list[str] = []
    j, last = i, i
    while j < len(lines):
        if lines[j].text and lines[j].level < min_level:
            break
        if lines[j].text:
            last = j + 1
        j += 1
    body = [line.raw.rstrip() for line in lines[i:last]]
    text = textwrap.dedent("\n".join(body)).strip("\n")
    if first and text:
        return first + "\n" + text, last
    return first or text, last


def read_name(text: str, path: Path = Path("<tmdl>"), line: int = 0, stop: str = "") -> tuple[str, str]:
    """A name at the start of `text` (quoted `'...'` with `''` for a quote, or a bare word up to whitespace, `=`
    or a character of `stop`), and the text after it."""
    if text.startswith("'"):
        j, chars = 1, []
        while j < len(text):
            if text[j] == "'":
                if text[j + 1:j + 2] == "'":
                    chars.append("'")
                    j += 2
                    continue
                return "".join(chars), text[j + 1:]
            chars.append(text[j])
            j += 1
        raise TmdlError(path, line, f"unterminated quoted name: {text!r}")
    match = re.match(r"[^\s=" + re.escape(stop) + "]+", text)
    if not match:
        raise TmdlError(path, line, f"expected a name: {text!r}")
    return match.group(0), text[match.end():]


def _unquote_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('""', '"')
    return value


def quote_name(name: str) -> str:
    """A name as TMDL writes it: bare when it is a plain word, else in single quotes."""
    return name if re.fullmatch(r"[A-Za-z_][\w-]*", name) else "'" + name.replace("'", "''") + "'"


def split_reference(text: str) -> tuple[str, str | None]:
    """`Table.Column` (either part possibly quoted) as (table, column); a bare table name as (table, None)."""
    table, rest = read_name(text.strip(), stop=".")
    if not rest.startswith("."):
        return table, None
    column, _ = read_name(rest[1:])
    return table, column


# Typed objects ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where an object is declared, for findings."""

    path: Path
    line: int


@dataclass
class AlternateOf:
    """An aggregation mapping: `summarization` (sum, min, max, count, groupBy) of `base_column` (table, column)
    or, for a count of rows, of `base_table`."""

    summarization: str
    base_table: str | None
    base_column: tuple[str, str] | None
    place: Place


@dataclass
class Column:
    table: str
    name: str
    data_type: str | None
    source_column: str | None
    expression: str | None  # a calculated column's DAX
    is_hidden: bool
    is_key: bool
    format_string: str | None
    summarize_by: str | None
    sort_by: str | None
    data_category: str | None
    description: str | None
    annotations: dict[str, str]
    alternate_of: AlternateOf | None
    place: Place

    @property
    def is_numeric(self) -> bool:
        return self.data_type in {"int64", "decimal", "double"}


@dataclass
class Measure:
    table: str
    name: str
    expression: str
    format_string: str | None
    display_folder: str | None
    description: str | None
    is_hidden: bool
    annotations: dict[str, str]
    place: Place


@dataclass
class Partition:
    table: str
    name: str
    source_type: str | None  # m, calculated, entity, ...
    mode: str  # import, directQuery, dual, default
    source: str | None
    place: Place


@dataclass
class Table:
    name: str
    description: str | None
    is_hidden: bool
    data_category: str | None
    columns: dict[str, Column]
    measures: dict[str, Measure]
    partitions: list[Partition]
    annotations: dict[str, str]
    place: Place

    @property
    def mode(self) -> str | None:
        """The storage mode of its partitions when they agree (import, directQuery or dual)."""
        modes = {p.mode for p in self.partitions}
        return modes.pop() if len(modes) == 1 else None

    @property
    def ignored_rules(self) -> set[str]:
        return _ignored(self.annotations)


@dataclass
class Relationship:
    name: str
    from_table: str
    from_column: str
    to_table: str
    to_column: str
    cross_filtering: str  # oneDirection, bothDirections, automatic
    rely_on_referential_integrity: bool
    is_active: bool
    from_cardinality: str
    to_cardinality: str
    security_filtering: str
    place: Place


@dataclass
class TablePermission:
    table: str
    filter: str | None
    place: Place


@dataclass
class Role:
    name: str
    description: str | None
    model_permission: str | None
    permissions: dict[str, TablePermission]
    members: list[str]
    place: Place


@dataclass
class Expression:
    """A shared expression (a Power Query query or parameter). A parameter is `"value" meta [IsParameterQuery=
    true, ...]`: `value` holds the literal, `meta` the record's fields."""

    name: str
    text: str
    description: str | None
    meta: dict[str, str]
    value: str | None
    place: Place

    @property
    def is_parameter(self) -> bool:
        return self.meta.get("IsParameterQuery", "").lower() == "true"


@dataclass
class SemanticModel:
    root: Path  # the definition/ folder
    database: Node | None
    model: Node | None
    refs: list[Node]
    tables: dict[str, Table]
    relationships: list[Relationship]
    roles: dict[str, Role]
    expressions: dict[str, Expression]
    files: list[Path]

    def column(self, table: str, column: str) -> Column | None:
        found = self.tables.get(table)
        return found.columns.get(column) if found else None

    def measures(self) -> dict[str, Measure]:
        return {m.name: m for t in self.tables.values() for m in t.measures.values()}


def _ignored(annotations: dict[str, str]) -> set[str]:
    """Rule ids in a `BestPracticeAnalyzer_IgnoreRules = {"RuleIDs": [...]}` annotation (Tabular Editor's
    convention for a deliberate exception)."""
    text = annotations.get("BestPracticeAnalyzer_IgnoreRules", "")
    return set(re.findall(r'"([A-Z0-9_/()\-.]+)"', text)) - {"RuleIDs"}


def ignored_rules(obj: Column | Measure | Table) -> set[str]:
    return _ignored(obj.annotations)


def _place(node: Node) -> Place:
    return Place(node.path, node.line)


def _table(node: Node) -> Table:
    name = node.name or ""
    columns, measures, partitions = {}, {}, []
    for child in node.children:
        if child.kind == "column":
            alternate = next(iter(child.children_of("alternateOf")), None)
            columns[child.name or ""] = Column(
                table=name, name=child.name or "", data_type=child.prop("dataType"),
                source_column=child.prop("sourceColumn"), expression=child.value or child.prop("expression"),
                is_hidden=child.flag("isHidden"), is_key=child.flag("isKey"), format_string=child.prop("formatString"),
                summarize_by=child.prop("summarizeBy"), sort_by=child.prop("sortByColumn"),
                data_category=child.prop("dataCategory"), description=child.description,
                annotations=child.annotations, alternate_of=_alternate_of(alternate) if alternate else None,
                place=_place(child))
        elif child.kind == "measure":
            measures[child.name or ""] = Measure(
                table=name, name=child.name or "", expression=child.value or child.prop("expression") or "",
                format_string=child.prop("formatString"), display_folder=child.prop("displayFolder"),
                description=child.description, is_hidden=child.flag("isHidden"), annotations=child.annotations,
                place=_place(child))
        elif child.kind == "partition":
            partitions.append(Partition(table=name, name=child.name or "", source_type=child.value,
                                        mode=child.prop("mode", "default") or "default", source=child.prop("source"),
                                        place=_place(child)))
    return Table(name=name, description=node.description, is_hidden=node.flag("isHidden"),
                 data_category=node.prop("dataCategory"), columns=columns, measures=measures, partitions=partitions,
                 annotations=node.annotations, place=_place(node))


def _alternate_of(node: Node) -> AlternateOf:
    """`baseColumn: Table.Column` (a qualified reference, as relationships write them), or the column alone with
    `baseTable: Table` beside it; a count of rows has `baseTable` only."""
    base_table, base_column = node.prop("baseTable"), node.prop("baseColumn")
    column: tuple[str, str] | None = None
    if base_column:
        table, name = split_reference(base_column)
        if name is not None:
            column = (table, name)
        elif base_table:
            column = (base_table, base_column.strip().strip("'").replace("''", "'"))
            base_table = None
    return AlternateOf(summarization=node.prop("summarization", "") or "", base_table=base_table,
                       base_column=column, place=_place(node))


def _relationship(node: Node) -> Relationship:
    from_table, from_column = split_reference(node.prop("fromColumn") or "")
    to_table, to_column = split_reference(node.prop("toColumn") or "")
    return Relationship(
        name=node.name or "", from_table=from_table, from_column=from_column or "", to_table=to_table,
        to_column=to_column or "", cross_filtering=node.prop("crossFilteringBehavior", "oneDirection") or "",
        rely_on_referential_integrity=node.flag("relyOnReferentialIntegrity"),
        is_active=(node.prop("isActive", "true") or "true").lower() != "false",
        from_cardinality=node.prop("fromCardinality", "many") or "many",
        to_cardinality=node.prop("toCardinality", "one") or "one",
        security_filtering=node.prop("securityFilteringBehavior", "oneDirection") or "", place=_place(node))


def _role(node: Node) -> Role:
    permissions = {child.name or "": TablePermission(child.name or "", child.value or child.prop("filterExpression"),
                                                     _place(child))
                   for child in node.children_of("tablePermission")}
    return Role(name=node.name or "", description=node.description, model_permission=node.prop("modelPermission"),
                permissions=permissions, members=[m.name or "" for m in node.children_of("member")],
                place=_place(node))


_META = re.compile(r"\bmeta\s*\[(?P<fields>.*)\]\s*$", re.DOTALL)


def _expression_object(node: Node) -> Expression:
    text = node.value or ""
    meta: dict[str, str] = {}
    value = None
    match = _META.search(text)
    if match:
        for field_match in re.finditer(r'(\w+)\s*=\s*("(?:[^"]|"")*"|\{[^}]*\}|[^,\]]+)', match["fields"]):
            meta[field_match.group(1)] = field_match.group(2).strip().strip('"')
        literal = text[:match.start()].strip()
        value = literal[1:-1].replace('""', '"') if literal.startswith('"') and literal.endswith('"') else literal
    return Expression(name=node.name or "", text=text, description=node.description, meta=meta, value=value,
                      place=_place(node))


def parse_file(path: Path) -> list[Node]:
    return parse(path.read_text(encoding="utf-8-sig"), path)


def load_model(definition: Path) -> SemanticModel:
    """Every `*.tmdl` file under a semantic model's `definition/` folder, read into one model. Raises `TmdlError`
    on the first file that does not read."""
    files = sorted(definition.rglob("*.tmdl"))
    model = SemanticModel(definition, None, None, [], {}, [], {}, {}, files)
    for path in files:
        for node in parse_file(path):
            if node.kind == "database":
                model.database = node
            elif node.kind == "model":
                model.model = node
                model.refs.extend(node.children_of("ref"))
            elif node.kind == "ref":
                model.refs.append(node)
            elif node.kind == "table":
                model.tables[node.name or ""] = _table(node)
            elif node.kind == "relationship":
                model.relationships.append(_relationship(node))
            elif node.kind == "role":
                model.roles[node.name or ""] = _role(node)
            elif node.kind == "expression":
                model.expressions[node.name or ""] = _expression_object(node)
    return model
