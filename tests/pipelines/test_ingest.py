"""The local runner's ingestion (what `pl_ingest_sources` does in Azure): dropped file deliveries move into place
up to the load date, once, never overwriting a different delivery; the supplier database is copied by watermark;
bronze sees the same bytes as when the generator writes straight into the landing folder."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from pipelines import catalog
from pipelines.ingest import DROP, DeliveryConflictError, ingest
from pipelines.sources.defects import DefectRates
from pipelines.sources.generate import MANIFEST, GenerationResult, generate

SEED, DAYS = 21, 5
START = date(2026, 1, 5)
DAY2 = date(2026, 1, 6)
LAST = START + timedelta(days=DAYS - 1)
# Defects in the bytes (invalid UTF-8, schema drift, ...) and late arrivals, delivered the day after the period.
RATES = DefectRates.scaled(5, {"late_arrival": 0.05})


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def delivered(rel: str) -> date | None:
    """The delivery date of a landing path, read from the path alone (None: undated, like reference/stores.csv)."""
    if found := re.search(r"(\d{4}-\d{2}-\d{2})/", rel):
        return date.fromisoformat(found[1])
    if found := re.search(r"_(\d{4})(\d{2})(\d{2})\.\w+$", rel):
        return date(int(found[1]), int(found[2]), int(found[3]))
    return None


@pytest.fixture(scope="module")
def dropped(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    return generate(tmp_path_factory.mktemp("dropped") / "landing", "tiny", seed=SEED, rates=RATES, days=DAYS,
                    drop=True)


@pytest.fixture(scope="module")
def direct(tmp_path_factory: pytest.TempPathFactory) -> GenerationResult:
    return generate(tmp_path_factory.mktemp("direct") / "landing", "tiny", seed=SEED, rates=RATES, days=DAYS)


@pytest.fixture
def landing(dropped: GenerationResult, tmp_path: Path) -> Path:
    copy = tmp_path / "landing"
    shutil.copytree(dropped.out, copy)
    return copy


def test_generate_drops_every_file_delivery_and_keeps_the_database_in_place(dropped: GenerationResult) -> None:
    landed = files(dropped.out)
    assert set(landed) - {p for p in landed if p.startswith(f"{DROP}/")} == {MANIFEST, catalog.SUPPLIER_DB}
    dropped_paths = {p.removeprefix(f"{DROP}/") for p in landed if p.startswith(f"{DROP}/")}
    # The manifest names files where bronze reads them: every defect's file is one of the dropped deliveries.
    for defect in dropped.manifest["defects"].values():
        for record in defect["records"]:
            assert record["file"] in dropped_paths | {catalog.SUPPLIER_DB}, record
    assert any((delivered(p) or START) > LAST for p in dropped_paths), "no delivery after the period"


def test_ingest_moves_the_deliveries_up_to_the_date_once(landing: Path) -> None:
    before = {p.removeprefix(f"{DROP}/"): b for p, b in files(landing).items() if p.startswith(f"{DROP}/")}
    due = {p for p in before if (delivered(p) or START) <= DAY2}
    assert due and due != set(before)

    report = ingest(landing, DAY2)
    after = files(landing)
    left = {p.removeprefix(f"{DROP}/") for p in after if p.startswith(f"{DROP}/")}
    assert left == set(before) - due
    assert {p: after[p] for p in due} == {p: before[p] for p in due}  # moved, bytes untouched
    assert {p for m in report.files.values() for p in m.paths} == due
    assert report.files_moved == len(due) and report.bytes_moved == sum(len(before[p]) for p in due)
    assert report.files["stores"].files == 1 and report.files["pos_sales"].files == 2 * 3  # 2 days x 3 stores
    assert "suppliers" not in report.files  # database sources are copied, not moved
    assert report.rows_copied > 0
    assert all(c.file is None or c.file.startswith("supplier/extract/") for c in report.database)
    assert not any((landing / DROP / f"pos/{d}").exists() for d in ("2026-01-05", "2026-01-06"))  # emptied

    again = ingest(landing, DAY2)
    assert again.files_moved == 0 and again.rows_copied == 0
    assert files(landing) == after

    rest = ingest(landing)
    assert {p for m in rest.files.values() for p in m.paths} == set(before) - due
    assert not [p for p in (landing / DROP).rglob("*") if p.is_file()]


def test_ingested_files_are_the_bytes_generated_straight_into_landing(landing: Path, direct: GenerationResult,
                                                                      dropped: GenerationResult) -> None:
    ingest(landing)
    ingested, straight = files(landing), files(direct.out)
    deliveries = {p for p in straight if p not in (MANIFEST, catalog.SUPPLIER_DB)}
    assert {p: ingested[p] for p in deliveries} == {p: straight[p] for p in deliveries}
    assert dropped.manifest == direct.manifest


def test_a_different_file_at_the_target_stops_the_run_and_is_left_alone(landing: Path) -> None:
    target = landing / "pos/2026-01-06/pos_S002_20260106.csv"
    target.parent.mkdir(parents=True)
    target.write_text("someone else's delivery\n")
    drop_copy = landing / DROP / "pos/2026-01-06/pos_S002_20260106.csv"
    expected = drop_copy.read_bytes()

    with pytest.raises(DeliveryConflictError, match=r"pos_S002_20260106\.csv already exists with other content"):
        ingest(landing, DAY2)
    assert target.read_text() == "someone else's delivery\n"
    assert drop_copy.read_bytes() == expected
    assert (landing / "pos/2026-01-05/pos_S001_20260105.csv").exists()  # moved before the conflict, stays moved
    assert (landing / DROP / "ecommerce/2026-01-05").is_dir()  # sources after the conflict wait for the re-run
    assert not (landing / "supplier/extract").exists()  # no database copy in a failed run

    target.unlink()  # resolved: the re-run continues where the failed one stopped
    report = ingest(landing, DAY2)
    assert report.files["pos_sales"].paths == ["pos/2026-01-06/pos_S002_20260106.csv",
                                               "pos/2026-01-06/pos_S003_20260106.csv"]
    assert report.files["ecommerce_orders"].files == 2 and report.rows_copied > 0
    assert target.read_bytes() == expected


def test_the_same_bytes_at_the_target_only_remove_the_drop_copy(landing: Path) -> None:
    rel = "reference/stores.csv"
    (landing / rel).parent.mkdir(parents=True)
    shutil.copy2(landing / DROP / rel, landing / rel)
    report = ingest(landing, DAY2)
    assert report.files["stores"].files == 0 and report.files["stores"].already_landed == 1
    assert not (landing / DROP / rel).exists()


def test_without_a_drop_only_the_database_is_copied(direct: GenerationResult, tmp_path: Path) -> None:
    copy = tmp_path / "landing"
    shutil.copytree(direct.out, copy)
    before = files(copy)
    report = ingest(copy)
    assert report.files_moved == 0 and report.rows_copied > 0
    assert {p: b for p, b in files(copy).items() if p in before} == before
