"""The dashboard's queries: T-SQL against the reporting views only (the contract Power BI reads), one per visual.

The text is what the dedicated pool would be sent; locally `sql_pools.warehouse.query` transpiles it to DuckDB.
Each query names its columns; the page reads them by name. Orders are total (ties broken by a key), so a rebuild
of the same warehouse gives the same page.
"""

from __future__ import annotations

# Sales performance: the whole loaded period (the local warehouse holds days to weeks of history).
PERIOD = """
SELECT MIN(d.[date]) AS first_day, MAX(d.[date]) AS last_day
FROM rpt.fact_sales AS f
JOIN rpt.dim_date AS d ON d.date_key = f.date_key"""

SALES_TOTALS = """
SELECT SUM(f.net_amount) AS net_sales,
       SUM(f.gross_margin) AS gross_margin,
       CAST(SUM(f.gross_margin) AS FLOAT) / NULLIF(CAST(SUM(f.net_amount) AS FLOAT), 0) AS gross_margin_pct,
       COUNT(DISTINCT f.document_id) AS transactions
FROM rpt.fact_sales AS f"""

SALES_BY_REGION = """
SELECT s.region,
       SUM(f.net_amount) AS net_sales,
       CAST(SUM(f.gross_margin) AS FLOAT) / NULLIF(CAST(SUM(f.net_amount) AS FLOAT), 0) AS gross_margin_pct,
       COUNT(DISTINCT f.document_id) AS transactions
FROM rpt.fact_sales AS f
JOIN rpt.dim_store AS s ON s.store_key = f.store_key
GROUP BY s.region
ORDER BY net_sales DESC, s.region"""

SALES_BY_CATEGORY = """
SELECT p.category, SUM(f.net_amount) AS net_sales
FROM rpt.fact_sales AS f
JOIN rpt.dim_product AS p ON p.product_key = f.product_key
GROUP BY p.category
ORDER BY p.category"""

SALES_BY_REGION_CATEGORY = """
SELECT s.region, p.category, SUM(f.net_amount) AS net_sales
FROM rpt.fact_sales AS f
JOIN rpt.dim_store AS s ON s.store_key = f.store_key
JOIN rpt.dim_product AS p ON p.product_key = f.product_key
GROUP BY s.region, p.category
ORDER BY s.region, p.category"""

# Inventory: the position at the latest stock count (rpt.inventory_position holds that count only).
INVENTORY_TOTALS = """
SELECT MAX(d.[date]) AS as_of,
       SUM(CAST(ip.on_hand_quantity AS BIGINT)) AS units_on_hand,
       SUM(CAST(ip.below_reorder_point AS INT)) AS items_below_reorder_point,
       COUNT_BIG(*) AS items,
       SUM(CASE WHEN ip.below_reorder_point = 1 THEN ip.recommended_order_quantity ELSE 0 END) AS units_to_order
FROM rpt.inventory_position AS ip
JOIN rpt.dim_date AS d ON d.date_key = ip.date_key"""

REPLENISHMENT_LIMIT = 20

REPLENISHMENT = f"""
SELECT TOP {REPLENISHMENT_LIMIT} s.store_name, p.sku, p.product_name, ip.on_hand_quantity, ip.on_order,
       ip.reorder_point, ip.days_of_supply, ip.recommended_order_quantity
FROM rpt.inventory_position AS ip
JOIN rpt.dim_store AS s ON s.store_key = ip.store_key
JOIN rpt.dim_product AS p ON p.product_key = ip.product_key
WHERE ip.below_reorder_point = 1
ORDER BY ip.recommended_order_quantity DESC, s.store_name, p.sku"""

# Customers and feedback.
CUSTOMER_SEGMENTS = """
SELECT segment, COUNT_BIG(*) AS customers, SUM(monetary) AS monetary
FROM rpt.customer_rfm
GROUP BY segment"""

# The view holds one average per product x store: weight each by its responses to get the store's average rating.
RATING_BY_STORE = """
SELECT s.store_name,
       SUM(fs.responses) AS responses,
       SUM(fs.average_rating * fs.responses) / SUM(CAST(fs.responses AS FLOAT)) AS average_rating,
       SUM(fs.positive_share * fs.responses) / SUM(CAST(fs.responses AS FLOAT)) AS positive_share,
       SUM(fs.negative_share * fs.responses) / SUM(CAST(fs.responses AS FLOAT)) AS negative_share
FROM rpt.feedback_summary AS fs
JOIN rpt.dim_store AS s ON s.store_key = fs.store_key
GROUP BY s.store_name
ORDER BY average_rating DESC, s.store_name"""

FEEDBACK_TOTALS = """
SELECT SUM(responses) AS responses,
       SUM(average_rating * responses) / SUM(CAST(responses AS FLOAT)) AS average_rating
FROM rpt.feedback_summary"""

QUERIES: dict[str, str] = {
    "period": PERIOD,
    "sales_totals": SALES_TOTALS,
    "sales_by_region": SALES_BY_REGION,
    "sales_by_category": SALES_BY_CATEGORY,
    "sales_by_region_category": SALES_BY_REGION_CATEGORY,
    "inventory_totals": INVENTORY_TOTALS,
    "replenishment": REPLENISHMENT,
    "customer_segments": CUSTOMER_SEGMENTS,
    "rating_by_store": RATING_BY_STORE,
    "feedback_totals": FEEDBACK_TOTALS,
}

# rpt.customer_rfm's segments, best first (the view's CASE); a segment with no customers still gets its bar.
SEGMENTS = ("Champions", "Loyal", "Promising", "New", "At risk", "Hibernating")
