"""The local runner's database copy (what the ingestion pipeline's Copy activity does): incremental by
watermark, and a failed copy leaves the watermark where it was."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from pipelines import catalog
from pipelines.copy_database import DATABASE_SOURCES, WATERMARKS, copy_tables
from pipelines.sources.generate import GenerationResult


@pytest.fixture
def landing(clean_sources: GenerationResult, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(clean_sources.out, copy)
    shutil.rmtree(copy / "_control", ignore_errors=True)
    shutil.rmtree(copy / "supplier" / "extract", ignore_errors=True)
    return copy


def _changed(landing: Path, after: str | dict[str, str], before: str) -> dict[str, int]:
    """Rows per table whose watermark column lies in (after, before), counted straight from the database;
    `after` may be one bound or each table's own."""
    with sqlite3.connect(landing / catalog.SUPPLIER_DB) as conn:
        return {s.name: conn.execute(f"SELECT COUNT(*) FROM {s.path.split('#', 1)[1]} WHERE {s.watermark} > ? "
                                     f"AND {s.watermark} < ?",
                                     (after if isinstance(after, str) else after.get(s.name, ""), before))
                .fetchone()[0] for s in DATABASE_SOURCES}


def test_a_second_run_copies_only_new_rows(landing: Path) -> None:
    first = {r.table: r for r in copy_tables(landing, date(2026, 1, 10))}
    assert {t: r.rows for t, r in first.items()} == _changed(landing, "", "2026-01-11")
    assert sum(r.rows for r in first.values()) > 0
    again = copy_tables(landing, date(2026, 1, 10))
    assert all(r.rows == 0 and r.file is None for r in again)
    marks = json.loads((landing / WATERMARKS).read_text())
    assert marks == {t: r.watermark for t, r in first.items() if r.watermark}
    later = {r.table: r.rows for r in copy_tables(landing, date(2026, 1, 12))}
    assert {t: later[t] + first[t].rows for t in later} == _changed(landing, "", "2026-01-13")  # no row twice


def test_a_failed_copy_leaves_the_watermark_unchanged(landing: Path) -> None:
    copy_tables(landing, date(2026, 1, 10))
    before = (landing / WATERMARKS).read_text()
    last = DATABASE_SOURCES[-1]
    blocked = landing / last.landed_path.format(date="2026-01-12", yyyymmdd="20260112")
    blocked.mkdir(parents=True)  # a folder where the extract file must go: the write fails
    with pytest.raises(IsADirectoryError):
        copy_tables(landing, date(2026, 1, 12))
    assert (landing / WATERMARKS).read_text() == before
    blocked.rmdir()
    retried = {r.table: r.rows for r in copy_tables(landing, date(2026, 1, 12))}
    assert retried == _changed(landing, json.loads(before), "2026-01-13")  # the retry copies the whole window
