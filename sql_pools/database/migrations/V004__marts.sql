-- KPI marts computed by the Spark gold job (spark_pools/gold/kpis.py defines each formula). The pool serves
-- them as loaded; the reporting views recompute the same KPIs from the facts in T-SQL, and the tests hold both
-- computations to the same values. Store x product marts hash on product_key like the facts they summarise;
-- tables under ~60 M rows get a clustered index instead of a columnstore (too few rows per distribution to
-- fill row groups).
CREATE TABLE dbo.mart_sales_daily (
    date_key INT NOT NULL,
    store_key BIGINT NOT NULL,
    category NVARCHAR(60),
    units BIGINT,
    gross_amount DECIMAL(24, 2),
    discount_amount DECIMAL(24, 2),
    net_amount DECIMAL(24, 2),
    cost_amount DECIMAL(24, 2),
    gross_margin DECIMAL(25, 2),
    transactions BIGINT,
    lines BIGINT
)
-- ROUND_ROBIN: its natural keys are a date, a few hundred stores and a few dozen categories, all poor hash
-- columns; dashboards read it through small aggregates, and the hot ones have materialized views.
WITH (DISTRIBUTION = ROUND_ROBIN, CLUSTERED COLUMNSTORE INDEX);
GO
CREATE TABLE dbo.mart_inventory_position (
    date_key INT NOT NULL,
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    on_hand_quantity INT,
    on_order BIGINT,
    avg_daily_demand FLOAT,
    demand_sd FLOAT,
    lead_time_days FLOAT,
    lead_time_sd FLOAT,
    safety_stock FLOAT,
    reorder_point FLOAT,
    days_of_supply FLOAT,
    recommended_order_quantity BIGINT,
    below_reorder_point BIT
)
WITH (DISTRIBUTION = HASH(product_key), CLUSTERED COLUMNSTORE INDEX);
GO
CREATE TABLE dbo.mart_stock_performance (
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    units_sold BIGINT,
    net_amount DECIMAL(24, 2),
    cost_of_goods_sold DECIMAL(24, 2),
    gross_margin DECIMAL(25, 2),
    average_on_hand FLOAT,
    average_inventory_cost DECIMAL(27, 6),
    opening_on_hand BIGINT,
    units_received BIGINT,
    stock_turnover DECIMAL(38, 10),
    gmroi DECIMAL(38, 9),
    sell_through FLOAT
)
WITH (DISTRIBUTION = HASH(product_key), CLUSTERED COLUMNSTORE INDEX);
GO
CREATE TABLE dbo.mart_supplier_performance (
    supplier_key BIGINT NOT NULL,
    lines_due BIGINT,
    lines_on_time BIGINT,
    lines_in_full BIGINT,
    otif_rate FLOAT,
    units_ordered BIGINT,
    units_received BIGINT,
    fill_rate FLOAT,
    average_lead_time_days FLOAT
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (supplier_key));
GO
CREATE TABLE dbo.mart_customer_rfm (
    customer_key BIGINT NOT NULL,
    recency_days INT,
    frequency BIGINT,
    monetary DECIMAL(24, 2),
    r_score INT,
    f_score INT,
    m_score INT,
    segment NVARCHAR(20)
)
WITH (DISTRIBUTION = HASH(customer_key), CLUSTERED INDEX (customer_key));
GO
CREATE TABLE dbo.mart_feedback (
    product_key BIGINT NOT NULL,
    store_key BIGINT NOT NULL,
    responses BIGINT,
    average_rating FLOAT,
    positive_share FLOAT,
    negative_share FLOAT
)
WITH (DISTRIBUTION = HASH(product_key), CLUSTERED INDEX (product_key, store_key));
