"""The local preview dashboard, built from a small hand-made warehouse (no Spark): the project's migrations on
DuckDB, a handful of rows in the dbo tables, then `build_dashboard`. The numbers on the page are read back from
their `data-value` attributes and held to the same questions asked directly of the reporting views (and, where
the answer is easy to work out by hand, to that too); then headless Chromium renders each page and screenshots it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from retail.settings import Settings, load_settings
from semantic_model.dashboard import build_dashboard
from semantic_model.dashboard.queries import REPLENISHMENT_LIMIT, SEGMENTS
from sql_pools import warehouse
from sql_pools.migrations import DuckDBTarget, migrate
from sql_pools.project import ScriptKind, project_scripts

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (`apt-get install -y chromium`); never Playwright's download
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = {
    "sales": ["card-net-sales", "card-gross-margin-pct", "card-transactions", "chart-net-sales-by-region",
              "table-region-category"],
    "inventory": ["card-units-on-hand", "card-items-below-reorder-point", "card-units-to-order",
                  "table-replenishment"],
    "customers": ["card-customers", "card-average-rating", "card-responses", "chart-customers-by-segment",
                  "table-rating-by-store"],
}

# --- the hand-made warehouse ---------------------------------------------------------------------------------------

START = date(2026, 1, 1)
STORES = [(1, "S001", "Newcastle High Street", "store", "North", "Newcastle"),
          (2, "S002", "Bristol Centre", "store", "South", "Bristol"),
          (3, "W001", "Online Fulfilment Centre", "online", "Online", "Milton Keynes")]
SUPPLIERS = [(1, "SUP001", "Northwind Supply", "DE", 4), (2, "SUP002", "Contoso Supply", "IT", 8)]
# key, sku, name, category, supplier, unit cost, unit price
PRODUCTS = [(1, "P00001", "Kids Tee", "Apparel", 1, Decimal("10.00"), Decimal("20.00")),
            (2, "P00002", "Whole Milk", "Grocery", 2, Decimal("2.00"), Decimal("3.00")),
            (3, "P00003", "Headphones", "Electronics", 1, Decimal("50.00"), Decimal("80.00"))]
# document, store, product, customer (-1: anonymous till sale), channel (1 store, 2 web), day of January, quantity,
# discount. North sells no Grocery and South no Apparel: those matrix cells stay empty.
SALES = [("T1-05", 1, 1, 1, 1, 5, 5, "0.00"), ("T1-06", 1, 1, 2, 1, 6, 5, "0.00"),
         ("T1-06", 1, 3, 2, 1, 6, 1, "8.00"), ("T1-07", 1, 1, 3, 1, 7, 5, "0.00"),
         ("T1-08", 1, 1, 4, 1, 8, 5, "5.00"), ("T1-09", 1, 1, -1, 1, 9, 5, "0.00"),
         ("T1-10", 1, 1, 5, 1, 10, 5, "0.00"), ("T1-11", 1, 1, 6, 1, 11, 5, "0.00"),
         ("T2-05", 2, 2, 1, 1, 5, 4, "0.00"), ("T2-08", 2, 2, 3, 1, 8, 6, "0.00"),
         ("T2-10", 2, 3, 4, 1, 10, 2, "0.00"), ("R2-11", 2, 3, 4, 1, 11, -1, "0.00"),
         ("W-07", 3, 1, 5, 2, 7, 2, "0.00"), ("W-09", 3, 2, 6, 2, 9, 10, "1.50"),
         ("W-11", 3, 3, 1, 2, 11, 1, "0.00")]
# on hand at the latest count (11 January), store x product; the count before (10 January) held 5 more of each.
ON_HAND = {(1, 1): 3, (1, 2): 40, (1, 3): 12, (2, 1): 25, (2, 2): 2, (2, 3): 9, (3, 1): 60, (3, 2): 30, (3, 3): 4}
# po, supplier, store, product, ordered (day), promised (day), received (day or None: open), ordered, received
ORDERS = [("PO1", 1, 1, 1, 2, 6, 6, 20, 20), ("PO2", 1, 1, 3, 3, 7, 9, 5, 4),
          ("PO3", 2, 2, 2, 1, 9, 9, 12, 12), ("PO4", 2, 2, 2, 10, 18, None, 12, 0)]
# id, day, store, product, customer, channel, rating (None: a comment without a rating), sentiment
FEEDBACK = [("F1", 6, 1, 1, 1, 1, 5, "positive"), ("F2", 7, 1, 3, 2, 1, 4, "positive"),
            ("F3", 8, 1, 1, 3, 1, 3, "neutral"), ("F4", 9, 2, 2, 4, 1, 5, "positive"),
            ("F5", 9, 2, 2, 5, 1, None, "neutral"), ("F6", 10, 3, 1, 5, 2, 2, "negative"),
            ("F7", 11, 3, 2, 6, 2, 4, "positive")]


def _day(day: int) -> date:
    return START + timedelta(days=day - 1)


def _key(value: date) -> int:
    return value.year * 10000 + value.month * 100 + value.day


def _insert(connection, table: str, columns: str, rows: list[tuple]) -> None:
    names = [name.strip() for name in columns.split(",")]
    connection.executemany(f"INSERT INTO dbo.{table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                           rows)


def _sales_rows() -> list[tuple]:
    prices = {p[0]: (p[5], p[6]) for p in PRODUCTS}
    rows, lines = [], {}
    for document, store, product, customer, channel, day, quantity, discount in SALES:
        lines[document] = lines.get(document, 0) + 1
        cost, price = prices[product]
        gross = price * quantity
        net = gross - Decimal(discount)
        moment = datetime.combine(_day(day), datetime.min.time()) + timedelta(hours=10 + lines[document])
        rows.append((f"{document}|{lines[document]}", _key(_day(day)), store, product, customer, channel, document,
                     lines[document], "RETURN" if quantity < 0 else "SALE", moment, quantity, price, gross,
                     Decimal(discount), net, cost * quantity))
    return rows


def _fill(connection) -> None:
    days = [_day(n) for n in range(1, 32)]
    _insert(connection, "dim_date", 'date_key, "date", "year", "quarter", "month", month_name, year_month, iso_week, '
            "day_of_week, day_name, is_weekend",
            [(_key(d), d, d.year, (d.month - 1) // 3 + 1, d.month, d.strftime("%B"), d.strftime("%Y-%m"),
              d.isocalendar().week, d.isoweekday(), d.strftime("%A"), d.isoweekday() >= 6) for d in days])
    members = [(-1, "#UNKNOWN", "Unknown"), (-2, "#NOT_APPLICABLE", "Not applicable")]
    _insert(connection, "dim_channel", "channel_key, channel, channel_group",
            [(1, "store", "Physical"), (2, "web", "Online"), *members])
    _insert(connection, "dim_store", "store_key, store_code, store_name, store_type, region, city",
            [*STORES, *((k, c, n, n.lower(), n, n) for k, c, n in members)])
    _insert(connection, "dim_supplier", "supplier_key, supplier_code, supplier_name, country, promised_lead_time_days",
            [*SUPPLIERS, *((k, c, n, None, None) for k, c, n in members)])
    _insert(connection, "dim_product", "product_key, sku, product_name, category, supplier_key, unit_cost, unit_price",
            [*PRODUCTS, *((k, c, n, n, None, None, None) for k, c, n in members)])
    _insert(connection, "dim_customer", "customer_key, customer_id, city, region, loyalty_tier",
            [*((k, f"C{k:07d}", "Leeds", "North", "silver") for k in range(1, 7)),
             *((k, c, n, n, n) for k, c, n in members)])
    _insert(connection, "fact_sales", "sales_line_id, date_key, store_key, product_key, customer_key, channel_key, "
            "document_id, line_number, transaction_type, sale_ts, quantity, unit_price, gross_amount, discount_amount, "
            "net_amount, cost_amount", _sales_rows())
    _insert(connection, "fact_inventory_snapshot", "date_key, store_key, product_key, count_date, on_hand_quantity",
            [(_key(_day(day)), store, product, _day(day), units + (5 if day == 10 else 0))
             for (store, product), units in ON_HAND.items() for day in (10, 11)])
    _insert(connection, "fact_purchase_order_line",
            "po_number, line_number, order_date_key, promised_date_key, received_date_key, supplier_key, store_key, "
            "product_key, order_date, promised_date, first_received_date, last_received_date, status, "
            "quantity_ordered, quantity_received, deliveries, is_on_time, is_in_full, otif, lead_time_days",
            [(po, 1, _key(_day(ordered)), _key(_day(promised)), _key(_day(received)) if received else None,
              supplier, store, product, _day(ordered), _day(promised), _day(received) if received else None,
              _day(received) if received else None, "received" if received else "open", quantity, got,
              1 if received else 0, bool(received and received <= promised), got >= quantity,
              int(bool(received and received <= promised) and got >= quantity),
              received - ordered if received else None)
             for po, supplier, store, product, ordered, promised, received, quantity, got in ORDERS])
    _insert(connection, "fact_feedback", "feedback_id, date_key, store_key, product_key, customer_key, channel_key, "
            "rating, sentiment", [(f, _key(_day(day)), s, p, c, ch, r, t) for f, day, s, p, c, ch, r, t in FEEDBACK])


@dataclass
class Built:
    settings: Settings
    database: Path
    page: Path
    html: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("dashboard")
    database = base / "warehouse" / "retail.duckdb"
    database.parent.mkdir(parents=True)
    with warehouse.connect(database) as connection:
        migrate(DuckDBTarget(connection), project_scripts(kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE)))
        _fill(connection)
    settings = load_settings("local").with_warehouse(database)
    page = build_dashboard(settings, base / "dashboard" / "index.html")
    return Built(settings, database, page, page.read_text(encoding="utf-8"))


# --- reading the page back -----------------------------------------------------------------------------------------


@dataclass
class Number:
    value: str  # data-value, as written
    key: str | None  # the enclosing row's data-key
    column: str | None
    label: str | None  # a chart bar's category
    total: str | None


class Page(HTMLParser):
    """Every element with a data-testid, and under each the numbers (elements with data-value) it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.testids: dict[str, list[Number]] = {}
        self.sections: dict[str | None, list[str]] = {}  # page id -> the testids inside it
        self.stack: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._visit(tag, dict(attrs))
        if tag not in {"meta", "br", "hr", "img", "input", "link"}:
            self.stack.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._visit(tag, dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def _visit(self, tag: str, attrs: dict[str, str | None]) -> None:
        enclosing = [a for _, a in self.stack] + [attrs]
        if "data-testid" in attrs:
            testid = attrs["data-testid"]
            assert testid not in self.testids, f"data-testid {testid} twice"
            self.testids[testid] = []
            section = next((a["id"] for a in reversed(enclosing) if a.get("class") == "page"), None)
            self.sections.setdefault(section, []).append(testid)
        if "data-value" in attrs:
            key = next((a["data-key"] for a in reversed(enclosing) if "data-key" in a), None)
            number = Number(attrs["data-value"], key, attrs.get("data-column"), attrs.get("data-label"),
                            attrs.get("data-total"))
            for a in enclosing:
                if "data-testid" in a:
                    self.testids[a["data-testid"]].append(number)

    def card(self, testid: str) -> str:
        (number,) = self.testids[testid]
        return number.value


def _parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def _same(shown: str, expected: object) -> bool:
    """A data-value against a value from DuckDB: Decimal and integers exactly, floats to rounding."""
    if expected is None:
        return shown == ""
    if isinstance(expected, Decimal):
        return Decimal(shown) == expected
    if isinstance(expected, int):
        return int(shown) == expected
    return float(shown) == pytest.approx(float(expected), rel=1e-12)


def _ask(built: Built, sql: str) -> list[tuple]:
    with warehouse.connect(built.database, read_only=True) as connection:
        return connection.execute(sql).fetchall()


# --- the tests -----------------------------------------------------------------------------------------------------


def test_every_page_holds_its_cards_charts_and_tables(built: Built) -> None:
    page = _parse(built.html)
    for section, testids in PAGES.items():
        assert set(testids) <= set(page.sections[section]), section
    for testid in (t for testids in PAGES.values() for t in testids):
        assert page.testids[testid], f"{testid} shows no number"


def test_sales_numbers_are_the_views_numbers(built: Built) -> None:
    page = _parse(built.html)
    ((net, margin_pct, transactions),) = _ask(built, """
        SELECT SUM(net_amount), SUM(gross_margin)::DOUBLE / SUM(net_amount)::DOUBLE, COUNT(DISTINCT document_id)
        FROM rpt.fact_sales""")
    assert _same(page.card("card-net-sales"), net)
    assert _same(page.card("card-gross-margin-pct"), margin_pct)
    assert _same(page.card("card-transactions"), transactions)
    # ... and what the hand-made rows add up to
    assert Decimal(page.card("card-net-sales")) == sum(row[14] for row in _sales_rows())
    assert int(page.card("card-transactions")) == len({row[0] for row in SALES})

    by_region = dict(_ask(built, """
        SELECT s.region, SUM(f.net_amount) FROM rpt.fact_sales AS f
        JOIN rpt.dim_store AS s ON s.store_key = f.store_key GROUP BY s.region"""))
    bars = page.testids["chart-net-sales-by-region"]
    assert {bar.label for bar in bars} == set(by_region) == {"North", "South", "Online"}
    assert all(_same(bar.value, by_region[bar.label]) for bar in bars)
    assert [float(bar.value) for bar in bars] == sorted((float(bar.value) for bar in bars), reverse=True)

    cells = {(region, category): net for region, category, net in _ask(built, """
        SELECT s.region, p.category, SUM(f.net_amount) FROM rpt.fact_sales AS f
        JOIN rpt.dim_store AS s ON s.store_key = f.store_key
        JOIN rpt.dim_product AS p ON p.product_key = f.product_key GROUP BY s.region, p.category""")}
    matrix = page.testids["table-region-category"]
    shown = {(n.key, n.column): n.value for n in matrix if n.key and not n.total}
    assert set(shown) == set(cells)
    assert ("North", "Grocery") not in shown  # no sales, no number
    assert all(_same(value, cells[cell]) for cell, value in shown.items())
    row_totals = {n.key: n.value for n in matrix if n.key and n.total}
    assert all(_same(row_totals[region], net) for region, net in by_region.items())
    column_totals = {n.column: n.value for n in matrix if not n.key and n.column}
    assert set(column_totals) == {"Apparel", "Grocery", "Electronics"}
    for category, value in column_totals.items():
        assert _same(value, sum(v for (_, c), v in cells.items() if c == category))
    (grand,) = [n.value for n in matrix if not n.key and not n.column]
    assert _same(grand, net)


def test_inventory_numbers_are_the_views_numbers(built: Built) -> None:
    page = _parse(built.html)
    ((on_hand, below, to_order),) = _ask(built, """
        SELECT SUM(on_hand_quantity), SUM(below_reorder_point::INT),
               SUM(CASE WHEN below_reorder_point THEN recommended_order_quantity ELSE 0 END)
        FROM rpt.inventory_position""")
    assert _same(page.card("card-units-on-hand"), on_hand)
    assert int(page.card("card-units-on-hand")) == sum(ON_HAND.values())  # the latest count only
    assert _same(page.card("card-items-below-reorder-point"), below)
    assert _same(page.card("card-units-to-order"), to_order)
    assert 0 < below < len(ON_HAND)

    expected = _ask(built, f"""
        SELECT s.store_name || '|' || p.sku, ip.on_hand_quantity, ip.on_order, ip.reorder_point, ip.days_of_supply,
               ip.recommended_order_quantity
        FROM rpt.inventory_position AS ip
        JOIN rpt.dim_store AS s ON s.store_key = ip.store_key
        JOIN rpt.dim_product AS p ON p.product_key = ip.product_key
        WHERE ip.below_reorder_point
        ORDER BY ip.recommended_order_quantity DESC, s.store_name, p.sku
        LIMIT {REPLENISHMENT_LIMIT}""")
    numbers = page.testids["table-replenishment"]
    keys = list(dict.fromkeys(n.key for n in numbers))
    assert keys == [row[0] for row in expected]
    assert "Newcastle High Street|P00001" in keys  # 3 on hand, 5 a day sold, 4 days' lead time
    columns = ["on_hand_quantity", "on_order", "reorder_point", "days_of_supply", "recommended_order_quantity"]
    for row in expected:
        shown = {n.column: n.value for n in numbers if n.key == row[0]}
        assert set(shown) == set(columns)
        assert all(_same(shown[column], value) for column, value in zip(columns, row[1:], strict=True)), row[0]


def test_customer_numbers_are_the_views_numbers(built: Built) -> None:
    page = _parse(built.html)
    segments = dict(_ask(built, "SELECT segment, COUNT(*) FROM rpt.customer_rfm GROUP BY segment"))
    bars = page.testids["chart-customers-by-segment"]
    assert [bar.label for bar in bars] == list(SEGMENTS)  # every segment, best first, empty ones at zero
    assert all(_same(bar.value, segments.get(bar.label, 0)) for bar in bars)
    assert int(page.card("card-customers")) == sum(segments.values()) == 6  # the anonymous till sale is no one

    # The page weights the view's product x store averages by responses; the fact view gives the same directly.
    ratings = {store: (responses, rating) for store, responses, rating in _ask(built, """
        SELECT s.store_name, COUNT(*), AVG(f.rating::DOUBLE) FROM rpt.fact_feedback AS f
        JOIN rpt.dim_store AS s ON s.store_key = f.store_key WHERE f.rating IS NOT NULL GROUP BY s.store_name""")}
    assert ratings == {"Newcastle High Street": (3, 4.0), "Bristol Centre": (1, 5.0),
                       "Online Fulfilment Centre": (2, 3.0)}
    numbers = page.testids["table-rating-by-store"]
    assert list(dict.fromkeys(n.key for n in numbers)) == ["Bristol Centre", "Newcastle High Street",
                                                           "Online Fulfilment Centre"]
    for store, (responses, rating) in ratings.items():
        shown = {n.column: n.value for n in numbers if n.key == store}
        assert _same(shown["responses"], responses)
        assert _same(shown["average_rating"], rating)
    assert _same(page.card("card-responses"), 6)
    assert _same(page.card("card-average-rating"), 23 / 6)


def test_the_page_loads_nothing(built: Built) -> None:
    """Self-contained: no stylesheet, script, image or font from anywhere (the SVG namespace is a name, no fetch)."""
    html = built.html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for reference in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert reference not in html, reference


def test_each_page_renders_in_headless_chromium(built: Built, tmp_path_factory: pytest.TempPathFactory) -> None:
    from playwright import sync_api  # the dev extra; `make test` installs Debian's chromium first

    assert CHROMIUM.exists(), f"no {CHROMIUM}: `make chromium` (apt-get install -y chromium)"
    shots = tmp_path_factory.mktemp("screenshots")
    parsed = _parse(built.html)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests, errors = [], []
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(built.page.as_uri())
            for section, testids in PAGES.items():
                page.get_by_test_id(f"tab-{section}").click()
                for other in PAGES:
                    assert page.get_by_test_id(f"page-{other}").is_visible() == (other == section), (section, other)
                for testid in testids:
                    element = page.get_by_test_id(testid)
                    assert element.is_visible(), testid
                    box = element.bounding_box()
                    assert box and box["width"] > 50 and box["height"] > 20, testid
                    if testid.startswith("card-"):  # the rendered DOM holds what the HTML parser read
                        assert element.locator("[data-value]").get_attribute("data-value") == parsed.card(testid)
                shot = shots / f"{section}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000, shot
            page.goto(f"{built.page.as_uri()}#customers")  # a tab's anchor opens that page
            assert page.get_by_test_id("page-customers").is_visible()
            assert not page.get_by_test_id("page-sales").is_visible()
            assert all(url.startswith("file://") for url in requests), requests
            assert not errors, errors
        finally:
            browser.close()
    print(f"\ndashboard screenshots in {shots}:", *sorted(p.name for p in shots.glob("*.png")))


def test_an_empty_warehouse_still_builds(tmp_path: Path) -> None:
    """Before the first load: every card shows a dash (or zero), the charts and tables say there is nothing."""
    database = tmp_path / "retail.duckdb"
    with warehouse.connect(database) as connection:
        migrate(DuckDBTarget(connection), project_scripts(kinds=(ScriptKind.VERSIONED, ScriptKind.REPEATABLE)))
    html = build_dashboard(load_settings("local").with_warehouse(database), tmp_path / "index.html").read_text()
    page = _parse(html)
    assert page.card("card-net-sales") == "" and page.card("card-units-on-hand") == ""
    assert [bar.value for bar in page.testids["chart-customers-by-segment"]] == ["0"] * len(SEGMENTS)
    assert not page.testids["table-replenishment"] and "No item is below its reorder point." in html
