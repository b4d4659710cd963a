"""Build the local preview dashboard: one static HTML page from the local warehouse's reporting views.

`collect` runs every query in `queries.QUERIES` (T-SQL, through `sql_pools.warehouse.query`, read-only);
`render` writes the report's three pages as tabs into `template.html` (inline CSS, inline SVG charts, a few lines
of script for the tabs; the page loads nothing). Every number on the page carries its raw value in `data-value`,
every card, chart and table a `data-testid`, table rows their key in `data-key` and cells their column in
`data-column`: a test (or anyone) reads the page back without parsing display formats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from importlib import resources
from pathlib import Path
from string import Template

from retail.paths import PROJECT_ROOT
from retail.settings import Settings
from semantic_model.dashboard import formats
from semantic_model.dashboard.charts import bar_chart
from semantic_model.dashboard.formats import raw
from semantic_model.dashboard.queries import QUERIES, REPLENISHMENT_LIMIT, SEGMENTS
from sql_pools import warehouse

DEFAULT_OUT = PROJECT_ROOT / "data" / "dashboard" / "index.html"
TITLE = "Retail — local preview"

Row = dict[str, object]
Display = Callable[[object], str]


@dataclass
class DashboardData:
    """What the page shows: each query's rows by name, and the T-SQL each ran from."""

    warehouse: Path
    results: dict[str, list[Row]] = field(default_factory=dict)
    tsql: dict[str, str] = field(default_factory=dict)

    def one(self, name: str) -> Row:
        rows = self.results[name]
        return rows[0] if rows else {}


def collect(settings: Settings) -> DashboardData:
    data = DashboardData(warehouse.database_path(settings))
    for name, text in QUERIES.items():
        result = warehouse.query(settings, text)
        data.results[name] = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        data.tsql[name] = text.strip()
    return data


def build_dashboard(settings: Settings, out: Path | None = None) -> Path:
    """Query the local warehouse and write the dashboard page; returns the page's path."""
    out = Path(out) if out is not None else DEFAULT_OUT
    page = render(collect(settings))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out


def render(data: DashboardData, generated: datetime | None = None) -> str:
    generated = generated or datetime.now(UTC)
    period, stock = data.one("period"), data.one("inventory_totals")
    subtitle = (f"Sales {formats.day(period.get('first_day'))} – {formats.day(period.get('last_day'))}"
                f" · stock as of {formats.day(stock.get('as_of'))}")
    footer = (f"Built {generated:%Y-%m-%d %H:%M} UTC from the local warehouse {escape(_shown(data.warehouse))} "
              "(reporting views, schema rpt). Queries are T-SQL, as the dedicated SQL pool would be sent them.")
    template = Template(resources.files(__package__).joinpath("template.html").read_text(encoding="utf-8"))
    return template.substitute(title=escape(TITLE), subtitle=escape(subtitle), footer=footer,
                               sales=_sales_page(data), inventory=_inventory_page(data),
                               customers=_customers_page(data))


def _sales_page(data: DashboardData) -> str:
    totals = data.one("sales_totals")
    regions = data.results["sales_by_region"]
    cards = _cards(
        _card("card-net-sales", "Net sales", totals.get("net_sales"), formats.money),
        _card("card-gross-margin-pct", "Gross margin %", totals.get("gross_margin_pct"), formats.percent,
              note=f"{formats.money(totals.get('gross_margin'))} gross margin"),
        _card("card-transactions", "Transactions", totals.get("transactions"), formats.integer),
    )
    chart = bar_chart("chart-net-sales-by-region", "Net sales by region",
                      [(row["region"], row["net_sales"]) for row in regions], formats.money)
    matrix = _region_category_matrix(data)
    return _page("sales", "Sales performance by region and category", cards + chart + matrix, data,
                 ("sales_totals", "sales_by_region", "sales_by_region_category", "sales_by_category"))


def _region_category_matrix(data: DashboardData) -> str:
    """Regions (in the chart's order) x categories, net sales; the totals come from their own queries."""
    regions = data.results["sales_by_region"]
    categories = data.results["sales_by_category"]
    cells = {(row["region"], row["category"]): row["net_sales"] for row in data.results["sales_by_region_category"]}
    head = "".join(f'<th class="num">{escape(formats.text(c["category"]))}</th>' for c in categories)
    body = []
    for region in regions:
        tds = [_number_cell(cells.get((region["region"], c["category"])), formats.money, column=c["category"])
               for c in categories]
        tds.append(_number_cell(region["net_sales"], formats.money, total="row"))
        body.append(f'<tr data-key="{escape(raw(region["region"]))}"><th>{escape(formats.text(region["region"]))}'
                    f'</th>{"".join(tds)}</tr>')
    footer = "".join(_number_cell(c["net_sales"], formats.money, column=c["category"]) for c in categories)
    footer += _number_cell(data.one("sales_totals").get("net_sales"), formats.money, total="row")
    return (f'<div class="table-box"><h3>Net sales by region and category</h3>'
            f'<table data-testid="table-region-category"><thead><tr><th>Region</th>{head}'
            f'<th class="num">Total</th></tr></thead><tbody>{"".join(body)}</tbody>'
            f'<tfoot><tr class="total" data-total="column"><th>Total</th>{footer}</tr></tfoot></table></div>')


def _inventory_page(data: DashboardData) -> str:
    totals = data.one("inventory_totals")
    below = totals.get("items_below_reorder_point")
    cards = _cards(
        _card("card-units-on-hand", "Units on hand", totals.get("units_on_hand"), formats.integer,
              note=f"{formats.integer(totals.get('items'))} store × product items"),
        _card("card-items-below-reorder-point", "Items below reorder point", below, formats.integer,
              alert=bool(below)),
        _card("card-units-to-order", "Units to order", totals.get("units_to_order"), formats.integer,
              note="recommended for the items below reorder point"),
    )
    table = _table(
        "table-replenishment", f"Top {REPLENISHMENT_LIMIT} replenishment recommendations",
        [Column("store_name", "Store", formats.text, numeric=False), Column("sku", "SKU", formats.text, numeric=False),
         Column("product_name", "Product", formats.text, numeric=False),
         Column("on_hand_quantity", "On hand", formats.integer), Column("on_order", "On order", formats.integer),
         Column("reorder_point", "Reorder point", formats.decimal1),
         Column("days_of_supply", "Days of supply", formats.decimal1),
         Column("recommended_order_quantity", "Recommended qty", formats.integer)],
        data.results["replenishment"], key=lambda row: f"{row['store_name']}|{row['sku']}",
        empty="No item is below its reorder point.")
    return _page("inventory", "Inventory levels and replenishment", cards + table, data,
                 ("inventory_totals", "replenishment"))


def _customers_page(data: DashboardData) -> str:
    segments = {row["segment"]: row for row in data.results["customer_segments"]}
    order = list(SEGMENTS) + sorted(s for s in segments if s not in SEGMENTS)
    feedback = data.one("feedback_totals")
    cards = _cards(
        _card("card-customers", "Customers scored (RFM)", sum(int(r["customers"]) for r in segments.values()),
              formats.integer),
        _card("card-average-rating", "Average rating", feedback.get("average_rating"), formats.decimal2,
              note="out of 5"),
        _card("card-responses", "Feedback responses", feedback.get("responses"), formats.integer),
    )
    chart = bar_chart("chart-customers-by-segment", "Customers per RFM segment",
                      [(name, segments[name]["customers"] if name in segments else 0) for name in order],
                      formats.integer, colour="var(--accent-2)")
    table = _table(
        "table-rating-by-store", "Average rating by store",
        [Column("store_name", "Store", formats.text, numeric=False), Column("responses", "Responses", formats.integer),
         Column("average_rating", "Average rating", formats.decimal2),
         Column("positive_share", "Positive", formats.percent), Column("negative_share", "Negative", formats.percent)],
        data.results["rating_by_store"], key=lambda row: str(row["store_name"]), empty="No feedback yet.")
    return _page("customers", "Customer segments and feedback", cards + chart + table, data,
                 ("customer_segments", "feedback_totals", "rating_by_store"))


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    display: Display
    numeric: bool = True


def _table(testid: str, caption: str, columns: Sequence[Column], rows: Sequence[Row], key: Callable[[Row], str],
           empty: str) -> str:
    head = "".join(f'<th class="num">{escape(c.title)}</th>' if c.numeric else f"<th>{escape(c.title)}</th>"
                   for c in columns)
    body = []
    for row in rows:
        cells = []
        for column in columns:
            value = row[column.name]
            if column.numeric:
                cells.append(_number_cell(value, column.display, column=column.name, missing_value=True))
            else:
                cells.append(f'<td data-column="{column.name}">{escape(column.display(value))}</td>')
        body.append(f'<tr data-key="{escape(key(row))}">{"".join(cells)}</tr>')
    if not body:
        body.append(f'<tr><td class="empty" colspan="{len(columns)}">{escape(empty)}</td></tr>')
    return (f'<div class="table-box"><h3>{escape(caption)}</h3><table data-testid="{testid}">'
            f'<thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def _number_cell(value: object, display: Display, column: object = None, total: str = "",
                 missing_value: bool = False) -> str:
    """A number's cell: its raw value in `data-value`. A cell with no row behind it (a region that sold nothing
    in a category) has no `data-value` unless `missing_value` (a NULL measure on a row: `data-value=""`)."""
    attributes = ' class="num total"' if total else ' class="num"'
    if column is not None:
        attributes += f' data-column="{escape(raw(column))}"'
    if total:
        attributes += f' data-total="{total}"'
    if value is not None or missing_value:
        attributes += f' data-value="{escape(raw(value))}"'
    return f"<td{attributes}>{escape(display(value))}</td>"


def _card(testid: str, label: str, value: object, display: Display, note: str = "", alert: bool = False) -> str:
    note_html = f'<div class="card-note">{escape(note)}</div>' if note else ""
    return (f'<div class="card{" alert" if alert else ""}" data-testid="{testid}">'
            f'<div class="card-label">{escape(label)}</div>'
            f'<div class="card-value" data-value="{escape(raw(value))}">{escape(display(value))}</div>'
            f"{note_html}</div>")


def _cards(*cards: str) -> str:
    return f'<div class="cards">{"".join(cards)}</div>'


def _page(page_id: str, heading: str, content: str, data: DashboardData, queries: Sequence[str]) -> str:
    sql = "\n\n".join(f"-- {name}\n{data.tsql[name]}" for name in queries)
    return (f'<section class="page" id="{page_id}" data-testid="page-{page_id}" aria-label="{escape(heading)}">'
            f'<h2>{escape(heading)}</h2><div class="grid">{content}</div>'
            f'<details class="sql"><summary>T-SQL behind this page</summary><pre>{escape(sql)}</pre></details>'
            f"</section>")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
