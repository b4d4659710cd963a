"""Copy the supplier database's tables into the landing zone by watermark, as the ingestion pipeline's Copy
activity does: rows changed since the last successful copy, up to the end of the load date, as one CSV extract
per table and day. The watermark moves only after every table of the run was written.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines import catalog

WATERMARKS = "_control/watermarks.json"
DATABASE_SOURCES = tuple(s for s in catalog.SOURCES.values() if s.format == "sqlite")


@dataclass(frozen=True)
class CopyResult:
    table: str
    rows: int
    file: str | None
    watermark: str | None


def _watermarks(landing: Path) -> dict[str, str]:
    path = landing / WATERMARKS
    return json.loads(path.read_text()) if path.exists() else {}


def copy_tables(landing: Path, through: date | None = None) -> list[CopyResult]:
    """Extract every supplier table's rows with `previous watermark < updated_at < through + 1 day` (no upper
    bound without `through`); each extract is filed under the day of the newest change it holds."""
    database = landing / catalog.SUPPLIER_DB
    if not database.exists():
        raise FileNotFoundError(f"{database}: the supplier database is not in the landing zone")
    marks = _watermarks(landing)
    upper = (through + timedelta(days=1)).isoformat() if through else "9999-12-31"
    results = []
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for source in DATABASE_SOURCES:
            table = source.path.split("#", 1)[1]
            lower = marks.get(source.name, "")
            rows = conn.execute(
                f"SELECT {', '.join(source.column_names)} FROM {table} "
                f"WHERE {source.watermark} > ? AND {source.watermark} < ? ORDER BY rowid",
                (lower, upper),
            ).fetchall()
            if not rows:
                results.append(CopyResult(source.name, 0, None, lower or None))
                continue
            mark = max(str(r[source.column_names.index(source.watermark)]) for r in rows)
            day = date.fromisoformat(mark[:10])
            rel = source.landed_path.format(date=day.isoformat(), yyyymmdd=day.strftime("%Y%m%d"))
            target = landing / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(source.column_names)
                writer.writerows(["" if v is None else v for v in row] for row in rows)
            results.append(CopyResult(source.name, len(rows), rel, mark))
    finally:
        conn.close()
    marks.update({r.table: r.watermark for r in results if r.watermark})
    path = landing / WATERMARKS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(marks, indent=1, sort_keys=True) + "\n")
    return results
