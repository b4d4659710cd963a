"""The local runner's ingestion: what `pl_ingest_sources` (workspace/pipeline/) does in Azure, from the same catalog.

The source systems leave their files under `drop/<catalog path>` in the landing folder; bronze reads them at
`<catalog path>`. For every source the catalog does not extract from a database (its `ingest` is "files", or
"api": locally the web shop's API export is a file like any other), each delivery dated up to the load date is
moved from the drop to its landing path, bytes untouched, and the drop copy is gone afterwards. The move is the
files' watermark: what was moved is no longer in the drop, so a re-run moves nothing twice and a run that failed
half-way continues where it stopped. The supplier database is then copied by watermark (`copy_tables`).

One difference from Azure, on purpose: the pipeline moves only the load date's files, the local run everything up
to it, so a catch-up run (or `retail batch run --full`) takes the days it missed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from pipelines.catalog_export import catalog_records
from pipelines.copy_database import CopyResult, copy_tables

DROP = "drop"  # the drop folder in the landing folder (the generator's `drop=True` writes there)
# What each placeholder of a catalog path matches ({store} never crosses a folder).
_FIELDS = {"date": r"\d{4}-\d{2}-\d{2}", "yyyymmdd": r"\d{8}", "store": r"[^/]+"}


class DeliveryConflictError(RuntimeError):
    """A delivery's landing path already holds other bytes: a delivery is never overwritten silently."""


@dataclass
class Moved:
    """One file source's deliveries taken from the drop in this run."""

    files: int = 0
    bytes: int = 0
    already_landed: int = 0  # drop copies removed because the same bytes were already at the landing path
    paths: list[str] = field(default_factory=list)  # landing paths written, like the pipeline's copy log


@dataclass
class IngestReport:
    files: dict[str, Moved]  # every file source of the catalog, in catalog order
    database: list[CopyResult]

    @property
    def files_moved(self) -> int:
        return sum(m.files for m in self.files.values())

    @property
    def bytes_moved(self) -> int:
        return sum(m.bytes for m in self.files.values())

    @property
    def rows_copied(self) -> int:
        return sum(c.rows for c in self.database)

    def __str__(self) -> str:
        moved = ", ".join(f"{name} {m.files}" for name, m in self.files.items() if m.files) or "nothing"
        copied = ", ".join(f"{c.table} {c.rows}" for c in self.database if c.rows) or "nothing"
        return (f"files moved: {self.files_moved} ({self.bytes_moved:,} bytes): {moved}; "
                f"database rows copied: {self.rows_copied}: {copied}")


def _pattern(template: str) -> re.Pattern[str]:
    """A catalog path template as a regex with one named group per placeholder (a repeat must match the same)."""
    parts, seen, out = re.split(r"\{(\w+)\}", template), set(), []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(re.escape(part))
        elif part in seen:
            out.append(f"(?P={part})")
        else:
            seen.add(part)
            out.append(f"(?P<{part}>{_FIELDS[part]})")
    return re.compile("".join(out))


def _delivery_date(fields: dict[str, str]) -> date | None:
    """The date a delivery belongs to; None for an undated one (reference/stores.csv), which is always due."""
    if "date" in fields:
        return date.fromisoformat(fields["date"])
    if "yyyymmdd" in fields:
        return datetime.strptime(fields["yyyymmdd"], "%Y%m%d").date()
    return None


def _deliveries(drop: Path, template: str, through: date | None) -> list[tuple[Path, dict[str, str]]]:
    """The drop's files of one source dated up to `through`, oldest first, with their placeholder values."""
    pattern = _pattern(template)
    found: list[tuple[date, str, Path, dict[str, str]]] = []
    for path in drop.glob(re.sub(r"\{\w+\}", "*", template)):
        match = pattern.fullmatch(path.relative_to(drop).as_posix())
        if match is None or not path.is_file():
            continue
        day = _delivery_date(match.groupdict())
        if through is None or day is None or day <= through:
            found.append((day or date.min, path.as_posix(), path, match.groupdict()))
    return [(path, fields) for _, _, path, fields in sorted(found)]


def _prune(folder: Path, drop: Path) -> None:
    """Remove the folders a move emptied, up to the drop folder itself (an empty day folder is noise only)."""
    while folder != drop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def move_delivery(source: Path, target: Path) -> bool:
    """Move one file; False when the target already held the same bytes (the drop copy is just removed).
    Raises DeliveryConflictError, leaving both files as they are, when the target holds other bytes."""
    if target.exists():
        if target.read_bytes() != source.read_bytes():
            raise DeliveryConflictError(
                f"{target} already exists with other content than the delivery {source}; a delivery is never "
                "overwritten: check which one is right, remove the other, then run the ingestion again")
        source.unlink()
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    source.replace(target)  # one rename in the same folder tree: the file is either in the drop or landed
    return True


def ingest(landing: Path, through: date | None = None) -> IngestReport:
    """Move every file delivery dated up to `through` (all when None) from `landing/drop/` to its landing path,
    then copy the supplier database's changed rows up to `through`. Sources and paths come from the catalog
    records the Synapse pipeline reads, so both classify and place every source alike."""
    drop = landing / DROP
    moved: dict[str, Moved] = {}
    for record in catalog_records():
        if record["ingest"] == "database":
            continue
        report = moved[record["name"]] = Moved()
        for path, fields in _deliveries(drop, record["path"], through):
            rel = record["landed_path"].format(**fields)
            size = path.stat().st_size
            if move_delivery(path, landing / rel):
                report.files += 1
                report.bytes += size
                report.paths.append(rel)
            else:
                report.already_landed += 1
            _prune(path.parent, drop)
    return IngestReport(moved, copy_tables(landing, through))
