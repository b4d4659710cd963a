"""The retailer's days: demand, stock-limited sales, returns, shrink, replenishment, supplier deliveries.

Everything the source files hold comes out of one consistent simulation, so the KPIs computed downstream
(days of supply, on-time-in-full, sell-through, ...) mean something: a stock-out happens because stock ran
out, a supplier is late because its delivery arrived after the promised date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from pipelines.sources.scales import Scale
from pipelines.sources.world import REGIONS, World

WEEKDAY = np.array([0.88, 0.9, 0.95, 1.0, 1.15, 1.38, 1.08])  # Monday first
ONLINE_WEEKDAY = np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.9, 1.15])
ITEMS_PER_ORDER = 1.8
UNITS_PER_ITEM = 1.25
RETURN_RATE = 0.012
CASE_PACK = 6


@dataclass
class PurchaseOrder:
    number: str
    supplier: int
    store: int
    day: int
    promised_day: int
    lines: list[tuple[int, int, float]]  # (product, quantity ordered, unit cost)


@dataclass
class Receipt:
    po_number: str
    line_number: int
    store: int
    product: int
    ordered: int
    quantity: int
    day: int


@dataclass
class Day:
    """What one day produced, before it is written out."""

    index: int
    date: date
    sales: np.ndarray  # (stores, products) units sold in stores, online sold units at the last row
    returns: np.ndarray
    adjustments: list[tuple[int, int, int, str]]  # (store, product, signed quantity, reason)
    launches: list[tuple[int, int, int]]  # (store, product, initial quantity)
    receipts: list[Receipt]
    orders: list[dict]  # e-commerce orders: customer, items [(product, quantity, price, discount)], ts, ...
    stock: np.ndarray  # end-of-day on hand
    promo_share: np.ndarray  # per product: the promotion's discount share, 0 when not on promotion
    promo_codes: list[str]  # per product: the promotion code, "" when not on promotion
    price_changes: list[int]
    customer_changes: list[int]
    new_customers: list[int]


@dataclass
class Simulation:
    world: World
    scale: Scale
    rng: np.random.Generator
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    all_receipts: list[Receipt] = field(default_factory=list)

    def __post_init__(self) -> None:
        w, rng = self.world, self.rng
        n_stores, n_products = len(w.stores.codes), len(w.products.skus)
        size = w.stores.area[:-1] / w.stores.area[:-1].mean()
        cat_index = {c: i for i, c in enumerate(sorted(set(w.products.categories)))}
        cats = np.array([cat_index[c] for c in w.products.categories])
        region_pref = rng.lognormal(0, 0.2, (len(REGIONS), len(cat_index)))
        store_region = np.array([REGIONS.index(r) for r in w.stores.regions[:-1]])
        self.base = np.zeros((n_stores, n_products))
        self.base[:-1] = (self.scale.units_per_store_day * size[:, None] * w.products.popularity[None, :]
                          * region_pref[store_region][:, cats])
        online_units = self.scale.orders_per_day * ITEMS_PER_ORDER * UNITS_PER_ITEM
        self.base[-1] = online_units * w.products.popularity
        lead = w.suppliers.promised_lead[w.products.supplier][None, :] + 2
        mean = np.maximum(self.base, 0.05)
        self.reorder_point = np.ceil(mean * lead + 2.0 * np.sqrt(mean * lead)).astype(np.int64)
        self.order_up_to = self.reorder_point + np.ceil(mean * 10).astype(np.int64) + CASE_PACK
        launched = (w.products.launch_day == 0)[None, :]
        self.stock = np.where(
            launched, rng.integers(self.reorder_point, self.order_up_to + 1), 0
        ).astype(np.int64)
        self.stock[(rng.random(self.stock.shape) < 0.03) & launched] = 0  # some shelves start empty
        self.on_order = np.zeros_like(self.stock)
        self.pending: dict[int, list[Receipt]] = {}
        self.prev_sales = np.zeros_like(self.stock)
        self.promo_share = np.zeros(n_products)
        self.promo_codes = [""] * n_products
        self.lift = np.ones(n_products)

    # -- one day -------------------------------------------------------------------------------------------
    def run_day(self, d: int) -> Day:
        w, rng = self.world, self.rng
        today = w.day(d)
        launches = self._launch(d)
        receipts = self._receive(d)
        self._promotions(d)
        season = self._season(today.month)
        factor = (self.lift * season)[None, :]
        expected = self.base[:-1] * WEEKDAY[today.weekday()] * factor
        demand = rng.poisson(expected)
        sales = np.zeros_like(self.stock)
        sales[:-1] = np.minimum(demand, self.stock[:-1])
        returns = np.zeros_like(self.stock)
        returns[:-1] = rng.binomial(self.prev_sales[:-1], RETURN_RATE)
        self.stock += returns - sales
        orders = self._orders(d, season)
        for order in orders:
            for product, quantity, _, _ in order["items"]:
                sales[-1, product] += quantity
        adjustments = self._shrink()
        price_changes = self._reprice(d)
        self._replenish(d)
        self.prev_sales = sales
        customers = w.customers
        new_customers = np.flatnonzero(customers.signup_day == d).tolist() if d > 0 else []
        known = np.flatnonzero(customers.signup_day < d) if d > 0 else np.array([], dtype=int)
        changed = known[rng.random(known.size) < 0.002].tolist()
        for c in changed:
            self._change_customer(c)
        return Day(d, today, sales, returns, adjustments, launches, receipts, orders, self.stock.copy(),
                   self.promo_share.copy(), list(self.promo_codes), price_changes, changed, new_customers)

    def _launch(self, d: int) -> list[tuple[int, int, int]]:
        if d == 0:
            return []
        out = []
        for p in np.flatnonzero(self.world.products.launch_day == d):
            for s in range(self.stock.shape[0]):
                qty = int(self.order_up_to[s, p])
                self.stock[s, p] += qty
                out.append((s, int(p), qty))
        return out

    def _receive(self, d: int) -> list[Receipt]:
        arrived = self.pending.pop(d, [])
        for r in arrived:
            self.stock[r.store, r.product] += r.quantity
            self.on_order[r.store, r.product] -= r.ordered  # what was not delivered is no longer on order
        return arrived

    def _promotions(self, d: int) -> None:
        """A new promotion wave each week: a few products discounted, with a demand lift."""
        if d % 7:
            return
        rng, n = self.rng, len(self.world.products.skus)
        self.lift = np.ones(n)
        self.promo_share = np.zeros(n)
        self.promo_codes = [""] * n
        chosen = rng.choice(n, size=max(1, n // 40), replace=False)
        for p in chosen.tolist():
            discount = float(rng.choice([0.1, 0.15, 0.2, 0.3]))
            self.promo_share[p] = discount
            self.promo_codes[p] = f"PR{d // 7 + 1:03d}"
            self.lift[p] = 1 + discount * float(rng.uniform(3, 6))

    def _season(self, month: int) -> np.ndarray:
        peak = self.world.products.peak_month
        wave = 1 + 0.35 * np.cos(2 * math.pi * (month - peak) / 12)
        return np.where(peak > 0, wave, 1.0)

    def _orders(self, d: int, season: np.ndarray) -> list[dict]:
        """Web and app orders, served from the online fulfilment centre's stock (no stock, no line)."""
        w, rng = self.world, self.rng
        today = w.day(d)
        n = int(rng.poisson(self.scale.orders_per_day * ONLINE_WEEKDAY[today.weekday()]))
        customers = np.flatnonzero(w.customers.signup_day <= d)
        weights = w.products.popularity * season * self.lift * (w.products.launch_day <= d)
        sizes = rng.geometric(1 / ITEMS_PER_ORDER, n)
        products = rng.choice(len(weights), size=int(sizes.sum()), p=weights / weights.sum()).tolist()
        wanted = (1 + (rng.random(len(products)) < 0.25)).tolist()
        seconds = np.sort(rng.integers(0, 86_400, n)).tolist()
        who = rng.choice(customers, n).tolist()
        web = (rng.random(n) < 0.65).tolist()
        express = (rng.random(n) < 0.2).tolist()
        stock, price, share = self.stock[-1], w.products.price, self.promo_share
        orders, cursor = [], 0
        for i, k in enumerate(sizes.tolist()):
            items = []
            for p, want in zip(products[cursor:cursor + k], wanted[cursor:cursor + k], strict=True):
                qty = min(want, int(stock[p]))
                if qty <= 0:
                    continue  # out of stock online: the shop does not take the line
                stock[p] -= qty
                items.append((p, qty, float(price[p]), round(float(price[p]) * qty * float(share[p]), 2)))
            cursor += k
            if items:
                orders.append({"customer": who[i], "items": items, "seconds": seconds[i],
                               "channel": "web" if web[i] else "app", "express": express[i]})
        return orders

    def _shrink(self) -> list[tuple[int, int, int, str]]:
        """Damage and theft: a few small negative adjustments, found at the evening count."""
        rng = self.rng
        hit = (rng.random(self.stock.shape) < 0.001) & (self.stock > 0)
        out = []
        for s, p in zip(*np.nonzero(hit), strict=True):
            qty = int(min(self.stock[s, p], rng.integers(1, 4)))
            self.stock[s, p] -= qty
            out.append((int(s), int(p), -qty, "DAMAGED" if rng.random() < 0.5 else "SHRINKAGE"))
        return out

    def _reprice(self, d: int) -> list[int]:
        if d == 0:
            return []
        rng, products = self.rng, self.world.products
        changed = np.flatnonzero(rng.random(len(products.skus)) < 0.003)
        for p in changed:
            products.price[p] = max(0.5, round(float(products.price[p] * rng.uniform(0.9, 1.12)), 2))
        return changed.tolist()

    def _change_customer(self, c: int) -> None:
        rng, customers = self.rng, self.world.customers
        what = int(rng.integers(3))
        if what == 0:
            customers.email[c] = customers.email[c].replace("@example.com", f".{int(rng.integers(100))}@example.org")
        elif what == 1:
            customers.phone[c] = f"+44 7{int(rng.integers(1000)):03d} {int(rng.integers(1_000_000)):06d}"
        else:
            tiers = ("none", "silver", "gold", "platinum")
            customers.tier[c] = tiers[min(3, tiers.index(customers.tier[c]) + 1)]

    def _replenish(self, d: int) -> None:
        """Order up to the target when stock plus open orders fall below the reorder point: one purchase order
        per store and supplier per day, delivered late or short as each supplier's record says."""
        w, rng = self.world, self.rng
        launched = (w.products.launch_day <= d)[None, :]
        position = self.stock + self.on_order
        need = (position < self.reorder_point) & launched
        if not need.any():
            return
        quantity = np.ceil((self.order_up_to - position) / CASE_PACK).astype(np.int64) * CASE_PACK
        by_po: dict[tuple[int, int], list[int]] = {}
        for s, p in zip(*np.nonzero(need), strict=True):
            by_po.setdefault((int(s), int(w.products.supplier[p])), []).append(int(p))
        for (s, sup), products in sorted(by_po.items()):
            number = f"PO{d + 1:04d}{len(self.purchase_orders) + 1:07d}"
            promised = d + int(w.suppliers.promised_lead[sup])
            late = rng.random() > w.suppliers.on_time_rate[sup]
            arrival = promised + (int(rng.integers(1, 6)) if late else -int(rng.integers(0, 2)))
            lines = []
            for line_number, p in enumerate(products, start=1):
                ordered = int(quantity[s, p])
                lines.append((p, ordered, float(w.products.cost[p])))
                self.on_order[s, p] += ordered
                short = rng.random() > w.suppliers.fill_rate[sup]
                received = int(ordered * rng.uniform(0.4, 0.95)) if short else ordered
                receipt = Receipt(number, line_number, s, p, ordered, received, max(arrival, d + 1))
                self.pending.setdefault(receipt.day, []).append(receipt)
                self.all_receipts.append(receipt)
            self.purchase_orders.append(PurchaseOrder(number, sup, s, d, promised, lines))
