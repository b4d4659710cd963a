"""The source catalog: every source system feed, its files, columns (the contract), business key and watermark.

One source of truth: the generator writes these files, bronze reads them against these contracts, and the
Synapse ingestion pipeline reads the same catalog. Column types are Spark SQL DDL types.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    pii: bool = False


@dataclass(frozen=True)
class Source:
    """One feed. `path` is relative to the landing root; `{date}` is the delivery date (YYYY-MM-DD)."""

    name: str
    system: str
    format: str  # csv | jsonl | sqlite
    path: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    watermark: str | None = None
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def landed_path(self) -> str:
        """Where the delivery sits in the landing zone as files: database tables are copied out as CSV
        extracts (what the pipeline's Copy activity does), files are taken as they come."""
        if self.format != "sqlite":
            return self.path
        table = self.path.split("#", 1)[1]
        return f"supplier/extract/{table}/{{date}}/{table}_{{yyyymmdd}}.csv"

    @property
    def landed_format(self) -> str:
        return "csv" if self.format == "sqlite" else self.format


def _cols(*specs: str) -> tuple[Column, ...]:
    """`name:type`, with a trailing `!` for mandatory and `*` for PII."""
    out = []
    for spec in specs:
        name, type_ = spec.split(":", 1)
        flags = type_[len(type_.rstrip("!*")):]
        out.append(Column(name, type_.rstrip("!*"), required="!" in flags, pii="*" in flags))
    return tuple(out)


POS_SALES = Source(
    name="pos_sales",
    system="pos",
    format="csv",
    path="pos/{date}/pos_{store}_{yyyymmdd}.csv",
    columns=_cols(
        "transaction_id:string!", "line_number:int!", "store_code:string!", "till_id:string",
        "cashier_id:string", "transaction_ts:timestamp!", "transaction_type:string!", "sku:string!",
        "item_description:string", "quantity:int!", "unit_price:decimal(12,2)!", "discount_amount:decimal(12,2)",
        "promo_code:string", "payment_method:string", "loyalty_customer_id:string", "currency:string!",
    ),
    key=("transaction_id", "line_number"),
    description="One file per store per day as the tills export it; local store time, returns as negative lines.",
)

ECOMMERCE_ORDERS = Source(
    name="ecommerce_orders",
    system="ecommerce",
    format="jsonl",
    path="ecommerce/{date}/orders_{yyyymmdd}.jsonl",
    columns=_cols(
        "order_id:string!", "order_ts:timestamp!", "channel:string!", "status:string!",
        "customer:struct<customer_id:string,name:string,email:string,phone:string>!*",
        "items:array<struct<line_number:int,sku:string,quantity:int,unit_price:decimal(12,2),"
        "discount:decimal(12,2)>>!",
        "payment:struct<method:string,amount:decimal(12,2),currency:string>",
        "shipping:struct<method:string,cost:decimal(12,2),address:struct<city:string,postcode:string,"
        "region:string>>",
    ),
    key=("order_id",),
    description="Daily order export of the web shop and app, one JSON order per line with nested items.",
)

INVENTORY_COUNTS = Source(
    name="inventory_counts",
    system="inventory",
    format="csv",
    path="inventory/{date}/counts_{yyyymmdd}.csv",
    columns=_cols("store_code:string!", "sku:string!", "count_date:date!", "on_hand_quantity:int!"),
    key=("store_code", "sku", "count_date"),
    description="End-of-day stock on hand per store and product from the stock system.",
)

INVENTORY_MOVEMENTS = Source(
    name="inventory_movements",
    system="inventory",
    format="csv",
    path="inventory/{date}/movements_{yyyymmdd}.csv",
    columns=_cols(
        "movement_id:string!", "store_code:string!", "sku:string!", "movement_ts:timestamp!",
        "movement_type:string!", "quantity:int!", "reference:string",
    ),
    key=("movement_id",),
    description="Stock movements: SALE and RETURN posted per store and product per day, RECEIPT, ADJUSTMENT, INITIAL.",
)

FEEDBACK = Source(
    name="feedback",
    system="feedback",
    format="jsonl",
    path="feedback/{date}/feedback_{yyyymmdd}.jsonl",
    columns=_cols(
        "feedback_id:string!", "submitted_at:timestamp!", "channel:string!", "order_id:string",
        "transaction_id:string", "store_code:string", "sku:string", "customer_id:string", "rating:int!",
        "comment:string",
    ),
    key=("feedback_id",),
    description="Survey answers: a 1-5 rating and free text, linked to an order or a till transaction where known.",
)

STORES = Source(
    name="stores",
    system="reference",
    format="csv",
    path="reference/stores.csv",
    columns=_cols(
        "store_code:string!", "store_name:string!", "store_type:string!", "region:string!", "city:string!",
        "opened_date:date", "floor_area_sqm:int",
    ),
    key=("store_code",),
)

PRODUCTS = Source(
    name="products",
    system="reference",
    format="csv",
    path="reference/products/products_{yyyymmdd}.csv",
    columns=_cols(
        "sku:string!", "product_name:string!", "category:string!", "subcategory:string!", "brand:string!",
        "supplier_code:string!", "unit_cost:decimal(12,2)!", "unit_price:decimal(12,2)!",
        "launch_date:date", "updated_at:timestamp!",
    ),
    key=("sku",),
    watermark="updated_at",
    description="Product master: the first file is full, later files hold new and changed products.",
)

CUSTOMERS = Source(
    name="customers",
    system="reference",
    format="csv",
    path="reference/customers/customers_{yyyymmdd}.csv",
    columns=_cols(
        "customer_id:string!", "first_name:string*", "last_name:string*", "email:string*", "phone:string*",
        "city:string", "region:string", "loyalty_tier:string", "signup_date:date", "updated_at:timestamp!",
    ),
    key=("customer_id",),
    watermark="updated_at",
    description="CRM export: the first file is full, later files hold sign-ups and changed customers.",
)

SUPPLIER_DB = "supplier/supplier.db"
ONLINE_STORE_CODE = "W001"  # the online fulfilment centre: e-commerce orders ship from its stock
CURRENCY = "GBP"  # every till and web shop prices in it; the KPIs add amounts up without conversion

SUPPLIERS = Source(
    name="suppliers",
    system="supplier",
    format="sqlite",
    path=f"{SUPPLIER_DB}#suppliers",
    columns=_cols(
        "supplier_code:string!", "supplier_name:string!", "country:string", "promised_lead_time_days:int!",
        "updated_at:timestamp!",
    ),
    key=("supplier_code",),
    watermark="updated_at",
)

PURCHASE_ORDERS = Source(
    name="purchase_orders",
    system="supplier",
    format="sqlite",
    path=f"{SUPPLIER_DB}#purchase_orders",
    columns=_cols(
        "po_number:string!", "supplier_code:string!", "store_code:string!", "order_date:date!",
        "promised_date:date!", "status:string!", "updated_at:timestamp!",
    ),
    key=("po_number",),
    watermark="updated_at",
)

PURCHASE_ORDER_LINES = Source(
    name="purchase_order_lines",
    system="supplier",
    format="sqlite",
    path=f"{SUPPLIER_DB}#purchase_order_lines",
    columns=_cols(
        "po_number:string!", "line_number:int!", "sku:string!", "quantity_ordered:int!",
        "unit_cost:decimal(12,2)!", "updated_at:timestamp!",
    ),
    key=("po_number", "line_number"),
    watermark="updated_at",
)

RECEIPTS = Source(
    name="receipts",
    system="supplier",
    format="sqlite",
    path=f"{SUPPLIER_DB}#receipts",
    columns=_cols(
        "receipt_id:string!", "po_number:string!", "line_number:int!", "received_date:date!",
        "quantity_received:int!", "updated_at:timestamp!",
    ),
    key=("receipt_id",),
    watermark="updated_at",
)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        POS_SALES, ECOMMERCE_ORDERS, INVENTORY_COUNTS, INVENTORY_MOVEMENTS, FEEDBACK, STORES, PRODUCTS,
        CUSTOMERS, SUPPLIERS, PURCHASE_ORDERS, PURCHASE_ORDER_LINES, RECEIPTS,
    )
}


@dataclass(frozen=True)
class EventType:
    """One kind of real-time event: the topic role it is sent to (a key of the settings' [streaming.topics]),
    its share of simulated traffic, and what it does to stock on hand (`quantity` × sign; 0: no stock effect)."""

    name: str
    topic_role: str
    share: float
    stock_sign: int


# The real-time event contract, shared by the producer (pipelines/sources/events.py) and the streaming job's
# parser (spark_pools/streaming/events.py). Every event is one JSON object with these fields.
EVENT_SCHEMA_VERSION = 1
EVENT_COLUMNS = _cols(
    "schema_version:int!", "event_id:string!", "event_type:string!", "event_ts:timestamp!", "store_code:string!",
    "store_sequence:bigint!", "sku:string!", "quantity:int", "currency:string", "unit_price:decimal(12,2)",
    "reason:string", "reference:string", "rating:int",
)
EVENT_TYPES: dict[str, EventType] = {
    e.name: e
    for e in (
        EventType("sale", "pos", 0.70, -1),
        EventType("return", "pos", 0.05, +1),
        EventType("adjustment", "inventory", 0.10, +1),  # the quantity carries the sign (-3 … +2)
        EventType("delivery", "inventory", 0.10, +1),
        EventType("feedback", "feedback", 0.05, 0),
    )
}
