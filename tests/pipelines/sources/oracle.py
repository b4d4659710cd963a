"""An independent reader of the generated deliveries: finds every defect from the bytes alone.

The generator's manifest says what it injected; this oracle says what is really in the files. Tests require
the two to agree line by line, so neither can drift from the other unnoticed.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from pipelines import catalog

FUTURE = timedelta(days=365)


def delivery_date(rel: str) -> date:
    return date.fromisoformat(rel.split("/")[1])


def reference(root: Path) -> tuple[set[str], set[str]]:
    stores = {r["store_code"] for r in csv.DictReader((root / catalog.STORES.path).open(encoding="utf-8"))}
    skus = set()
    for path in (root / "reference" / "products").glob("*.csv"):
        skus |= {r["sku"] for r in csv.DictReader(path.open(encoding="utf-8"))}
    return stores, skus


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value.removesuffix("Z")) if value else None
    except ValueError:
        return None


def _when(ts: datetime | None, delivery: date) -> str | None:
    if ts is None:
        return None
    if ts.date() > delivery + FUTURE:
        return "future_timestamp"
    if ts.date() == delivery - timedelta(days=1):
        return "late_arrival"
    return None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return None


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value)) if "," not in str(value) else None
    except ValueError:
        return None


def classify_csv(root: Path, rel: str, stores: set[str], skus: set[str]) -> dict[int, str | None]:
    """Line number -> the defect seen on that line (None: clean) for a POS, movement or count file."""
    source = rel.split("/")[0] + "/" + Path(rel).name.split("_")[0]
    lines = (root / rel).read_bytes().split(b"\n")[:-1]
    header = lines[0].decode().split(",")
    seen: set[tuple[str, ...]] = set()
    out: dict[int, str | None] = {}
    for number, raw in enumerate(lines[1:], start=2):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            out[number] = "invalid_utf8"
            continue
        fields = next(csv.reader([text]))
        if len(fields) != len(header):
            out[number] = "malformed"
            continue
        rec = dict(zip(header, fields, strict=True))
        if source == "pos/pos":
            out[number] = _pos(rec, seen, stores, skus, delivery_date(rel))
        elif source == "inventory/movements":
            out[number] = _movement(rec, seen, stores, skus)
        else:
            out[number] = _count(rec, stores, skus)
    return out


def _pos(rec: dict, seen: set, stores: set[str], skus: set[str], delivery: date) -> str | None:
    required = [c.name for c in catalog.POS_SALES.columns if c.required]
    if any(rec[c] == "" for c in required):
        return "missing_mandatory"
    key = (rec["transaction_id"], rec["line_number"])
    if key in seen:
        return "duplicate"
    seen.add(key)
    quantity, price = _int(rec["quantity"]), _float(rec["unit_price"])
    if quantity is None or price is None:
        return "wrong_type"
    sale_ok = 1 <= quantity <= 1_000 if rec["transaction_type"] == "SALE" else -1_000 <= quantity <= -1
    if not sale_ok or not 0 < price < 10_000:
        return "out_of_range"
    if rec["store_code"] not in stores or rec["sku"] not in skus:
        return "unknown_code"
    return _when(_time(rec["transaction_ts"]), delivery)


def _movement(rec: dict, seen: set, stores: set[str], skus: set[str]) -> str | None:
    if rec["movement_id"] in seen:
        return "duplicate"
    seen.add(rec["movement_id"])
    if rec["sku"] == "" or rec["movement_type"] == "":
        return "missing_mandatory"
    if rec["store_code"] not in stores or rec["sku"] not in skus:
        return "unknown_code"
    return None


def _count(rec: dict, stores: set[str], skus: set[str]) -> str | None:
    if rec["store_code"] not in stores or rec["sku"] not in skus:
        return "unknown_code"
    on_hand = _int(rec["on_hand_quantity"])
    return "out_of_range" if on_hand is None or not 0 <= on_hand <= 1_000_000 else None


def classify_jsonl(root: Path, rel: str, skus: set[str]) -> dict[int, str | None]:
    delivery = delivery_date(rel)
    seen: set[str] = set()
    out: dict[int, str | None] = {}
    for number, raw in enumerate((root / rel).read_bytes().split(b"\n")[:-1], start=1):
        try:
            doc = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            out[number] = "invalid_utf8"
            continue
        except json.JSONDecodeError:
            out[number] = "malformed"
            continue
        out[number] = _order(doc, seen, skus, delivery) if rel.startswith("ecommerce") else _feedback(doc, seen)
    return out


def _order(doc: dict, seen: set[str], skus: set[str], delivery: date) -> str | None:
    if doc["order_id"] in seen:
        return "duplicate"
    seen.add(doc["order_id"])
    if doc["customer"]["customer_id"] is None or doc["channel"] is None:
        return "missing_mandatory"
    for item in doc["items"]:
        if not 1 <= item["quantity"] <= 100 or not 0 < item["unit_price"] < 10_000:
            return "out_of_range"
        if item["sku"] not in skus:
            return "unknown_code"
    return _when(_time(doc["order_ts"]), delivery)


def _feedback(doc: dict, seen: set[str]) -> str | None:
    if doc["feedback_id"] in seen:
        return "duplicate"
    seen.add(doc["feedback_id"])
    if doc["rating"] is None:
        return "missing_mandatory"
    return None if 1 <= doc["rating"] <= 5 else "out_of_range"


def classify_supplier(root: Path, skus: set[str]) -> dict[tuple[str, int], str | None]:
    """(table source name, rowid) -> defect for the receipt and purchase order line tables."""
    conn = sqlite3.connect(root / catalog.SUPPLIER_DB)
    out: dict[tuple[str, int], str | None] = {}
    try:
        for rowid, qty, received in conn.execute("SELECT rowid, quantity_received, received_date FROM receipts"):
            if received is None:
                out[("receipts", rowid)] = "missing_mandatory"
            elif not isinstance(qty, int):
                out[("receipts", rowid)] = "wrong_type"
            else:
                out[("receipts", rowid)] = None if 0 <= qty <= 100_000 else "out_of_range"
        for rowid, sku, qty in conn.execute("SELECT rowid, sku, quantity_ordered FROM purchase_order_lines"):
            if sku not in skus:
                out[("purchase_order_lines", rowid)] = "unknown_code"
            else:
                out[("purchase_order_lines", rowid)] = None if 0 < qty <= 1_000_000 else "out_of_range"
    finally:
        conn.close()
    return out
