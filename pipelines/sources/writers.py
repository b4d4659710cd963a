"""Serialise source records as the source systems do (CSV, JSON lines, SQLite) and apply injected defects.

A record is a row (CSV and SQLite: a list of values in contract order) or a document (JSON: a dict). Defects
are applied here, just before writing, and each one is recorded in the manifest with its file and line.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.sources.defects import Manifest

INVALID_UTF8 = "\udcff\udcfe"  # written as the raw bytes FF FE through the surrogateescape error handler
UNKNOWN_CODES = {"store_code": "S999", "sku": "P99999"}
WRONG_TYPES = ("two", "12,99", "N/A", "1O")
FUTURE = timedelta(days=400)
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class DefectFields:
    """Which fields of a source each defect type may touch (paths into a document, or column names)."""

    numbers: dict[Path_, tuple[Any, Any]] = field(default_factory=dict)  # path -> (too low, too high)
    codes: tuple[Path_, ...] = ()
    timestamp: Path_ | None = None
    mandatory: tuple[Path_, ...] = ()
    text: Path_ | None = None


@dataclass
class Batch:
    """Records bound for one file, with the defect (or None) and the record id of each."""

    records: list[Any] = field(default_factory=list)
    tags: list[str | None] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def extend(self, records: list[Any], tags: list[str | None], ids: list[str]) -> None:
        self.records.extend(records)
        self.tags.extend(tags)
        self.ids.extend(ids)

    def split_late(self) -> Batch:
        """Take out the records that arrive a day late; they are written with the next delivery."""
        late_at = [i for i, tag in enumerate(self.tags) if tag == "late_arrival"]
        late = Batch([self.records[i] for i in late_at], [self.tags[i] for i in late_at],
                     [self.ids[i] for i in late_at])
        if late_at:
            keep = [i for i, tag in enumerate(self.tags) if tag != "late_arrival"]
            self.records = [self.records[i] for i in keep]
            self.tags = [self.tags[i] for i in keep]
            self.ids = [self.ids[i] for i in keep]
        return late

    def __len__(self) -> int:
        return len(self.records)


def _get(doc: Any, path: Path_) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _set(doc: Any, path: Path_, value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


def _shift_timestamp(value: str) -> str:
    iso = value.endswith("Z")
    parsed = datetime.fromisoformat(value.removesuffix("Z"))
    shifted = parsed + FUTURE
    return shifted.strftime("%Y-%m-%dT%H:%M:%SZ") if iso else shifted.strftime("%Y-%m-%d %H:%M:%S")


def mutate(doc: Any, defect: str, fields: DefectFields, rng: np.random.Generator, as_text: bool) -> None:
    """Apply one record-level defect in place. `as_text`: the source stores every value as text (CSV)."""
    if defect == "wrong_type":
        path = list(fields.numbers)[int(rng.integers(len(fields.numbers)))]
        _set(doc, path, WRONG_TYPES[int(rng.integers(len(WRONG_TYPES)))])
    elif defect == "out_of_range":
        path = list(fields.numbers)[int(rng.integers(len(fields.numbers)))]
        value = fields.numbers[path][int(rng.integers(2))]
        _set(doc, path, str(value) if as_text else value)
    elif defect == "unknown_code":
        path = fields.codes[int(rng.integers(len(fields.codes)))]
        _set(doc, path, UNKNOWN_CODES[str(path[-1])])
    elif defect == "future_timestamp":
        assert fields.timestamp is not None
        _set(doc, fields.timestamp, _shift_timestamp(_get(doc, fields.timestamp)))
    elif defect == "missing_mandatory":
        path = fields.mandatory[int(rng.integers(len(fields.mandatory)))]
        _set(doc, path, "" if as_text else None)
    elif defect == "invalid_utf8":
        assert fields.text is not None
        text = str(_get(doc, fields.text) or "")
        cut = len(text) // 2
        _set(doc, fields.text, text[:cut] + INVALID_UTF8 + text[cut:])
    else:
        raise ValueError(f"{defect} is not a record mutation")


def _write_bytes(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def _ordered(batch: Batch, rng: np.random.Generator) -> list[tuple[Any, str | None, str]]:
    """File order: every record once, then the duplicate copies (later in the same delivery)."""
    rows = list(zip(batch.records, batch.tags, batch.ids, strict=True))
    copies = [(r, "duplicate", i) for r, t, i in rows if t == "duplicate"]
    originals = [(r, None if t == "duplicate" else t, i) for r, t, i in rows]
    if copies:
        rng.shuffle(copies)  # type: ignore[arg-type]
    return originals + copies


def _tagged(batch: Batch, rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Positions of the records carrying a defect, and the duplicate copies' originals in their file order."""
    tagged = [i for i, tag in enumerate(batch.tags) if tag is not None]
    copies = [i for i in tagged if batch.tags[i] == "duplicate"]
    rng.shuffle(copies)  # type: ignore[arg-type]
    return [i for i in tagged if batch.tags[i] != "duplicate"], copies


def write_csv(path: Path, rel: str, source: str, header: list[str], batch: Batch, fields: DefectFields,
              manifest: Manifest, rng: np.random.Generator) -> int:
    """Write a CSV delivery; returns the number of data lines written. Clean stretches go out in one call."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    tagged, copies = _tagged(batch, rng)
    done = 0
    for i in tagged:
        writer.writerows(batch.records[done:i])
        done = i + 1
        row, tag = batch.records[i], batch.tags[i]
        assert tag is not None
        manifest.record(tag, source, rel, i + 2, batch.ids[i])
        if tag == "malformed":
            buffer.write(",".join(str(v).replace('"', "") for v in row[: len(row) // 2]) + "\n")
        elif tag == "late_arrival":
            writer.writerow(row)
        else:
            doc = dict(zip(header, row, strict=True))
            mutate(doc, tag, fields, rng, as_text=True)
            writer.writerow([doc[h] for h in header])
    writer.writerows(batch.records[done:])
    for n, i in enumerate(copies):
        manifest.record("duplicate", source, rel, len(batch) + 2 + n, batch.ids[i])
        writer.writerow(batch.records[i])
    _write_bytes(path, buffer.getvalue())
    return len(batch) + len(copies)


def write_jsonl(path: Path, rel: str, source: str, batch: Batch, fields: DefectFields, manifest: Manifest,
                rng: np.random.Generator) -> int:
    out = []
    for line, (doc, tag, rid) in enumerate(_ordered(batch, rng), start=1):
        if tag is not None:
            manifest.record(tag, source, rel, line, rid)
        if tag not in (None, "duplicate", "late_arrival", "malformed"):
            doc = json.loads(json.dumps(doc))  # mutate a copy: the original may be referenced elsewhere
            mutate(doc, tag, fields, rng, as_text=False)
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        out.append(text[: len(text) // 2] if tag == "malformed" else text)
    _write_bytes(path, "\n".join(out) + ("\n" if out else ""))
    return len(out)


def write_sqlite_table(conn: sqlite3.Connection, rel: str, source: str, table: str, columns: list[tuple[str, str]],
                       batch: Batch, fields: DefectFields, manifest: Manifest, rng: np.random.Generator) -> int:
    """Create and fill one table; defects land as a real source database holds them (SQLite keeps 'ten' in
    an INTEGER column as text)."""
    names = [c for c, _ in columns]
    conn.execute(f"CREATE TABLE {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
    rows = []
    for rowid, (row, tag, rid) in enumerate(_ordered(batch, rng), start=1):
        if tag is not None:
            manifest.record(tag, source, rel, rowid, rid)
            doc = dict(zip(names, row, strict=True))
            if tag != "duplicate":
                mutate(doc, tag, fields, rng, as_text=False)
            row = [doc[c] for c in names]
        rows.append(row)
    conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(names))})", rows)
    return len(rows)
