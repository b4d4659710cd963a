"""The source catalog as the Synapse ingestion pipeline reads it: one JSON record per source.

`pl_ingest_sources` (workspace/pipeline/) starts with a Lookup of `_control/source_catalog.json` in the landing
container and loops over its records, so the pipeline and the local code share `pipelines.catalog.SOURCES`:
the deployer writes this file with `write_catalog` and uploads it on every release. Each record carries only
plain values the pipeline's expressions can use as they are (`@item().folder`, ...):

    name, system, format, description   as in the catalog
    path, folder, file                  where the delivery sits: the catalog path, split at its last "/";
                                        templates with {date} (YYYY-MM-DD), {yyyymmdd} and {store} (any store)
    landed_path, landed_folder,         where the pipeline writes it in the landing container, which is where
    landed_file, landed_format          bronze reads it (database tables land as CSV extracts)
    ingest                              how the pipeline fetches it: "files" (moved from the store drop),
                                        "database" (watermark query on the supplier SQL Server), "api" (the
                                        e-commerce order export API)
    schema, table                       the SQL Server table of a database source (null otherwise)
    api_path                            the API path of an api source, with {date} (null otherwise)
    columns                             the contract's column names, in order (a database extract selects them)
    key, watermark                      business key columns; the column whose high-water mark the pipeline
                                        keeps (null when the source has none)

Database sources also need a watermark file before their first run (the pipeline's Lookup reads it):
`write_watermark_seeds` writes the missing ones, never touching a file the pipeline has written since.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.catalog import SOURCES, Source

CATALOG_FILE = "_control/source_catalog.json"  # relative to the landing container
WATERMARK_FOLDER = "_control/watermarks"  # one `<source name>.json` per database source
SQL_SERVER_SCHEMA = "dbo"  # the supplier database's tables on the on-premises SQL Server
SEED_WATERMARK = "1900-01-01T00:00:00"  # before any row: the first run extracts everything
# Systems fetched from an API in Azure (locally their export files are generated like any other delivery).
API_PATHS = {"ecommerce": "orders/export?date={date}"}


def _split(path: str) -> tuple[str, str]:
    folder, _, file = path.rpartition("/")
    return folder, file


def ingest_kind(source: Source) -> str:
    if source.format == "sqlite":
        return "database"
    return "api" if source.system in API_PATHS else "files"


def catalog_record(source: Source) -> dict[str, Any]:
    folder, file = _split(source.path)
    landed_folder, landed_file = _split(source.landed_path)
    kind = ingest_kind(source)
    return {
        "name": source.name,
        "system": source.system,
        "format": source.format,
        "description": source.description,
        "ingest": kind,
        "path": source.path,
        "folder": folder,
        "file": file,
        "landed_path": source.landed_path,
        "landed_folder": landed_folder,
        "landed_file": landed_file,
        "landed_format": source.landed_format,
        "schema": SQL_SERVER_SCHEMA if kind == "database" else None,
        "table": source.path.split("#", 1)[1] if kind == "database" else None,
        "api_path": API_PATHS[source.system] if kind == "api" else None,
        "columns": list(source.column_names),
        "key": list(source.key),
        "watermark": source.watermark,
    }


def catalog_records() -> list[dict[str, Any]]:
    """Every source of `pipelines.catalog.SOURCES`, in catalog order."""
    return [catalog_record(source) for source in SOURCES.values()]


def write_catalog(path: str | Path) -> Path:
    """Write the records as one JSON array (what the pipeline's Lookup reads, firstRowOnly false)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(catalog_records(), indent=1) + "\n", encoding="utf-8")
    return target


def watermark_seed(source: Source) -> dict[str, str]:
    """The watermark file of a database source before its first run, in the shape the pipeline writes:
    `watermark` the high-water mark; `previous` and `load_date` the lower bound and date of the last run (a
    re-run of the same date extracts from `previous` again, so it rewrites that day's extract in full)."""
    return {"source": source.name, "watermark": SEED_WATERMARK, "previous": SEED_WATERMARK,
            "load_date": SEED_WATERMARK[:10]}


def write_watermark_seeds(folder: str | Path) -> list[Path]:
    """Write `<name>.json` into `folder` (the landing container's `_control/watermarks`) for each database source
    that has none yet; returns the files written. Existing files are the pipeline's state and stay as they are."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in SOURCES.values():
        if ingest_kind(source) != "database" or not source.watermark:
            continue
        path = target / f"{source.name}.json"
        if not path.exists():
            path.write_text(json.dumps(watermark_seed(source)) + "\n", encoding="utf-8")
            written.append(path)
    return written
