-- The reporting views: the contract Power BI (DirectQuery) and analysts query; nothing reads dbo directly.
-- Star views pass the model's columns through (no PII: dim_customer leaves the e-mail hash out).
-- KPI views recompute each KPI from the facts in T-SQL, the second of two independent computations: the Spark
-- gold job computes the same KPIs into the dbo.mart_* tables (formulas in spark_pools/gold/kpis.py), and the
-- tests hold both to the same values. Constants restated here: 28-day demand window, z = 1.65 (95 % cycle
-- service level), 7-day review period. Divisions cast to FLOAT first: T-SQL divides integers as integers.
DROP VIEW IF EXISTS rpt.dim_date;
GO
CREATE VIEW rpt.dim_date AS
SELECT date_key, [date], [year], [quarter], [month], month_name, year_month, iso_week, day_of_week, day_name, is_weekend
FROM dbo.dim_date;
GO
DROP VIEW IF EXISTS rpt.dim_channel;
GO
CREATE VIEW rpt.dim_channel AS
SELECT channel_key, channel, channel_group FROM dbo.dim_channel;
GO
DROP VIEW IF EXISTS rpt.dim_store;
GO
CREATE VIEW rpt.dim_store AS
SELECT store_key, store_code, store_name, store_type, region, city, opened_date, floor_area_sqm FROM dbo.dim_store;
GO
DROP VIEW IF EXISTS rpt.dim_supplier;
GO
CREATE VIEW rpt.dim_supplier AS
SELECT supplier_key, supplier_code, supplier_name, country, promised_lead_time_days FROM dbo.dim_supplier;
GO
DROP VIEW IF EXISTS rpt.dim_product;
GO
CREATE VIEW rpt.dim_product AS
SELECT product_key, sku, product_name, category, subcategory, brand, supplier_key, unit_cost, unit_price, launch_date
FROM dbo.dim_product;
GO
DROP VIEW IF EXISTS rpt.dim_customer;
GO
CREATE VIEW rpt.dim_customer AS
SELECT customer_key, customer_id, city, region, loyalty_tier, signup_date FROM dbo.dim_customer;
GO
DROP VIEW IF EXISTS rpt.fact_sales;
GO
CREATE VIEW rpt.fact_sales AS
SELECT sales_line_id, date_key, store_key, product_key, customer_key, channel_key, document_id, transaction_type,
       quantity, unit_price, gross_amount, discount_amount, net_amount, cost_amount,
       net_amount - cost_amount AS gross_margin
FROM dbo.fact_sales;
GO
DROP VIEW IF EXISTS rpt.fact_inventory_snapshot;
GO
CREATE VIEW rpt.fact_inventory_snapshot AS
SELECT date_key, store_key, product_key, on_hand_quantity FROM dbo.fact_inventory_snapshot;
GO
DROP VIEW IF EXISTS rpt.fact_purchase_order_line;
GO
CREATE VIEW rpt.fact_purchase_order_line AS
SELECT po_number, line_number, order_date_key, promised_date_key, received_date_key, supplier_key, store_key,
       product_key, status, quantity_ordered, quantity_received, unit_cost, is_on_time, is_in_full, otif,
       lead_time_days
FROM dbo.fact_purchase_order_line;
GO
DROP VIEW IF EXISTS rpt.fact_feedback;
GO
CREATE VIEW rpt.fact_feedback AS
SELECT feedback_id, date_key, store_key, product_key, customer_key, channel_key, rating, sentiment
FROM dbo.fact_feedback;
GO
-- Sales by day x store x category: units, amounts, margin, transactions (distinct documents) and lines.
DROP VIEW IF EXISTS rpt.sales_daily;
GO
CREATE VIEW rpt.sales_daily AS
SELECT s.date_key, s.store_key, p.category,
       SUM(CAST(s.quantity AS BIGINT)) AS units,
       SUM(s.gross_amount) AS gross_amount, SUM(s.discount_amount) AS discount_amount,
       SUM(s.net_amount) AS net_amount, SUM(s.cost_amount) AS cost_amount,
       SUM(s.net_amount) - SUM(s.cost_amount) AS gross_margin,
       COUNT(DISTINCT s.document_id) AS transactions, COUNT_BIG(*) AS lines
FROM dbo.fact_sales AS s
LEFT JOIN dbo.dim_product AS p ON p.product_key = s.product_key
GROUP BY s.date_key, s.store_key, p.category;
GO
-- Supplier on-time-in-full and fill rate over the order lines due by the latest stock count.
DROP VIEW IF EXISTS rpt.supplier_performance;
GO
CREATE VIEW rpt.supplier_performance AS
SELECT o.supplier_key,
       COUNT_BIG(*) AS lines_due,
       SUM(CAST(o.is_on_time AS INT)) AS lines_on_time,
       SUM(CAST(o.is_in_full AS INT)) AS lines_in_full,
       AVG(CAST(o.otif AS FLOAT)) AS otif_rate,
       SUM(CAST(o.quantity_ordered AS BIGINT)) AS units_ordered,
       SUM(o.quantity_received) AS units_received,
       CASE WHEN SUM(o.quantity_ordered) > 0
            THEN CAST(SUM(o.quantity_received) AS FLOAT) / SUM(CAST(o.quantity_ordered AS FLOAT)) END AS fill_rate,
       AVG(CAST(o.lead_time_days AS FLOAT)) AS average_lead_time_days
FROM dbo.fact_purchase_order_line AS o
WHERE o.promised_date <= (SELECT MAX(count_date) FROM dbo.fact_inventory_snapshot)
GROUP BY o.supplier_key;
GO
-- Rating and sentiment shares by product x store.
DROP VIEW IF EXISTS rpt.feedback_summary;
GO
CREATE VIEW rpt.feedback_summary AS
SELECT product_key, store_key,
       COUNT_BIG(*) AS responses,
       AVG(CAST(rating AS FLOAT)) AS average_rating,
       AVG(CASE WHEN sentiment = 'positive' THEN 1.0 ELSE 0.0 END) AS positive_share,
       AVG(CASE WHEN sentiment = 'negative' THEN 1.0 ELSE 0.0 END) AS negative_share
FROM dbo.fact_feedback
WHERE rating IS NOT NULL
GROUP BY product_key, store_key;
GO
-- Stock turnover (COGS / average inventory at cost), GMROI (gross margin / average inventory at cost) and
-- sell-through (units sold / (opening stock + units received)) per store x product over the whole period.
DROP VIEW IF EXISTS rpt.stock_performance;
GO
CREATE VIEW rpt.stock_performance AS
WITH period AS (
    SELECT MIN(count_date) AS first_day FROM dbo.fact_inventory_snapshot
), stock AS (
    SELECT i.store_key, i.product_key,
           AVG(i.on_hand_quantity * p.unit_cost) AS average_inventory_cost,
           AVG(CAST(i.on_hand_quantity AS FLOAT)) AS average_on_hand,
           SUM(CASE WHEN i.count_date = period.first_day THEN i.on_hand_quantity END) AS opening_on_hand
    FROM dbo.fact_inventory_snapshot AS i
    CROSS JOIN period
    LEFT JOIN dbo.dim_product AS p ON p.product_key = i.product_key
    GROUP BY i.store_key, i.product_key
), sold AS (
    SELECT store_key, product_key,
           SUM(CASE WHEN transaction_type = 'SALE' THEN CAST(quantity AS BIGINT) ELSE 0 END) AS units_sold,
           SUM(net_amount) AS net_amount, SUM(cost_amount) AS cost_of_goods_sold
    FROM dbo.fact_sales
    GROUP BY store_key, product_key
), received AS (
    SELECT m.store_key, m.product_key, SUM(CAST(m.quantity AS BIGINT)) AS units_received
    FROM dbo.fact_inventory_movement AS m
    CROSS JOIN period
    WHERE m.movement_type IN ('RECEIPT', 'INITIAL')
      AND m.date_key > YEAR(period.first_day) * 10000 + MONTH(period.first_day) * 100 + DAY(period.first_day)
    GROUP BY m.store_key, m.product_key
), joined AS (
    SELECT COALESCE(stock.store_key, sold.store_key) AS store_key,
           COALESCE(stock.product_key, sold.product_key) AS product_key,
           COALESCE(sold.units_sold, 0) AS units_sold, sold.net_amount, sold.cost_of_goods_sold,
           stock.average_on_hand, stock.average_inventory_cost, stock.opening_on_hand
    FROM stock
    FULL OUTER JOIN sold ON sold.store_key = stock.store_key AND sold.product_key = stock.product_key
)
SELECT j.store_key, j.product_key, j.units_sold, j.net_amount, j.cost_of_goods_sold,
       j.net_amount - j.cost_of_goods_sold AS gross_margin,
       j.average_on_hand, j.average_inventory_cost, j.opening_on_hand,
       COALESCE(r.units_received, 0) AS units_received,
       CASE WHEN j.average_inventory_cost > 0
            THEN CAST(j.cost_of_goods_sold AS FLOAT) / CAST(j.average_inventory_cost AS FLOAT) END AS stock_turnover,
       CASE WHEN j.average_inventory_cost > 0
            THEN CAST(j.net_amount - j.cost_of_goods_sold AS FLOAT) / CAST(j.average_inventory_cost AS FLOAT)
       END AS gmroi,
       CASE WHEN COALESCE(j.opening_on_hand, 0) + COALESCE(r.units_received, 0) > 0
            THEN CAST(j.units_sold AS FLOAT) / (COALESCE(j.opening_on_hand, 0) + COALESCE(r.units_received, 0))
       END AS sell_through
FROM joined AS j
LEFT JOIN received AS r ON r.store_key = j.store_key AND r.product_key = j.product_key;
GO
-- Inventory position per store x product at the latest count: average daily demand and its sample standard
-- deviation over the last 28 days (days without sales count as zero; shorter when history is shorter),
-- supplier lead time (mean and deviation of actual lead times, else the promised one), safety stock
-- z * sqrt(L * sd_d^2 + d^2 * sd_L^2), reorder point d * L + safety stock, days of supply on hand / d, and
-- the order that brings the position (on hand + on order) up to reorder point + 7 days of demand.
DROP VIEW IF EXISTS rpt.inventory_position;
GO
CREATE VIEW rpt.inventory_position AS
WITH as_of AS (
    SELECT MAX(count_date) AS as_of FROM dbo.fact_inventory_snapshot
), history AS (
    SELECT as_of.as_of,
           CASE WHEN DATEDIFF(DAY, MIN(CAST(s.sale_ts AS DATE)), as_of.as_of) + 1 < 28
                THEN DATEDIFF(DAY, MIN(CAST(s.sale_ts AS DATE)), as_of.as_of) + 1 ELSE 28 END AS window_days
    FROM dbo.fact_sales AS s
    CROSS JOIN as_of
    WHERE s.transaction_type = 'SALE' AND CAST(s.sale_ts AS DATE) <= as_of.as_of
    GROUP BY as_of.as_of
), daily AS (
    SELECT s.store_key, s.product_key, CAST(s.sale_ts AS DATE) AS sale_date,
           CAST(SUM(s.quantity) AS FLOAT) AS units
    FROM dbo.fact_sales AS s
    CROSS JOIN history AS h
    WHERE s.transaction_type = 'SALE'
      AND CAST(s.sale_ts AS DATE) <= h.as_of
      AND CAST(s.sale_ts AS DATE) >= DATEADD(DAY, 1 - h.window_days, h.as_of)
    GROUP BY s.store_key, s.product_key, CAST(s.sale_ts AS DATE)
), demand AS (
    SELECT d.store_key, d.product_key,
           SUM(d.units) / h.window_days AS avg_daily_demand,
           SQRT(CASE WHEN SUM(d.units * d.units) / h.window_days - SQUARE(SUM(d.units) / h.window_days) > 0
                     THEN SUM(d.units * d.units) / h.window_days - SQUARE(SUM(d.units) / h.window_days)
                     ELSE 0 END
                * h.window_days / CASE WHEN h.window_days > 1 THEN h.window_days - 1 ELSE 1 END) AS demand_sd
    FROM daily AS d
    CROSS JOIN history AS h
    GROUP BY d.store_key, d.product_key, h.window_days
), on_order AS (
    SELECT store_key, product_key, SUM(CAST(quantity_ordered AS BIGINT)) AS on_order
    FROM dbo.fact_purchase_order_line
    WHERE first_received_date IS NULL
    GROUP BY store_key, product_key
), lead_times AS (
    SELECT supplier_key, AVG(CAST(lead_time_days AS FLOAT)) AS lead_time_days,
           COALESCE(STDEV(CAST(lead_time_days AS FLOAT)), 0) AS lead_time_sd
    FROM dbo.fact_purchase_order_line
    WHERE lead_time_days IS NOT NULL
    GROUP BY supplier_key
), inputs AS (
    SELECT i.date_key, i.store_key, i.product_key, i.on_hand_quantity,
           COALESCE(o.on_order, 0) AS on_order,
           COALESCE(d.avg_daily_demand, 0) AS avg_daily_demand,
           COALESCE(d.demand_sd, 0) AS demand_sd,
           COALESCE(l.lead_time_days, CAST(sp.promised_lead_time_days AS FLOAT), 0) AS lead_time_days,
           COALESCE(l.lead_time_sd, 0) AS lead_time_sd
    FROM dbo.fact_inventory_snapshot AS i
    CROSS JOIN as_of
    LEFT JOIN demand AS d ON d.store_key = i.store_key AND d.product_key = i.product_key
    LEFT JOIN on_order AS o ON o.store_key = i.store_key AND o.product_key = i.product_key
    LEFT JOIN dbo.dim_product AS p ON p.product_key = i.product_key
    LEFT JOIN lead_times AS l ON l.supplier_key = p.supplier_key
    LEFT JOIN dbo.dim_supplier AS sp ON sp.supplier_key = p.supplier_key
    WHERE i.count_date = as_of.as_of
), safety AS (
    SELECT inputs.*,
           1.65 * SQRT(lead_time_days * demand_sd * demand_sd
                       + avg_daily_demand * avg_daily_demand * lead_time_sd * lead_time_sd) AS safety_stock
    FROM inputs
), reorder AS (
    SELECT safety.*, avg_daily_demand * lead_time_days + safety_stock AS reorder_point
    FROM safety
)
SELECT date_key, store_key, product_key, on_hand_quantity, on_order, avg_daily_demand, demand_sd, lead_time_days,
       lead_time_sd, safety_stock, reorder_point,
       CASE WHEN avg_daily_demand > 0 THEN on_hand_quantity / avg_daily_demand END AS days_of_supply,
       CASE WHEN CEILING(reorder_point + avg_daily_demand * 7 - on_hand_quantity - on_order) > 0
            THEN CAST(CEILING(reorder_point + avg_daily_demand * 7 - on_hand_quantity - on_order) AS BIGINT)
            ELSE 0 END AS recommended_order_quantity,
       CAST(CASE WHEN on_hand_quantity + on_order < reorder_point THEN 1 ELSE 0 END AS BIT) AS below_reorder_point
FROM reorder;
GO
-- Customer RFM: recency (days since the last purchase at the latest count), frequency (distinct documents) and
-- monetary (net spend) scored 1-5 by quintile (5 best; ties broken by customer key), then named segments.
DROP VIEW IF EXISTS rpt.customer_rfm;
GO
CREATE VIEW rpt.customer_rfm AS
WITH per_customer AS (
    SELECT s.customer_key,
           DATEDIFF(DAY, MAX(CAST(s.sale_ts AS DATE)), (SELECT MAX(count_date) FROM dbo.fact_inventory_snapshot))
               AS recency_days,
           COUNT(DISTINCT s.document_id) AS frequency,
           SUM(s.net_amount) AS monetary
    FROM dbo.fact_sales AS s
    WHERE s.customer_key NOT IN (-1, -2)
    GROUP BY s.customer_key
), scored AS (
    SELECT customer_key, recency_days, frequency, monetary,
           NTILE(5) OVER (ORDER BY recency_days DESC, customer_key) AS r_score,
           NTILE(5) OVER (ORDER BY frequency ASC, customer_key) AS f_score,
           NTILE(5) OVER (ORDER BY monetary ASC, customer_key) AS m_score
    FROM per_customer
)
SELECT customer_key, recency_days, frequency, monetary, r_score, f_score, m_score,
       CASE WHEN r_score >= 4 AND f_score >= 4 THEN 'Champions'
            WHEN f_score >= 4 THEN 'Loyal'
            WHEN r_score >= 4 AND f_score <= 2 THEN 'New'
            WHEN r_score <= 2 AND f_score >= 3 THEN 'At risk'
            WHEN r_score <= 2 AND f_score <= 2 THEN 'Hibernating'
            ELSE 'Promising' END AS segment
FROM scored;
