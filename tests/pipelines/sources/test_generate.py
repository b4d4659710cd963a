"""The generator: deterministic, its manifest true to the bytes, every format readable, a realistic shape."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from pathlib import Path

import pandas as pd
import pytest

from pipelines import catalog
from pipelines.sources.defects import DEFECT_TYPES, DefectRates
from pipelines.sources.generate import MANIFEST, GenerationResult, OutputFolderError, generate
from tests.pipelines.sources import oracle


def digest(root: Path) -> str:
    """One hash over every file; the SQLite database is hashed by its content, not its pages."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        if path.suffix == ".db":
            conn = sqlite3.connect(path)
            h.update("\n".join(conn.iterdump()).encode())
            conn.close()
        else:
            h.update(path.read_bytes())
    return h.hexdigest()


def files(root: Path, pattern: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.glob(pattern))


# -- determinism and re-runs ------------------------------------------------------------------------------------
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    rates = DefectRates.scaled(10)
    first = generate(tmp_path / "a", "tiny", seed=5, rates=rates, days=4)
    second = generate(tmp_path / "b", "tiny", seed=5, rates=rates, days=4)
    other = generate(tmp_path / "c", "tiny", seed=6, rates=rates, days=4)
    assert digest(first.out) == digest(second.out)
    assert first.manifest == second.manifest
    assert digest(first.out) != digest(other.out)


def test_rerun_into_the_same_folder_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "landing"
    generate(out, "tiny", seed=5, days=3)
    before = digest(out)
    (out / "pos" / "stray.csv").write_text("left over from something else\n")
    generate(out, "tiny", seed=5, days=3)
    assert digest(out) == before


def test_a_foreign_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(OutputFolderError, match=r"holds no manifest\.json"):
        generate(tmp_path, "tiny", days=2)
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_unknown_defect_names_and_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown defect type 'typo'"):
        DefectRates.scaled(1, {"typo": 0.1})
    with pytest.raises(ValueError, match=r"between 0 and 1"):
        DefectRates.scaled(1, {"duplicate": 1.5})


# -- the manifest against the data ------------------------------------------------------------------------------
def test_every_defect_type_is_injected(defective_sources: GenerationResult) -> None:
    counts = {name: info["count"] for name, info in defective_sources.manifest["defects"].items()}
    assert set(counts) == set(DEFECT_TYPES)
    assert all(n > 0 for n in counts.values()), counts
    for name, info in defective_sources.manifest["defects"].items():
        assert info["count"] == len(info["records"]) == sum(info["by_source"].values())
        assert info["expected"] == DEFECT_TYPES[name].expected


def _manifest_lines(result: GenerationResult) -> dict[tuple[str, int], str]:
    out = {}
    for name, info in result.manifest["defects"].items():
        for rec in info["records"]:
            if name != "schema_drift":
                key = (rec["file"] if rec["file"] != catalog.SUPPLIER_DB else rec["source"], rec["line"])
                assert key not in out, f"two defects on one record: {key}"
                out[key] = name
    return out


def test_manifest_matches_every_line_of_every_delivery(defective_sources: GenerationResult) -> None:
    root = defective_sources.out
    stores, skus = oracle.reference(root)
    expected = _manifest_lines(defective_sources)
    seen: dict[tuple[str, int], str | None] = {}
    for rel in files(root, "pos/*/*.csv") + files(root, "inventory/*/*.csv"):
        seen.update({(rel, line): d for line, d in oracle.classify_csv(root, rel, stores, skus).items()})
    for rel in files(root, "ecommerce/*/*.jsonl") + files(root, "feedback/*/*.jsonl"):
        seen.update({(rel, line): d for line, d in oracle.classify_jsonl(root, rel, skus).items()})
    seen.update(oracle.classify_supplier(root, skus))
    found = {key: d for key, d in seen.items() if d is not None}
    assert found == expected
    # Every line was looked at, clean ones included.
    sources = defective_sources.manifest["sources"]
    looked_at = ("pos_sales", "inventory_counts", "inventory_movements", "ecommerce_orders", "feedback",
                 "receipts", "purchase_order_lines")
    assert len(seen) == sum(sources[name]["lines"] for name in looked_at)


def test_manifest_record_ids_point_at_the_right_records(defective_sources: GenerationResult) -> None:
    root = defective_sources.out
    checked = 0
    for rec in defective_sources.manifest["defects"]["duplicate"]["records"]:
        if rec["source"] == catalog.POS_SALES.name:
            lines = (root / rec["file"]).read_text(encoding="utf-8", errors="replace").splitlines()
            row = next(csv.reader([lines[rec["line"] - 1]]))
            assert f"{row[0]}/{row[1]}" == rec["record_id"]
            assert sum(1 for line in lines if line == lines[rec["line"] - 1]) == 2
            checked += 1
    for rec in defective_sources.manifest["defects"]["late_arrival"]["records"]:
        if rec["source"] == catalog.POS_SALES.name:
            line = (root / rec["file"]).read_text(encoding="utf-8", errors="replace").splitlines()[rec["line"] - 1]
            assert line.startswith(rec["record_id"].split("/")[0] + ",")
            checked += 1
    assert checked > 0


def test_schema_drift_files_are_exactly_the_ones_listed(defective_sources: GenerationResult) -> None:
    root = defective_sources.out
    drifted = {rel for rel in files(root, "pos/*/*.csv")
               if (root / rel).read_bytes().split(b"\n", 1)[0].decode().split(",")
               != list(catalog.POS_SALES.column_names)}
    listed = {r["file"] for r in defective_sources.manifest["defects"]["schema_drift"]["records"]}
    assert drifted == listed and drifted
    for rel in drifted:
        assert (root / rel).read_bytes().split(b"\n", 1)[0].decode().endswith(",loyalty_points")


def test_line_counts_in_the_manifest_are_the_lines_on_disk(defective_sources: GenerationResult) -> None:
    root, sources = defective_sources.out, defective_sources.manifest["sources"]
    for name, pattern, header in (("pos_sales", "pos/*/*.csv", 1), ("ecommerce_orders", "ecommerce/*/*.jsonl", 0),
                                  ("inventory_counts", "inventory/*/counts_*.csv", 1),
                                  ("feedback", "feedback/*/*.jsonl", 0)):
        paths = files(root, pattern)
        lines = sum((root / p).read_bytes().count(b"\n") - header for p in paths)
        assert (sources[name]["files"], sources[name]["lines"]) == (len(paths), lines), name


def test_late_reference_products_sell_before_their_master_data(defective_sources: GenerationResult) -> None:
    root = defective_sources.out
    late = defective_sources.manifest["late_reference"]
    assert late
    for entry in late:
        first_sale = date.fromisoformat(entry["first_sale_date"])
        listed_on = []
        for rel in files(root, "reference/products/*.csv"):
            if entry["sku"] in {r["sku"] for r in csv.DictReader((root / rel).open(encoding="utf-8"))}:
                listed_on.append(date.fromisoformat(Path(rel).stem.split("_")[1][:4] + "-"
                                                    + Path(rel).stem.split("_")[1][4:6] + "-"
                                                    + Path(rel).stem.split("_")[1][6:]))
        assert min(listed_on).isoformat() == entry["reference_date"]
        assert min(listed_on) > first_sale
        counts = root / "inventory" / entry["first_sale_date"] / f"counts_{first_sale:%Y%m%d}.csv"
        stocked = [r for r in csv.DictReader(counts.open(encoding="utf-8")) if r["sku"] == entry["sku"]]
        assert stocked, "a launched product is stocked on its first day"


# -- every source format parses back ----------------------------------------------------------------------------
def test_every_format_parses_back_with_the_contract_columns(clean_sources: GenerationResult) -> None:
    root = clean_sources.out
    for source in catalog.SOURCES.values():
        if source.format == "csv":
            paths = files(root, source.path.replace("{date}", "*").replace("{store}", "*")
                          .replace("{yyyymmdd}", "*"))
            assert paths, source.name
            frame = pd.concat(pd.read_csv(root / p, dtype=str, keep_default_na=False) for p in paths)
            assert list(frame.columns) == list(source.column_names), source.name
        elif source.format == "jsonl":
            paths = files(root, source.path.replace("{date}", "*").replace("{yyyymmdd}", "*"))
            docs = [json.loads(line) for p in paths for line in (root / p).read_text(encoding="utf-8").splitlines()]
            assert docs and all(list(d) == list(source.column_names) for d in docs), source.name
        else:
            table = source.path.split("#")[1]
            conn = sqlite3.connect(root / catalog.SUPPLIER_DB)
            cursor = conn.execute(f"SELECT * FROM {table}")
            assert [c[0] for c in cursor.description] == list(source.column_names)
            assert cursor.fetchall(), source.name
            conn.close()


def test_clean_generation_has_no_defects(clean_sources: GenerationResult) -> None:
    assert all(info["count"] == 0 for info in clean_sources.manifest["defects"].values())


# -- a realistic, consistent retailer ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pos(clean_sources: GenerationResult) -> pd.DataFrame:
    root = clean_sources.out
    frame = pd.concat(pd.read_csv(root / p, keep_default_na=False) for p in files(root, "pos/*/*.csv"))
    frame["day"] = pd.to_datetime(frame["transaction_ts"]).dt.normalize()
    return frame


@pytest.fixture(scope="module")
def movements(clean_sources: GenerationResult) -> pd.DataFrame:
    root = clean_sources.out
    frame = pd.concat(pd.read_csv(root / p) for p in files(root, "inventory/*/movements_*.csv"))
    frame["day"] = pd.to_datetime(frame["movement_ts"]).dt.normalize()
    return frame


def test_stock_counts_follow_from_the_movements(clean_sources: GenerationResult, movements: pd.DataFrame) -> None:
    root = clean_sources.out
    counts = pd.concat(pd.read_csv(root / p) for p in files(root, "inventory/*/counts_*.csv"))
    counts["day"] = pd.to_datetime(counts["count_date"])
    on_hand = counts.set_index(["store_code", "sku", "day"])["on_hand_quantity"]
    moved = movements.groupby(["store_code", "sku", "day"])["quantity"].sum()
    days = sorted(counts["day"].unique())
    checked = 0
    for prev, day in pairwise(days):
        today = on_hand.xs(day, level="day")
        before = on_hand.xs(prev, level="day").reindex(today.index, fill_value=0)
        delta = moved.xs(day, level="day").reindex(today.index, fill_value=0) if day in moved.index.levels[2] else 0
        assert (today == before + delta).all(), day
        checked += len(today)
    assert checked == len(counts) - (counts["day"] == days[0]).sum() > 0


def test_till_lines_and_stock_movements_agree(pos: pd.DataFrame, movements: pd.DataFrame) -> None:
    sold = pos[pos.transaction_type == "SALE"].groupby(["store_code", "sku", "day"])["quantity"].sum()
    posted = -movements[movements.movement_type == "SALE"].query("reference == 'POS'") \
        .groupby(["store_code", "sku", "day"])["quantity"].sum()
    assert sold.sort_index().equals(posted.sort_index())
    returned = -pos[pos.transaction_type == "RETURN"].groupby(["store_code", "sku", "day"])["quantity"].sum()
    back = movements[movements.movement_type == "RETURN"].groupby(["store_code", "sku", "day"])["quantity"].sum()
    assert returned.sort_index().equals(back.sort_index()) and len(back) > 0


def test_online_orders_are_the_fulfilment_centres_sales(clean_sources: GenerationResult,
                                                        movements: pd.DataFrame) -> None:
    root = clean_sources.out
    units: Counter = Counter()
    for rel in files(root, "ecommerce/*/*.jsonl"):
        for line in (root / rel).read_text(encoding="utf-8").splitlines():
            order = json.loads(line)
            for item in order["items"]:
                units[(item["sku"], order["order_ts"][:10])] += item["quantity"]
    online = movements.query("store_code == 'W001' and movement_type == 'SALE'")
    posted = {(r.sku, str(r.day.date())): -r.quantity for r in online.itertuples()}
    assert dict(units) == posted


def test_weekly_rhythm_and_skewed_popularity(pos: pd.DataFrame) -> None:
    sales = pos[pos.transaction_type == "SALE"]
    daily = sales.groupby("day")["quantity"].sum()
    by_weekday = daily.groupby(daily.index.dayofweek).mean()
    assert by_weekday[5] > 1.25 * by_weekday[1]  # Saturday over Tuesday
    by_sku = sales.groupby("sku")["quantity"].sum().sort_values(ascending=False)
    top = by_sku.head(max(1, len(by_sku) // 10)).sum()
    assert top / by_sku.sum() > 0.35


def test_promotions_discount_sales(pos: pd.DataFrame) -> None:
    promo = pos[pos.promo_code != ""]
    assert len(promo) > 0 and (promo.discount_amount > 0).all()
    assert (pos[pos.promo_code == ""].discount_amount == 0).all()


def test_stock_outs_and_imperfect_suppliers(clean_sources: GenerationResult) -> None:
    root = clean_sources.out
    counts = pd.concat(pd.read_csv(root / p) for p in files(root, "inventory/*/counts_*.csv"))
    assert (counts.on_hand_quantity == 0).sum() > 0
    conn = sqlite3.connect(root / catalog.SUPPLIER_DB)
    late, short, on_time = conn.execute("""
        SELECT SUM(r.received_date > po.promised_date), SUM(r.quantity_received < l.quantity_ordered),
               SUM(r.received_date <= po.promised_date)
        FROM receipts r JOIN purchase_orders po USING (po_number)
        JOIN purchase_order_lines l ON l.po_number = r.po_number AND l.line_number = r.line_number""").fetchone()
    conn.close()
    assert late > 0 and short > 0 and on_time > late


def test_regions_differ(pos: pd.DataFrame, clean_sources: GenerationResult) -> None:
    root = clean_sources.out
    stores = pd.read_csv(root / catalog.STORES.path)
    assert set(stores.region) >= {"North", "South", "East", "Online"}
    mix = pos.merge(stores, on="store_code").groupby(["region", "sku"])["quantity"].sum().unstack(fill_value=0)
    shares = mix.div(mix.sum(axis=1), axis=0)
    assert (shares.max() - shares.min()).max() > 0.005


def test_reference_changes_feed_slowly_changing_dimensions(clean_sources: GenerationResult) -> None:
    root = clean_sources.out
    versions: dict[str, set[tuple]] = defaultdict(set)
    for rel in files(root, "reference/customers/*.csv"):
        for row in csv.DictReader((root / rel).open(encoding="utf-8")):
            versions[row["customer_id"]].add((row["email"], row["phone"], row["loyalty_tier"]))
    assert any(len(v) > 1 for v in versions.values())
    prices: dict[str, set[str]] = defaultdict(set)
    for rel in files(root, "reference/products/*.csv"):
        for row in csv.DictReader((root / rel).open(encoding="utf-8")):
            prices[row["sku"]].add(row["unit_price"])
    assert any(len(v) > 1 for v in prices.values())


def test_feedback_links_to_real_orders_and_transactions(clean_sources: GenerationResult, pos: pd.DataFrame) -> None:
    root = clean_sources.out
    orders = {json.loads(line)["order_id"] for rel in files(root, "ecommerce/*/*.jsonl")
              for line in (root / rel).read_text(encoding="utf-8").splitlines()}
    feedback = [json.loads(line) for rel in files(root, "feedback/*/*.jsonl")
                for line in (root / rel).read_text(encoding="utf-8").splitlines()]
    assert feedback
    transactions = set(pos.transaction_id)
    for doc in feedback:
        assert (doc["order_id"] in orders) if doc["order_id"] else (doc["transaction_id"] in transactions)
        assert 1 <= doc["rating"] <= 5 and doc["comment"]


def test_manifest_is_written_beside_the_data(clean_sources: GenerationResult) -> None:
    on_disk = json.loads((clean_sources.out / MANIFEST).read_text())
    assert on_disk == clean_sources.manifest
    assert on_disk["generator"]["seed"] == 3 and on_disk["generator"]["scale"]["days"] == 28
