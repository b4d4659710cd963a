"""The checks on the PBIP files: the folder layout Power BI Desktop and Fabric expect, the JSON files against their
published schemas (restated in `semantic_model/schemas/`), the references between files (report to model, PBIP to
report, pages.json to page folders, model.tmdl's `ref` lines) and the report's fields against the model."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from semantic_model.validate.model import Hit
from semantic_model.validate.project import Project
from semantic_model.validate.schema_check import errors, stored_schemas

# Which stored schema each JSON file of the project answers to, by a segment of the schema URL.
SCHEMA_KINDS = {
    ".pbip": "/pbip/pbipProperties/",
    "definition.pbism": "/semanticModel/definitionProperties/",
    "definition.pbir": "/report/definitionProperties/",
    ".platform": "/gitIntegration/platformProperties/",
    "version.json": "/report/definition/versionMetadata/",
    "report.json": "/report/definition/report/",
    "pages.json": "/report/definition/pagesMetadata/",
    "page.json": "/report/definition/page/",
    "visual.json": "/report/definition/visualContainer/",
}
MODEL_FILES = ("definition.pbism", "definition/database.tmdl", "definition/model.tmdl", "definition/tables")
REPORT_FILES = ("definition.pbir", "definition/version.json", "definition/report.json", "definition/pages/pages.json")


def _kind(path: Path) -> str | None:
    if path.suffix == ".pbip":
        return ".pbip"
    return path.name if path.name in SCHEMA_KINDS else None


def json_files(project: Project) -> list[Path]:
    files = list(project.pbip_files)
    for folder in [*project.model_dirs, *project.report_dirs]:
        files += [p for p in sorted(folder.rglob("*")) if p.is_file() and _kind(p) and ".pbi" not in p.parts]
        files += [p for p in [folder / ".platform"] if p.is_file() and p not in files]
    return files


def _read_json(path: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig")), None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return None, str(error)


def files_present(project: Project) -> Iterator[Hit]:
    if not project.model_dirs:
        yield Hit(project.root, 1, "project", "no *.SemanticModel folder")
    if not project.report_dirs:
        yield Hit(project.root, 1, "project", "no *.Report folder")
    if not project.pbip_files:
        yield Hit(project.root, 1, "project", "no *.pbip file (the shortcut Power BI Desktop opens)")
    for folder, required in [*((m, MODEL_FILES) for m in project.model_dirs),
                             *((r, REPORT_FILES) for r in project.report_dirs)]:
        for name in required:
            if not (folder / name).exists():
                yield Hit(folder, 1, folder.name, f"missing {name}")


def tmdl_syntax(project: Project) -> Iterator[Hit]:
    error = project.model_error
    if error is not None:
        yield Hit(error.path, error.line, error.path.name, error.message)


def _schema_for(document: Any, kind: str) -> tuple[dict | None, str | None]:
    """The stored schema to check a document with, and a note when its own `$schema` version is not stored (then
    the stored version of the same kind is used, without its `$schema` constraint)."""
    stored = stored_schemas()
    candidates = sorted(url for url in stored if SCHEMA_KINDS[kind] in url)
    if not candidates:
        return None, None
    url = document.get("$schema") if isinstance(document, dict) else None
    if url in stored:
        return stored[url], None
    latest = stored[candidates[-1]]
    declared = latest.get("properties", {}).get("$schema", {})
    if isinstance(url, str) and "pattern" in declared and re.search(declared["pattern"], url):
        return latest, None
    relaxed = copy.deepcopy(latest)
    relaxed.get("properties", {}).pop("$schema", None)
    relaxed["required"] = [r for r in relaxed.get("required", []) if r != "$schema"]
    return relaxed, f"{url or 'no $schema'}: no stored restatement; checked against {candidates[-1]}"


def json_schemas(project: Project) -> Iterator[Hit]:
    for path in json_files(project):
        document, problem = _read_json(path)
        if problem:
            yield Hit(path, 1, path.name, f"not JSON: {problem}")
            continue
        schema, _ = _schema_for(document, _kind(path) or "")
        for message in errors(document, schema) if schema else []:
            yield Hit(path, 1, path.name, message)


def schema_versions(project: Project) -> Iterator[Hit]:
    for path in json_files(project):
        document, problem = _read_json(path)
        if problem is None:
            _, note = _schema_for(document, _kind(path) or "")
            if note:
                yield Hit(path, 1, path.name, note)


def model_refs(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    known = {"table": project.model.tables, "role": project.model.roles, "expression": project.model.expressions}
    for ref in project.model.refs:
        kind = ref.prop("type") or ""
        if kind in known and ref.name not in known[kind]:
            yield Hit(ref.path, ref.line, f"ref {kind} {ref.name}", f"no {kind} named {ref.name!r} in the model")


def file_references(project: Project) -> Iterator[Hit]:
    for pbip in project.pbip_files:
        document, _ = _read_json(pbip)
        for artifact in (document or {}).get("artifacts", []) if isinstance(document, dict) else []:
            path = (artifact.get("report") or {}).get("path")
            if path and not (pbip.parent / path / "definition.pbir").is_file():
                yield Hit(pbip, 1, pbip.name, f"artifact path {path!r} is not a report folder with definition.pbir")
    for report in project.report_dirs:
        pbir = report / "definition.pbir"
        document, _ = _read_json(pbir) if pbir.is_file() else (None, None)
        reference = document.get("datasetReference", {}) if isinstance(document, dict) else {}
        by_path, by_connection = reference.get("byPath"), reference.get("byConnection")
        if document is not None and (by_path is None) == (by_connection is None):
            yield Hit(pbir, 1, pbir.name, "datasetReference needs exactly one of byPath and byConnection")
        if by_path and not (report / by_path.get("path", "") / "definition.pbism").is_file():
            yield Hit(pbir, 1, pbir.name, f"byPath {by_path.get('path')!r} is not a semantic model folder "
                                          f"(no definition.pbism)")
        pages_dir = report / "definition" / "pages"
        pages, _ = _read_json(pages_dir / "pages.json") if (pages_dir / "pages.json").is_file() else (None, None)
        order = pages.get("pageOrder", []) if isinstance(pages, dict) else []
        folders = {p.name for p in pages_dir.iterdir() if p.is_dir()} if pages_dir.is_dir() else set()
        for name in order:
            if name not in folders:
                yield Hit(pages_dir / "pages.json", 1, "pages.json", f"pageOrder names {name!r}, which has no folder")
        for name in sorted(folders - set(order)):
            yield Hit(pages_dir / "pages.json", 1, "pages.json", f"page folder {name!r} is not in pageOrder")
        active = pages.get("activePageName") if isinstance(pages, dict) else None
        if active and active not in folders:
            yield Hit(pages_dir / "pages.json", 1, "pages.json", f"activePageName {active!r} is not a page")
        for folder in sorted(pages_dir.glob("*/page.json")) + sorted(pages_dir.glob("*/visuals/*/visual.json")):
            document, _ = _read_json(folder)
            name = document.get("name") if isinstance(document, dict) else None
            if name is not None and name != folder.parent.name:
                yield Hit(folder, 1, folder.name, f"name {name!r} differs from its folder {folder.parent.name!r}")


def _fields(node: Any) -> Iterator[tuple[str, str, str]]:
    """(kind, entity, property) of every Column/Measure field in a visual's JSON."""
    if isinstance(node, dict):
        for kind in ("Column", "Measure"):
            field = node.get(kind)
            if isinstance(field, dict) and "Property" in field:
                entity = field.get("Expression", {}).get("SourceRef", {}).get("Entity")
                if entity:
                    yield kind, entity, field["Property"]
        for value in node.values():
            yield from _fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from _fields(value)


def report_fields(project: Project) -> Iterator[Hit]:
    if project.model is None:
        return
    tables = project.model.tables
    for visual in project.visuals:
        for kind, entity, name in sorted(set(_fields(visual.data))):
            table = tables.get(entity)
            where = f"{visual.path.parent.name} {entity}[{name}]"
            if table is None:
                yield Hit(visual.path, 1, where, f"no table {entity!r} in the model")
            elif kind == "Measure" and name not in table.measures:
                yield Hit(visual.path, 1, where, f"no measure {name!r} on {entity}")
            elif kind == "Column" and name not in table.columns:
                yield Hit(visual.path, 1, where, f"no column {name!r} on {entity}")
