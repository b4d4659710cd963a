"""Every silver entity: which bronze sources feed it (as Spark SQL over `{bronze}`, the source's new rows), its key,
what "latest" means, how history is kept, and its data-quality rules.

Conform SQL keeps the text received beside each typed value (`quantity_text` / `quantity`), so a rule can tell
"missing" from "did not parse" from "out of range", and every quarantined row says exactly why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pipelines.catalog import CURRENCY, ONLINE_STORE_CODE
from spark_pools.silver.rules import Rule, known, mandatory, numeric

LINEAGE = "_source_file, _delivery_date, _load_id, _ingest_ts, to_json(struct(*)) AS _original"
OWNER_STORES = "Store operations"
OWNER_ECOM = "E-commerce platform team"
OWNER_SUPPLY = "Supply chain"
OWNER_CRM = "CRM team"
MOVEMENT_TYPES = "('SALE', 'RETURN', 'RECEIPT', 'ADJUSTMENT', 'INITIAL')"


@dataclass(frozen=True)
class Entity:
    name: str
    conform: dict[str, str]  # bronze source -> SELECT ... FROM bronze
    key: tuple[str, ...]
    latest_by: str
    rules: tuple[Rule, ...]
    history: Literal["upsert", "scd2"] = "upsert"
    # A monthly partition where the volume justifies it: the daily facts grow by millions of rows a month in a
    # real chain, MERGE prunes to the months a load touches, and a month holds enough rows for large files.
    partition: str | None = None
    month_of: str | None = None  # the date or timestamp column whose month is the partition value
    codes: dict[str, str] = field(default_factory=dict)  # column -> master entity whose key it must match
    codes_owner: str = ""  # who fixes a code the master data does not know
    pii: tuple[str, ...] = ()

    @property
    def partition_expr(self) -> str | None:
        return f"date_format({self.month_of}, 'yyyy-MM')" if self.month_of else None

    @property
    def records_can_move(self) -> bool:
        """Whether a record sent again can fall in another partition than before (its date was corrected): only when
        the month comes from a column outside the key."""
        return self.month_of is not None and self.month_of not in self.key

    @property
    def checks(self) -> tuple[Rule, ...]:
        """Every rule the entity's rows are checked against: its own, and a `known_<column>` warning per code
        column looked up in the master data."""
        return self.rules + known(self.codes_owner, *self.codes)


def _range(column: str, low: int, high: int) -> str:
    return f"{column} IS NULL OR {column} BETWEEN {low} AND {high}"


SALES_LINES = Entity(
    name="sales_lines",
    conform={
        "pos_sales": f"""
            SELECT concat_ws('|', 'POS', transaction_id, line_number) AS sales_line_id, 'store' AS channel,
                   transaction_id AS document_id, try_cast(line_number AS int) AS line_number, store_code, sku,
                   try_cast(transaction_ts AS timestamp) AS sale_ts, transaction_ts AS sale_ts_text,
                   transaction_type, try_cast(quantity AS int) AS quantity, quantity AS quantity_text,
                   try_cast(unit_price AS decimal(12,2)) AS unit_price, unit_price AS unit_price_text,
                   coalesce(try_cast(discount_amount AS decimal(12,2)), 0) AS discount_amount, promo_code,
                   payment_method, loyalty_customer_id AS customer_id, currency, {LINEAGE}
            FROM {{bronze}}""",
        "ecommerce_orders": f"""
            SELECT concat_ws('|', 'ECOM', order_id, item.line_number) AS sales_line_id, channel,
                   order_id AS document_id, try_cast(item.line_number AS int) AS line_number,
                   '{ONLINE_STORE_CODE}' AS store_code, item.sku AS sku,
                   try_cast(order_ts AS timestamp) AS sale_ts, order_ts AS sale_ts_text, 'SALE' AS transaction_type,
                   try_cast(item.quantity AS int) AS quantity, item.quantity AS quantity_text,
                   try_cast(item.unit_price AS decimal(12,2)) AS unit_price, item.unit_price AS unit_price_text,
                   coalesce(try_cast(item.discount AS decimal(12,2)), 0) AS discount_amount,
                   CAST(NULL AS string) AS promo_code, get_json_object(payment, '$.method') AS payment_method,
                   get_json_object(customer, '$.customer_id') AS customer_id,
                   get_json_object(payment, '$.currency') AS currency, {LINEAGE}
            FROM {{bronze}} LATERAL VIEW OUTER explode(from_json(items,
                'array<struct<line_number:string,sku:string,quantity:string,unit_price:string,discount:string>>'))
                AS item""",
    },
    key=("sales_line_id",),
    latest_by="_ingest_ts",
    rules=(
        mandatory("channel", "store_code", "sku", "sale_ts_text", "quantity_text", "unit_price_text",
                  owner=OWNER_STORES, extra="channel = 'store' OR customer_id IS NOT NULL"),
        numeric("quantity", "unit_price", "sale_ts", owner=OWNER_STORES),
        Rule("quantity_in_range",
             "quantity IS NULL OR CASE WHEN transaction_type = 'RETURN' THEN quantity BETWEEN -1000 AND -1 "
             "ELSE quantity BETWEEN 1 AND 1000 END", "quarantine", OWNER_STORES,
             "a sale sells 1 to 1,000 units, a return takes back 1 to 1,000"),
        Rule("price_in_range", "unit_price IS NULL OR (unit_price > 0 AND unit_price < 10000)", "quarantine",
             OWNER_STORES, "a unit price is positive and below 10,000"),
        Rule("not_in_future", "sale_ts IS NULL OR _delivery_date IS NULL OR sale_ts < date_add(_delivery_date, 2)",
             "quarantine", OWNER_STORES, "a sale happened before the delivery that reports it (1 day of clock skew)"),
        Rule("transaction_type_known", "transaction_type IN ('SALE', 'RETURN')", "quarantine", OWNER_STORES),
        Rule("single_currency", f"currency IS NULL OR currency = '{CURRENCY}'", "fail", OWNER_STORES,
             f"amounts are in {CURRENCY}: a feed in another currency stops the load instead of being summed "
             "into the KPIs unconverted"),
    ),
    partition="sale_month",
    month_of="sale_ts",
    codes={"store_code": "stores", "sku": "products"},
    codes_owner=OWNER_STORES,
)

INVENTORY_COUNTS = Entity(
    name="inventory_counts",
    conform={"inventory_counts": f"""
        SELECT store_code, sku, try_cast(count_date AS date) AS count_date, count_date AS count_date_text,
               try_cast(on_hand_quantity AS int) AS on_hand_quantity, on_hand_quantity AS on_hand_quantity_text,
               {LINEAGE}
        FROM {{bronze}}"""},
    key=("store_code", "sku", "count_date"),
    latest_by="_ingest_ts",
    rules=(
        mandatory("store_code", "sku", "count_date_text", "on_hand_quantity_text", owner=OWNER_STORES),
        numeric("count_date", "on_hand_quantity", owner=OWNER_STORES),
        Rule("on_hand_in_range", _range("on_hand_quantity", 0, 1_000_000), "quarantine", OWNER_STORES,
             "stock on hand is between 0 and 1,000,000 units"),
    ),
    partition="count_month",
    month_of="count_date",
    codes={"store_code": "stores", "sku": "products"},
    codes_owner=OWNER_STORES,
)

INVENTORY_MOVEMENTS = Entity(
    name="inventory_movements",
    conform={"inventory_movements": f"""
        SELECT movement_id, store_code, sku, try_cast(movement_ts AS timestamp) AS movement_ts,
               movement_ts AS movement_ts_text, movement_type, try_cast(quantity AS int) AS quantity,
               quantity AS quantity_text, reference, {LINEAGE}
        FROM {{bronze}}"""},
    key=("movement_id",),
    latest_by="_ingest_ts",
    rules=(
        mandatory("movement_id", "store_code", "sku", "movement_ts_text", "movement_type", "quantity_text",
                  owner=OWNER_STORES),
        numeric("movement_ts", "quantity", owner=OWNER_STORES),
        Rule("movement_type_known", f"movement_type IS NULL OR movement_type IN {MOVEMENT_TYPES}", "quarantine",
             OWNER_STORES),
    ),
    partition="movement_month",
    month_of="movement_ts",
    codes={"store_code": "stores", "sku": "products"},
    codes_owner=OWNER_STORES,
)

FEEDBACK = Entity(
    name="feedback",
    conform={"feedback": f"""
        SELECT feedback_id, try_cast(submitted_at AS timestamp) AS submitted_at, submitted_at AS submitted_at_text,
               channel, order_id, transaction_id, store_code, sku, customer_id,
               try_cast(rating AS int) AS rating, rating AS rating_text, comment, {LINEAGE}
        FROM {{bronze}}"""},
    key=("feedback_id",),
    latest_by="_ingest_ts",
    rules=(
        mandatory("feedback_id", "submitted_at_text", "channel", "rating_text", owner=OWNER_CRM),
        numeric("submitted_at", "rating", owner=OWNER_CRM),
        Rule("rating_in_range", _range("rating", 1, 5), "quarantine", OWNER_CRM, "ratings are 1 to 5 stars"),
    ),
    codes={"sku": "products"},
    codes_owner=OWNER_CRM,
)

STORES = Entity(
    name="stores",
    conform={"stores": f"""
        SELECT store_code, store_name, store_type, region, city, try_cast(opened_date AS date) AS opened_date,
               try_cast(floor_area_sqm AS int) AS floor_area_sqm, floor_area_sqm AS floor_area_sqm_text, {LINEAGE}
        FROM {{bronze}}"""},
    key=("store_code",),
    latest_by="_ingest_ts",
    rules=(mandatory("store_code", "store_name", "region", owner=OWNER_STORES),
           numeric("floor_area_sqm", owner=OWNER_STORES)),
)

SUPPLIERS = Entity(
    name="suppliers",
    conform={"suppliers": f"""
        SELECT supplier_code, supplier_name, country,
               try_cast(promised_lead_time_days AS int) AS promised_lead_time_days,
               promised_lead_time_days AS promised_lead_time_days_text,
               try_cast(updated_at AS timestamp) AS updated_at, {LINEAGE}
        FROM {{bronze}}"""},
    key=("supplier_code",),
    latest_by="updated_at",
    rules=(mandatory("supplier_code", "supplier_name", "promised_lead_time_days_text", owner=OWNER_SUPPLY),
           numeric("promised_lead_time_days", owner=OWNER_SUPPLY)),
)

PRODUCTS = Entity(
    name="products",
    conform={"products": f"""
        SELECT sku, product_name, category, subcategory, brand, supplier_code,
               try_cast(unit_cost AS decimal(12,2)) AS unit_cost, unit_cost AS unit_cost_text,
               try_cast(unit_price AS decimal(12,2)) AS unit_price, unit_price AS unit_price_text,
               try_cast(launch_date AS date) AS launch_date, try_cast(updated_at AS timestamp) AS valid_from,
               {LINEAGE}
        FROM {{bronze}}"""},
    key=("sku",),
    latest_by="valid_from",
    rules=(
        mandatory("sku", "product_name", "category", "unit_cost_text", "unit_price_text", "valid_from",
                  owner=OWNER_SUPPLY),
        numeric("unit_cost", "unit_price", owner=OWNER_SUPPLY),
        Rule("price_positive", "unit_price IS NULL OR unit_price > 0", "quarantine", OWNER_SUPPLY),
    ),
    history="scd2",
)

CUSTOMERS = Entity(
    name="customers",
    conform={"customers": f"""
        SELECT customer_id, first_name, last_name, email, phone, city, region, loyalty_tier,
               try_cast(signup_date AS date) AS signup_date, try_cast(updated_at AS timestamp) AS valid_from,
               {LINEAGE}
        FROM {{bronze}}"""},
    key=("customer_id",),
    latest_by="valid_from",
    rules=(mandatory("customer_id", "valid_from", owner=OWNER_CRM),),
    history="scd2",
    pii=("email", "phone"),
)

PURCHASE_ORDERS = Entity(
    name="purchase_orders",
    conform={"purchase_orders": f"""
        SELECT po_number, supplier_code, store_code, try_cast(order_date AS date) AS order_date,
               order_date AS order_date_text, try_cast(promised_date AS date) AS promised_date,
               promised_date AS promised_date_text, status, try_cast(updated_at AS timestamp) AS updated_at,
               {LINEAGE}
        FROM {{bronze}}"""},
    key=("po_number",),
    latest_by="updated_at",
    rules=(mandatory("po_number", "supplier_code", "store_code", "order_date_text", "promised_date_text",
                     owner=OWNER_SUPPLY),
           numeric("order_date", "promised_date", owner=OWNER_SUPPLY)),
    codes={"store_code": "stores"},
    codes_owner=OWNER_SUPPLY,
)

PURCHASE_ORDER_LINES = Entity(
    name="purchase_order_lines",
    conform={"purchase_order_lines": f"""
        SELECT po_number, try_cast(line_number AS int) AS line_number, line_number AS line_number_text, sku,
               try_cast(quantity_ordered AS int) AS quantity_ordered, quantity_ordered AS quantity_ordered_text,
               try_cast(unit_cost AS decimal(12,2)) AS unit_cost, unit_cost AS unit_cost_text,
               try_cast(updated_at AS timestamp) AS updated_at, {LINEAGE}
        FROM {{bronze}}"""},
    key=("po_number", "line_number"),
    latest_by="updated_at",
    rules=(mandatory("po_number", "line_number_text", "sku", "quantity_ordered_text", owner=OWNER_SUPPLY),
           numeric("line_number", "quantity_ordered", "unit_cost", owner=OWNER_SUPPLY),
           Rule("quantity_ordered_in_range", _range("quantity_ordered", 1, 1_000_000), "quarantine", OWNER_SUPPLY,
                "an order line orders 1 to 1,000,000 units")),
    codes={"sku": "products"},
    codes_owner=OWNER_SUPPLY,
)

RECEIPTS = Entity(
    name="receipts",
    conform={"receipts": f"""
        SELECT receipt_id, po_number, try_cast(line_number AS int) AS line_number, line_number AS line_number_text,
               try_cast(received_date AS date) AS received_date, received_date AS received_date_text,
               try_cast(quantity_received AS int) AS quantity_received,
               quantity_received AS quantity_received_text, try_cast(updated_at AS timestamp) AS updated_at,
               {LINEAGE}
        FROM {{bronze}}"""},
    key=("receipt_id",),
    latest_by="updated_at",
    rules=(mandatory("receipt_id", "po_number", "line_number_text", "received_date_text", "quantity_received_text",
                     owner=OWNER_SUPPLY),
           numeric("line_number", "received_date", "quantity_received", owner=OWNER_SUPPLY),
           Rule("quantity_received_in_range", _range("quantity_received", 0, 100_000), "quarantine", OWNER_SUPPLY,
                "a delivery brings 0 to 100,000 units of a line")),
)

# Every entity, the largest first: entities of one level are built concurrently, in this order.
ENTITIES: tuple[Entity, ...] = (SALES_LINES, INVENTORY_COUNTS, INVENTORY_MOVEMENTS, FEEDBACK, PURCHASE_ORDER_LINES,
                                PURCHASE_ORDERS, RECEIPTS, CUSTOMERS, PRODUCTS, SUPPLIERS, STORES)
_CHECKED = {master for entity in ENTITIES for master in entity.codes.values()}
# The master data other entities check their codes against is built first, so a code delivered in the same load is
# known; everything else (facts, and the master data nothing checks against: customers, suppliers) after it.
LEVELS: tuple[tuple[Entity, ...], ...] = (tuple(e for e in ENTITIES if e.name in _CHECKED),
                                          tuple(e for e in ENTITIES if e.name not in _CHECKED))
BY_NAME = {e.name: e for e in ENTITIES}
