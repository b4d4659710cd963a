"""`retail generate`: write one simulated retailer's source deliveries into a landing folder.

Deterministic for a seed: the same seed and scale give byte-identical files. The folder gets a
`manifest.json` with what was written and every injected defect (file, line, record id, expected handling).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

from pipelines import catalog
from pipelines.ingest import DROP
from pipelines.sources.defects import DefectRates, Manifest
from pipelines.sources.scales import SCALES, Scale
from pipelines.sources.simulation import Day, Simulation
from pipelines.sources.world import World, build_world
from pipelines.sources.writers import Batch, DefectFields, write_csv, write_jsonl, write_sqlite_table

DEFAULT_START = date(2026, 1, 5)
MANIFEST = "manifest.json"
OUTPUT_FOLDERS = ("reference", "pos", "ecommerce", "inventory", "feedback", "supplier", "_control", DROP)
PAYMENTS = ("card", "card", "card", "card", "card", "card", "card", "cash", "cash", "mobile")
COMMENTS = {
    1: ("Terrible, arrived broken.", "Would not buy again", "Stopped working after two days"),
    2: ("Not as described", "Poor quality for the price", "Delivery was late and the box was damaged"),
    3: ("It's okay", "Average, does the job", "Fine, nothing special"),
    4: ("Good product, quick delivery", "Nice quality", "Happy with it, staff were helpful"),
    5: ("Excellent quality, would buy again!", "Love it — très bien", "Great value, five stars"),
}

POS_DEFECTS = ("duplicate", "malformed", "wrong_type", "out_of_range", "unknown_code", "future_timestamp",
               "missing_mandatory", "invalid_utf8", "late_arrival")
POS_FIELDS = DefectFields(
    # 0 and 25,000 are out of range for a sale and a return alike; a return's quantity is negative anyway.
    numbers={("quantity",): (0, 25_000), ("unit_price",): ("-4.99", "99999.99")},
    codes=(("store_code",), ("sku",)),
    timestamp=("transaction_ts",),
    mandatory=(("sku",), ("transaction_ts",), ("quantity",)),
    text=("item_description",),
)
ORDER_DEFECTS = ("duplicate", "malformed", "out_of_range", "unknown_code", "future_timestamp", "missing_mandatory",
                 "invalid_utf8", "late_arrival")
ORDER_FIELDS = DefectFields(
    numbers={("items", 0, "quantity"): (-2, 5_000), ("items", 0, "unit_price"): (-9.99, 250_000.0)},
    codes=(("items", 0, "sku"),),
    timestamp=("order_ts",),
    mandatory=(("customer", "customer_id"), ("channel",)),
    text=("shipping", "address", "city"),
)
FEEDBACK_DEFECTS = ("duplicate", "malformed", "out_of_range", "missing_mandatory", "invalid_utf8")
FEEDBACK_FIELDS = DefectFields(numbers={("rating",): (0, 9)}, mandatory=(("rating",),), text=("comment",))
MOVEMENT_DEFECTS = ("duplicate", "unknown_code", "missing_mandatory")
MOVEMENT_FIELDS = DefectFields(codes=(("store_code",), ("sku",)), mandatory=(("sku",), ("movement_type",)))
COUNT_DEFECTS = ("out_of_range", "unknown_code")
COUNT_FIELDS = DefectFields(numbers={("on_hand_quantity",): (-12, 9_999_999)}, codes=(("store_code",), ("sku",)))
RECEIPT_DEFECTS = ("wrong_type", "out_of_range", "missing_mandatory")
RECEIPT_FIELDS = DefectFields(numbers={("quantity_received",): (-40, 1_000_000)}, mandatory=(("received_date",),))
PO_LINE_DEFECTS = ("unknown_code", "out_of_range")
PO_LINE_FIELDS = DefectFields(numbers={("quantity_ordered",): (-6, 9_000_000)}, codes=(("sku",),))


class OutputFolderError(RuntimeError):
    """The output folder holds something that is not an earlier generation: refuse to overwrite it."""


@dataclass(frozen=True)
class GenerationResult:
    out: Path
    manifest: dict
    sales_lines: int


def _ymd(d: date) -> str:
    return d.strftime("%Y%m%d")


def _rel(template: str, d: date, **extra: str) -> str:
    return template.format(date=d.isoformat(), yyyymmdd=_ymd(d), **extra)


def prepare_output(out: Path) -> None:
    """Make `out` ready for a fresh generation: only an empty folder or an earlier generation is replaced."""
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST).exists():
            raise OutputFolderError(f"{out} is not empty and holds no {MANIFEST}; choose an empty folder")
        for name in (*OUTPUT_FOLDERS, MANIFEST):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    out.mkdir(parents=True, exist_ok=True)


class SourceWriter:
    """Turns each simulated day into the deliveries of the source systems.

    File deliveries are written under `files` (the landing root, or its drop folder), the supplier database
    always under `out`; the manifest names every file by its landing path, where bronze reads it."""

    def __init__(self, world: World, scale: Scale, out: Path, rates: DefectRates, rng: np.random.Generator,
                 manifest: Manifest, files: Path | None = None) -> None:
        self.world, self.scale, self.out, self.rates, self.rng, self.manifest = (
            world, scale, out, rates, rng, manifest)
        self.files = files or out
        self.late_pos: dict[int, Batch] = {}
        self.late_orders = Batch()
        self.feedback_due: dict[int, list[dict]] = {}
        self.sales_lines = 0
        # Half of the products launched during the period reach the product master a day after their first sale.
        self.late_products = set(np.flatnonzero(world.products.launch_day > 0).tolist()[::2])
        self.customer_region = np.array(world.customers.region)

    # -- reference data -------------------------------------------------------------------------------------
    def write_stores(self) -> None:
        st = self.world.stores
        rows = [[st.codes[i], st.names[i], st.types[i], st.regions[i], st.cities[i], st.opened[i].isoformat(),
                 str(int(st.area[i]))] for i in range(len(st.codes))]
        self._csv(catalog.STORES, catalog.STORES.path, Batch(rows, [None] * len(rows), [r[0] for r in rows]),
                  DefectFields())

    def write_reference(self, day: Day) -> None:
        w, d = self.world, day.index
        launch = w.products.launch_day
        if d == 0:
            products = np.flatnonzero(launch == 0).tolist()
        else:
            on_time = [p for p in np.flatnonzero(launch == d).tolist() if p not in self.late_products]
            late = [p for p in np.flatnonzero(launch == d - 1).tolist() if p in self.late_products and d > 1]
            products = sorted({*day.price_changes, *on_time, *late} - {p for p in day.price_changes if launch[p] > d})
            for p in late:
                self.manifest.late_reference.append({"sku": w.products.skus[p],
                                                     "first_sale_date": w.day(d - 1).isoformat(),
                                                     "reference_date": day.date.isoformat()})
        stamp = f"{day.date.isoformat()} 02:00:00"
        pr = w.products
        rows = [[pr.skus[p], pr.names[p], pr.categories[p], pr.subcategories[p], pr.brands[p],
                 w.suppliers.codes[pr.supplier[p]], f"{pr.cost[p]:.2f}", f"{pr.price[p]:.2f}",
                 w.day(int(launch[p])).isoformat(), stamp] for p in products]
        self._csv(catalog.PRODUCTS, _rel(catalog.PRODUCTS.path, day.date),
                  Batch(rows, [None] * len(rows), [r[0] for r in rows]), DefectFields())
        cu = w.customers
        people = (np.flatnonzero(cu.signup_day <= 0).tolist() if d == 0
                  else sorted({*day.new_customers, *day.customer_changes}))
        rows = [[cu.ids[c], cu.first[c], cu.last[c], cu.email[c], cu.phone[c], cu.city[c], cu.region[c],
                 cu.tier[c], w.day(int(cu.signup_day[c])).isoformat(), stamp] for c in people]
        self._csv(catalog.CUSTOMERS, _rel(catalog.CUSTOMERS.path, day.date),
                  Batch(rows, [None] * len(rows), [r[0] for r in rows]), DefectFields())

    # -- POS ------------------------------------------------------------------------------------------------
    def pos_rows(self, day: Day, s: int) -> tuple[list[tuple[str, ...]], list[str]]:
        """Till lines for one store and day: units sold grouped into lines, lines into baskets, and returns."""
        w, rng = self.world, self.rng
        code = w.stores.codes[s]
        units = day.sales[s]
        product = np.repeat(np.arange(units.size), units)
        n = product.size
        rows: list[tuple[str, ...]] = []
        if n:
            start = rng.random(n) < 0.7
            start[0] = True
            start[1:] |= product[1:] != product[:-1]
            first = np.flatnonzero(start)
            line_product = product[first]
            line_qty = np.diff(np.append(first, n))
            order = rng.permutation(first.size)
            line_product, line_qty = line_product[order], line_qty[order]
            sizes = rng.geometric(0.45, first.size)
            basket = np.repeat(np.arange(first.size), sizes)[: first.size]
            n_tx = int(basket[-1]) + 1
            rows += self._transactions(day, s, code, line_product, line_qty, basket, n_tx, "SALE")
        back = np.repeat(np.arange(day.returns[s].size), day.returns[s])
        if back.size:
            rows += self._transactions(day, s, code, back, -np.ones(back.size, dtype=int),
                                       np.arange(back.size), back.size, "RETURN")
        return rows, [f"{r[0]}/{r[1]}" for r in rows]

    def _transactions(self, day: Day, s: int, code: str, products: np.ndarray, qty: np.ndarray, basket: np.ndarray,
                      n_tx: int, kind: str) -> list[tuple[str, ...]]:
        """Column-wise: one numpy draw per attribute, then one row per line."""
        w, rng = self.world, self.rng
        pr, cu = w.products, w.customers
        minutes = np.where(rng.random(n_tx) < 0.5, rng.normal(750, 90, n_tx), rng.normal(1050, 100, n_tx))
        seconds = np.sort(np.clip(minutes * 60, 8 * 3600, 21 * 3600 - 1).astype(int) + rng.integers(0, 60, n_tx))
        stamps = np.datetime_as_string(np.datetime64(day.date, "s") + seconds.astype("timedelta64[s]"))
        tx_ts = [t.replace("T", " ") for t in stamps.tolist()]
        prefix = f"{code}-{_ymd(day.date)}-{'R' if kind == 'RETURN' else ''}"
        tx_id = [f"{prefix}{t:05d}" for t in range(1, n_tx + 1)]
        tills = [f"T{t}" for t in rng.integers(1, 7, n_tx).tolist()]
        cashiers = [f"E{s + 1:03d}{c:02d}" for c in rng.integers(1, 25, n_tx).tolist()]
        pays = [PAYMENTS[i] for i in rng.integers(0, len(PAYMENTS), n_tx).tolist()]
        picks = rng.integers(0, len(cu.ids), n_tx)
        loyal = ((rng.random(n_tx) < 0.35) & (cu.signup_day[picks] <= day.index)
                 & (self.customer_region[picks] == w.stores.regions[s]))
        tx_customer = [cu.ids[c] if ok else "" for c, ok in zip(picks.tolist(), loyal.tolist(), strict=True)]
        if kind == "SALE":
            for t in np.flatnonzero(loyal & (rng.random(n_tx) < 0.03)).tolist():
                self._due_feedback(day.index + int(rng.integers(0, 2)), {
                    "channel": "store", "order_id": None, "transaction_id": tx_id[t], "store_code": code,
                    "customer_id": tx_customer[t], "product": None})
        order = np.argsort(basket, kind="stable")
        b, p, q = basket[order], products[order], qty[order]
        starts = np.r_[0, np.flatnonzero(b[1:] != b[:-1]) + 1]
        line_no = np.arange(b.size) - np.repeat(starts, np.diff(np.r_[starts, b.size])) + 1
        price = pr.price[p]
        on_sale = kind == "SALE"  # promotions discount sales; a return refunds the price paid back then
        discount = np.round(price * q * day.promo_share[p], 2) if on_sale else np.zeros(b.size)
        promo = [day.promo_codes[i] for i in p.tolist()] if on_sale else [""] * b.size
        bl = b.tolist()
        return list(zip(
            [tx_id[t] for t in bl], [str(n) for n in line_no.tolist()], [code] * b.size, [tills[t] for t in bl],
            [cashiers[t] for t in bl], [tx_ts[t] for t in bl], [kind] * b.size, [pr.skus[i] for i in p.tolist()],
            [pr.names[i] for i in p.tolist()], [str(v) for v in q.tolist()], [f"{v:.2f}" for v in price.tolist()],
            [f"{v:.2f}" for v in discount.tolist()], promo, [pays[t] for t in bl],
            [tx_customer[t] for t in bl], [catalog.CURRENCY] * b.size, strict=True))

    def write_pos(self, day: Day | None, delivery: date) -> None:
        stores = self.world.stores
        for s in range(len(stores.codes) - 1):
            batch = self.late_pos.pop(s, Batch())
            if day is not None:
                rows, ids = self.pos_rows(day, s)
                self.sales_lines += len(rows)
                today = Batch(rows, self.rates.pick(self.rng, len(rows), POS_DEFECTS), ids)
                self.late_pos[s] = today.split_late()
                batch.extend(today.records, today.tags, today.ids)
            if not len(batch) and day is None:
                continue
            rel = _rel(catalog.POS_SALES.path, delivery, store=stores.codes[s])
            header = list(catalog.POS_SALES.column_names)
            if self.rng.random() < self.rates.rates["schema_drift"]:
                header.append("loyalty_points")
                points = self.rng.integers(0, 500, len(batch)).tolist()
                batch.records = [[*row, str(pt)] for row, pt in zip(batch.records, points, strict=True)]
                self.manifest.record("schema_drift", catalog.POS_SALES.name, rel, None, rel)
            lines = write_csv(self.files / rel, rel, catalog.POS_SALES.name, header, batch, POS_FIELDS,
                              self.manifest, self.rng)
            self.manifest.count(catalog.POS_SALES.name, files=1, lines=lines)

    # -- e-commerce and feedback ----------------------------------------------------------------------------
    def write_orders(self, day: Day | None, delivery: date) -> None:
        w = self.world
        batch, self.late_orders = self.late_orders, Batch()
        if day is not None:
            docs, ids = [], []
            for i, order in enumerate(day.orders, start=1):
                doc = self._order_doc(day, i, order)
                docs.append(doc)
                ids.append(doc["order_id"])
                if self.rng.random() < 0.06:
                    self._due_feedback(day.index + int(self.rng.integers(1, 4)), {
                        "channel": order["channel"], "order_id": doc["order_id"], "transaction_id": None,
                        "store_code": w.stores.codes[-1], "customer_id": doc["customer"]["customer_id"],
                        "product": order["items"][0][0]})
            today = Batch(docs, self.rates.pick(self.rng, len(docs), ORDER_DEFECTS), ids)
            self.late_orders = today.split_late()
            batch.extend(today.records, today.tags, today.ids)
            self.sales_lines += sum(len(doc["items"]) for doc in docs)
        if day is None and not len(batch):
            return
        rel = _rel(catalog.ECOMMERCE_ORDERS.path, delivery)
        lines = write_jsonl(self.files / rel, rel, catalog.ECOMMERCE_ORDERS.name, batch, ORDER_FIELDS,
                            self.manifest, self.rng)
        self.manifest.count(catalog.ECOMMERCE_ORDERS.name, files=1, lines=lines)

    def _order_doc(self, day: Day, i: int, order: dict) -> dict:
        w = self.world
        cu, pr, c = w.customers, w.products, order["customer"]
        items = [{"line_number": n, "sku": pr.skus[p], "quantity": q, "unit_price": price, "discount": disc}
                 for n, (p, q, price, disc) in enumerate(order["items"], start=1)]
        goods = round(sum(it["unit_price"] * it["quantity"] - it["discount"] for it in items), 2)
        shipping = 7.95 if order["express"] else (0.0 if goods >= 50 else 4.95)
        ts = datetime.combine(day.date, datetime.min.time()) + timedelta(seconds=order["seconds"])
        return {
            "order_id": f"EC{_ymd(day.date)}{i:06d}",
            "order_ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channel": order["channel"],
            "status": "completed",
            "customer": {"customer_id": cu.ids[c], "name": f"{cu.first[c]} {cu.last[c]}", "email": cu.email[c],
                         "phone": cu.phone[c]},
            "items": items,
            "payment": {"method": "card" if self.rng.random() < 0.8 else "paypal",
                        "amount": round(goods + shipping, 2), "currency": catalog.CURRENCY},
            "shipping": {"method": "express" if order["express"] else "standard", "cost": shipping,
                         "address": {"city": cu.city[c], "postcode": f"{cu.city[c][:2].upper()}{c % 90 + 10} 1AB",
                                     "region": cu.region[c]}},
        }

    def _due_feedback(self, day_index: int, item: dict) -> None:
        if day_index < self.scale.days:
            self.feedback_due.setdefault(day_index, []).append(item)

    def write_feedback(self, day: Day) -> None:
        w, rng = self.world, self.rng
        docs, ids = [], []
        for n, item in enumerate(self.feedback_due.pop(day.index, []), start=1):
            product = item["product"]
            if product is None:
                product = int(rng.choice(len(w.products.skus), p=w.products.popularity))
            quality = float(w.products.quality[product])
            rating = int(np.clip(round(quality + rng.normal(0, 0.9)), 1, 5))
            comments = COMMENTS[rating]
            when = datetime.combine(day.date, datetime.min.time()) + timedelta(
                seconds=int(rng.integers(6 * 3600, 23 * 3600)))
            doc = {"feedback_id": f"FB{_ymd(day.date)}{n:05d}", "submitted_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "channel": item["channel"], "order_id": item["order_id"], "transaction_id": item["transaction_id"],
                   "store_code": item["store_code"], "sku": w.products.skus[product],
                   "customer_id": item["customer_id"], "rating": rating,
                   "comment": comments[int(rng.integers(len(comments)))]}
            docs.append(doc)
            ids.append(doc["feedback_id"])
        rel = _rel(catalog.FEEDBACK.path, day.date)
        batch = Batch(docs, self.rates.pick(rng, len(docs), FEEDBACK_DEFECTS), ids)
        lines = write_jsonl(self.files / rel, rel, catalog.FEEDBACK.name, batch, FEEDBACK_FIELDS, self.manifest, rng)
        self.manifest.count(catalog.FEEDBACK.name, files=1, lines=lines)

    # -- inventory ------------------------------------------------------------------------------------------
    def write_inventory(self, day: Day) -> None:
        w = self.world
        codes, skus = w.stores.codes, w.products.skus
        ymd, iso = _ymd(day.date), day.date.isoformat()
        moves: list[list[str]] = []

        def move(s: int, p: int, clock: str, kind: str, qty: int, ref: str) -> None:
            moves.append([f"MV{ymd}{len(moves) + 1:07d}", codes[s], skus[p], f"{iso} {clock}", kind, str(qty), ref])

        for s, p, qty in day.launches:
            move(s, p, "06:00:00", "INITIAL", qty, "LAUNCH")
        for r in day.receipts:
            move(r.store, r.product, "07:30:00", "RECEIPT", r.quantity, r.po_number)
        for s, p in zip(*np.nonzero(day.returns), strict=True):
            move(int(s), int(p), "23:30:00", "RETURN", int(day.returns[s, p]), "POS")
        for s, p in zip(*np.nonzero(day.sales), strict=True):
            move(int(s), int(p), "23:30:00", "SALE", -int(day.sales[s, p]), "ECOM" if s == len(codes) - 1 else "POS")
        for s, p, qty, reason in day.adjustments:
            move(s, p, "22:00:00", "ADJUSTMENT", qty, reason)
        rel = _rel(catalog.INVENTORY_MOVEMENTS.path, day.date)
        batch = Batch(moves, self.rates.pick(self.rng, len(moves), MOVEMENT_DEFECTS), [m[0] for m in moves])
        lines = write_csv(self.files / rel, rel, catalog.INVENTORY_MOVEMENTS.name,
                          list(catalog.INVENTORY_MOVEMENTS.column_names), batch, MOVEMENT_FIELDS, self.manifest,
                          self.rng)
        self.manifest.count(catalog.INVENTORY_MOVEMENTS.name, files=1, lines=lines)
        launched = np.flatnonzero(w.products.launch_day <= day.index).tolist()
        counts = [[codes[s], skus[p], iso, str(int(day.stock[s, p]))] for s in range(len(codes)) for p in launched]
        rel = _rel(catalog.INVENTORY_COUNTS.path, day.date)
        batch = Batch(counts, self.rates.pick(self.rng, len(counts), COUNT_DEFECTS),
                      [f"{c[0]}/{c[1]}/{c[2]}" for c in counts])
        lines = write_csv(self.files / rel, rel, catalog.INVENTORY_COUNTS.name,
                          list(catalog.INVENTORY_COUNTS.column_names), batch, COUNT_FIELDS, self.manifest, self.rng)
        self.manifest.count(catalog.INVENTORY_COUNTS.name, files=1, lines=lines)

    # -- supplier database ----------------------------------------------------------------------------------
    def write_supplier_db(self, sim: Simulation) -> None:
        w, days = self.world, self.scale.days
        path = self.out / catalog.SUPPLIER_DB
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
        try:
            self._supplier_tables(conn, sim, w, days)
            conn.commit()
        finally:
            conn.close()

    def _supplier_tables(self, conn: sqlite3.Connection, sim: Simulation, w: World, days: int) -> None:
        stamp = f"{w.start.isoformat()} 00:00:00"
        su = w.suppliers
        rows = [[su.codes[i], su.names[i], su.countries[i], int(su.promised_lead[i]), stamp]
                for i in range(len(su.codes))]
        self._table(conn, catalog.SUPPLIERS, rows, (), DefectFields(), [r[0] for r in rows])
        arrived = [r for r in sim.all_receipts if r.day < days]
        last: dict[str, int] = {}
        lines_in = {po.number: len(po.lines) for po in sim.purchase_orders}
        received: dict[str, int] = {}
        for r in arrived:
            last[r.po_number] = max(last.get(r.po_number, 0), r.day)
            received[r.po_number] = received.get(r.po_number, 0) + 1
        pos, lines = [], []
        for po in sim.purchase_orders:
            done = received.get(po.number, 0)
            status = "open" if done == 0 else ("received" if done == lines_in[po.number] else "partially_received")
            updated = f"{w.day(last.get(po.number, po.day)).isoformat()} {'08:00:00' if done else '06:00:00'}"
            pos.append([po.number, su.codes[po.supplier], w.stores.codes[po.store], w.day(po.day).isoformat(),
                        w.day(po.promised_day).isoformat(), status, updated])
            created = f"{w.day(po.day).isoformat()} 06:00:00"
            lines += [[po.number, n, w.products.skus[p], q, round(c, 2), created]
                      for n, (p, q, c) in enumerate(po.lines, start=1)]
        self._table(conn, catalog.PURCHASE_ORDERS, pos, (), DefectFields(), [r[0] for r in pos])
        self._table(conn, catalog.PURCHASE_ORDER_LINES, lines, PO_LINE_DEFECTS, PO_LINE_FIELDS,
                    [f"{r[0]}/{r[1]}" for r in lines])
        receipts = [[f"RC{i:08d}", r.po_number, r.line_number, w.day(r.day).isoformat(), r.quantity,
                     f"{w.day(r.day).isoformat()} 08:00:00"] for i, r in enumerate(arrived, start=1)]
        self._table(conn, catalog.RECEIPTS, receipts, RECEIPT_DEFECTS, RECEIPT_FIELDS, [r[0] for r in receipts])

    def _table(self, conn: sqlite3.Connection, source: catalog.Source, rows: list[list], defects: tuple[str, ...],
               fields: DefectFields, ids: list[str]) -> None:
        sql_types = {"int": "INTEGER", "decimal(12,2)": "REAL"}
        columns = [(c.name, sql_types.get(c.type, "TEXT")) for c in source.columns]
        batch = Batch(rows, self.rates.pick(self.rng, len(rows), defects), ids)
        table = source.path.split("#", 1)[1]
        count = write_sqlite_table(conn, catalog.SUPPLIER_DB, source.name, table, columns, batch, fields,
                                   self.manifest, self.rng)
        self.manifest.count(source.name, tables=1, lines=count)

    def _csv(self, source: catalog.Source, rel: str, batch: Batch, fields: DefectFields) -> None:
        lines = write_csv(self.files / rel, rel, source.name, list(source.column_names), batch, fields,
                          self.manifest, self.rng)
        self.manifest.count(source.name, files=1, lines=lines)


def generate(out: Path, scale: str | Scale = "tiny", seed: int = 7, start: date = DEFAULT_START,
             rates: DefectRates | None = None, days: int | None = None,
             progress: Callable[[str], None] | None = None, drop: bool = False) -> GenerationResult:
    """Generate every source delivery for `scale` into `out` and return the manifest.

    `drop`: file deliveries go to `out/drop/<catalog path>`, where the source systems leave them in Azure, so
    that the ingestion (`pipelines.ingest`) moves them into place as the pipeline does; the supplier database
    stays at its landing path, being the source database that the ingestion extracts from. The bytes and the
    manifest are the same either way."""
    scale = SCALES[scale] if isinstance(scale, str) else scale
    if days is not None:
        scale = Scale(**{**asdict(scale), "days": days})
    rates = rates or DefectRates()
    prepare_output(out)
    rng = np.random.default_rng(seed)
    world = build_world(scale, rng, start)
    sim = Simulation(world, scale, rng)
    manifest = Manifest(generator={"seed": seed, "scale": asdict(scale), "start_date": start.isoformat(),
                                   "end_date": world.day(scale.days - 1).isoformat(), "defect_rates": rates.rates})
    writer = SourceWriter(world, scale, out, rates, rng, manifest, out / DROP if drop else out)
    writer.write_stores()
    for d in range(scale.days):
        day = sim.run_day(d)
        writer.write_reference(day)
        writer.write_pos(day, day.date)
        writer.write_orders(day, day.date)
        writer.write_feedback(day)
        writer.write_inventory(day)
        if progress:
            progress(day.date.isoformat())
    # Records held back a day are delivered the day after the period.
    after = world.day(scale.days)
    writer.write_pos(None, after)
    writer.write_orders(None, after)
    writer.write_supplier_db(sim)
    manifest.count("all", sales_lines=writer.sales_lines)
    manifest.write(out / MANIFEST)
    return GenerationResult(out, json.loads((out / MANIFEST).read_text()), writer.sales_lines)
