"""The Power BI project as the checks see it, built once: the PBIP files, the semantic model read from TMDL, each
table's source in the warehouse (the `rpt` view or native query its partitions read, with typed columns), the
relationship graph, and the report's pages and visuals."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from semantic_model.tmdl import Partition, SemanticModel, TmdlError, load_model
from semantic_model.warehouse import Catalog, SqlColumn, query_columns, query_relations, reporting_views

_NAVIGATION = re.compile(
    r'\{\s*\[\s*(?:Schema\s*=\s*"(?P<schema>[^"]*)"\s*,\s*Item\s*=\s*"(?P<item>[^"]*)"'
    r'|Item\s*=\s*"(?P<item2>[^"]*)"\s*,\s*Schema\s*=\s*"(?P<schema2>[^"]*)")\s*\]\s*\}\s*\[\s*Data\s*\]')
_SQL_DATABASE = re.compile(r"Sql\.Databases?\s*\((?P<args>[^)]*)\)")
_NATIVE = re.compile(r"Value\.NativeQuery\s*\(")
_M_STRING = re.compile(r'"((?:[^"]|"")*)"')


@dataclass
class Source:
    """What a table's partition reads from the pool: a view (navigation) or a native query over views."""

    partition: Partition
    relations: set[str]  # schema.name of the views or tables read
    columns: dict[str, SqlColumn] | None  # the output columns, None when they cannot be known
    arguments: list[str] | None  # Sql.Database(...) arguments, None when the source does not call it
    native_sql: str | None = None
    problem: str | None = None  # why the source could not be read


@dataclass
class Visual:
    path: Path
    data: dict[str, Any]


@dataclass
class Project:
    root: Path  # the folder holding the *.pbip, *.SemanticModel and *.Report
    catalog: Catalog
    model_dirs: list[Path] = field(default_factory=list)
    report_dirs: list[Path] = field(default_factory=list)
    pbip_files: list[Path] = field(default_factory=list)
    model: SemanticModel | None = None
    model_error: TmdlError | None = None

    @classmethod
    def load(cls, root: Path, catalog: Catalog) -> Project:
        project = cls(root, catalog, sorted(root.glob("*.SemanticModel")), sorted(root.glob("*.Report")),
                      sorted(root.glob("*.pbip")))
        definition = project.model_dirs[0] / "definition" if project.model_dirs else None
        if definition is not None and definition.is_dir():
            try:
                project.model = load_model(definition)
            except TmdlError as error:
                project.model_error = error
        return project

    @cached_property
    def views(self) -> dict:
        return reporting_views(self.catalog)

    @cached_property
    def sources(self) -> dict[str, Source]:
        """Each table's source, from its first partition that reads the pool."""
        found: dict[str, Source] = {}
        for table in self.model.tables.values() if self.model else []:
            for partition in table.partitions:
                source = self._source(partition)
                if source is not None:
                    found[table.name] = source
                    break
        return found

    def _source(self, partition: Partition) -> Source | None:
        text = partition.source or ""
        if partition.source_type not in (None, "m") or not text:
            return None
        database = _SQL_DATABASE.search(text)
        arguments = [a.strip() for a in database["args"].split(",")] if database else None
        if _NATIVE.search(text):
            sql = native_sql(text)
            if sql is None:
                return Source(partition, set(), None, arguments, problem="the native query's SQL is not a literal")
            try:
                return Source(partition, query_relations(sql), query_columns(sql, self.catalog), arguments, sql)
            except Exception as error:
                return Source(partition, set(), None, arguments, sql, problem=f"the native query does not parse: "
                                                                              f"{str(error).splitlines()[0]}")
        navigation = _NAVIGATION.search(text)
        if navigation:
            schema = navigation["schema"] or navigation["schema2"] or "dbo"
            item = navigation["item"] or navigation["item2"] or ""
            name = f"{schema}.{item}".lower()
            return Source(partition, {name}, self.catalog.relation(name), arguments)
        if database:
            return Source(partition, set(), None, arguments, problem="no Schema/Item navigation to a view")
        return None

    @cached_property
    def visuals(self) -> list[Visual]:
        found = []
        for report in self.report_dirs:
            for path in sorted((report / "definition" / "pages").glob("*/visuals/*/visual.json")):
                try:
                    found.append(Visual(path, json.loads(path.read_text(encoding="utf-8"))))
                except json.JSONDecodeError:
                    continue  # reported by the schema check
        return found

    # The relationship graph ----------------------------------------------------------------------------------

    def filtered_by(self, tables: set[str]) -> set[str]:
        """The tables a filter on `tables` reaches through active relationships (one side to many side, and both
        ways on a bi-directional relationship that also applies to security)."""
        reached = set(tables)
        changed = True
        while changed:
            changed = False
            for r in self.model.relationships if self.model else []:
                if not r.is_active:
                    continue
                if r.to_table in reached and r.from_table not in reached:
                    reached.add(r.from_table)
                    changed = True
                if (r.from_table in reached and r.to_table not in reached and r.cross_filtering == "bothDirections"
                        and r.security_filtering == "bothDirections"):
                    reached.add(r.to_table)
                    changed = True
        return reached

    def detail_tables(self, table_name: str) -> set[str]:
        """The tables an aggregation table's alternateOf mappings point at (sum/count/min/max to the detail table,
        groupBy to the detail table or its dimensions)."""
        table = self.model.tables.get(table_name) if self.model else None
        found = set()
        for column in table.columns.values() if table else []:
            alternate = column.alternate_of
            if alternate and alternate.summarization.lower() != "groupby":
                found.add(alternate.base_table or (alternate.base_column[0] if alternate.base_column else ""))
        return found - {""}

    @cached_property
    def aggregation_tables(self) -> list[str]:
        return [t.name for t in self.model.tables.values() if any(c.alternate_of for c in t.columns.values())] \
            if self.model else []


def native_sql(source: str) -> str | None:
    """The SQL a `Value.NativeQuery` sends: a text literal, or `Text.Combine({literals}, separator)`."""
    combine = re.search(r"Text\.Combine\s*\(\s*\{(?P<items>.*?)\}\s*(?:,\s*\"(?P<sep>(?:[^\"]|\"\")*)\")?\s*\)",
                        source, re.DOTALL)
    if combine:
        parts = [_m_text(m.group(1)) for m in _M_STRING.finditer(combine["items"])]
        return _m_text(combine["sep"] or "").join(parts)
    call = _NATIVE.search(source)
    tail = source[call.end():] if call else ""
    literal = re.match(r'\s*[^,]+,\s*"((?:[^"]|"")*)"', tail, re.DOTALL)
    return _m_text(literal.group(1)) if literal else None


def _m_text(text: str) -> str:
    return text.replace('""', '"').replace("#(lf)", "\n").replace("#(cr)", "\r").replace("#(tab)", "\t")
