-- Facts: HASH(product_key) on every fact. product_key has tens of thousands of values, no NULLs (late products
-- sit on the -1 member, a sliver of the rows), is not a date, and every store x product KPI joins two facts on
-- it, so those joins stay inside a distribution. customer_key would be worse: anonymous till sales all carry
-- -1 and would pile onto one distribution; store_key has only hundreds of values for 60 distributions.
-- Partitions follow the 1 M rows per distribution per partition guideline at production volume (see
-- `retail sql advise`): sales monthly, the daily stock snapshot quarterly, movements yearly; order lines and
-- feedback are too small to partition. RANGE RIGHT: a boundary is the first day of its period.
-- etl.usp_extend_partitions keeps empty future partitions ahead of the data.
CREATE TABLE dbo.fact_sales (
    sales_line_id NVARCHAR(64) NOT NULL,
    date_key INT NOT NULL,
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    customer_key BIGINT NOT NULL,
    channel_key BIGINT NOT NULL,
    store_code NVARCHAR(32),
    sku NVARCHAR(32),
    customer_id NVARCHAR(32),
    channel NVARCHAR(20),
    document_id NVARCHAR(64),
    line_number INT,
    transaction_type NVARCHAR(16),
    sale_ts DATETIME2(6),
    quantity INT,
    unit_price DECIMAL(12, 2),
    gross_amount DECIMAL(14, 2),
    discount_amount DECIMAL(14, 2),
    net_amount DECIMAL(14, 2),
    cost_amount DECIMAL(14, 2),
    promo_code NVARCHAR(32)
)
WITH (
    DISTRIBUTION = HASH(product_key),
    CLUSTERED COLUMNSTORE INDEX ORDER (date_key),
    PARTITION (date_key RANGE RIGHT FOR VALUES (
        20260101, 20260201, 20260301, 20260401, 20260501, 20260601,
        20260701, 20260801, 20260901, 20261001, 20261101, 20261201,
        20270101, 20270201, 20270301))
);
GO
CREATE TABLE dbo.fact_inventory_snapshot (
    date_key INT NOT NULL,
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    store_code NVARCHAR(32),
    sku NVARCHAR(32),
    count_date DATE NOT NULL,
    on_hand_quantity INT
)
WITH (
    DISTRIBUTION = HASH(product_key),
    CLUSTERED COLUMNSTORE INDEX,
    PARTITION (date_key RANGE RIGHT FOR VALUES (20260101, 20260401, 20260701, 20261001, 20270101, 20270401))
);
GO
CREATE TABLE dbo.fact_inventory_movement (
    movement_id NVARCHAR(64) NOT NULL,
    date_key INT NOT NULL,
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    store_code NVARCHAR(32),
    sku NVARCHAR(32),
    movement_ts DATETIME2(6),
    movement_type NVARCHAR(16),
    quantity INT,
    reference NVARCHAR(64)
)
WITH (
    DISTRIBUTION = HASH(product_key),
    CLUSTERED COLUMNSTORE INDEX,
    PARTITION (date_key RANGE RIGHT FOR VALUES (20260101, 20270101, 20280101))
);
GO
CREATE TABLE dbo.fact_purchase_order_line (
    po_number NVARCHAR(32) NOT NULL,
    line_number INT NOT NULL,
    order_date_key INT NOT NULL,
    promised_date_key INT NOT NULL,
    received_date_key INT,  -- NULL until the first delivery
    supplier_key BIGINT NOT NULL,
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    supplier_code NVARCHAR(32),
    store_code NVARCHAR(32),
    sku NVARCHAR(32),
    order_date DATE,
    promised_date DATE,
    first_received_date DATE,
    last_received_date DATE,
    status NVARCHAR(20),
    quantity_ordered INT,
    unit_cost DECIMAL(12, 2),
    quantity_received BIGINT,
    deliveries BIGINT,
    is_on_time BIT,
    is_in_full BIT,
    otif INT,
    lead_time_days INT
)
WITH (DISTRIBUTION = HASH(product_key), CLUSTERED COLUMNSTORE INDEX);
GO
CREATE TABLE dbo.fact_feedback (
    feedback_id NVARCHAR(64) NOT NULL,
    date_key INT NOT NULL,
    store_key BIGINT NOT NULL,
    product_key BIGINT NOT NULL,
    customer_key BIGINT NOT NULL,
    channel_key BIGINT NOT NULL,
    order_id NVARCHAR(64),
    transaction_id NVARCHAR(64),
    store_code NVARCHAR(32),
    sku NVARCHAR(32),
    customer_id NVARCHAR(32),
    submitted_at DATETIME2(6),
    rating INT,
    sentiment NVARCHAR(16),
    comment NVARCHAR(2000)
)
WITH (DISTRIBUTION = HASH(product_key), CLUSTERED COLUMNSTORE INDEX);
