-- Dimensions: REPLICATE (each is far below 2 GB at production volume, so every compute node keeps a full copy
-- and joins to the facts move no data), with a clustered index on the surrogate key (a columnstore needs about
-- 1 M rows per distribution to compress well; these have thousands). dim_customer is the large one (about
-- 5 M rows, well under 2 GB): still replicated, but columnstore. Every dimension holds the members
-- -1 (Unknown: the fact arrived before its dimension row) and -2 (Not applicable), loaded from gold.
CREATE TABLE dbo.dim_date (
    date_key INT NOT NULL,
    [date] DATE NOT NULL,
    [year] INT NOT NULL,
    [quarter] INT NOT NULL,
    [month] INT NOT NULL,
    month_name NVARCHAR(12) NOT NULL,
    year_month NVARCHAR(7) NOT NULL,
    iso_week INT NOT NULL,
    day_of_week INT NOT NULL,
    day_name NVARCHAR(12) NOT NULL,
    is_weekend BIT NOT NULL
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (date_key));
GO
CREATE TABLE dbo.dim_channel (
    channel_key BIGINT NOT NULL,
    channel NVARCHAR(20) NOT NULL,
    channel_group NVARCHAR(20) NOT NULL
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (channel_key));
GO
CREATE TABLE dbo.dim_store (
    store_key BIGINT NOT NULL,
    store_code NVARCHAR(32) NOT NULL,
    store_name NVARCHAR(200),
    store_type NVARCHAR(40),
    region NVARCHAR(40),
    city NVARCHAR(100),
    opened_date DATE,
    floor_area_sqm INT
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (store_key));
GO
CREATE TABLE dbo.dim_supplier (
    supplier_key BIGINT NOT NULL,
    supplier_code NVARCHAR(32) NOT NULL,
    supplier_name NVARCHAR(200),
    country NVARCHAR(60),
    promised_lead_time_days INT
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (supplier_key));
GO
CREATE TABLE dbo.dim_product (
    product_key BIGINT NOT NULL,
    sku NVARCHAR(32) NOT NULL,
    product_name NVARCHAR(200),
    category NVARCHAR(60),
    subcategory NVARCHAR(60),
    brand NVARCHAR(60),
    supplier_code NVARCHAR(32),
    supplier_key BIGINT,  -- NULL on the -1 / -2 members
    unit_cost DECIMAL(12, 2),
    unit_price DECIMAL(12, 2),
    launch_date DATE
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED INDEX (product_key));
GO
CREATE TABLE dbo.dim_customer (
    customer_key BIGINT NOT NULL,
    customer_id NVARCHAR(32) NOT NULL,
    city NVARCHAR(100),
    region NVARCHAR(40),
    loyalty_tier NVARCHAR(20),
    signup_date DATE,
    email_hash NVARCHAR(64)
)
WITH (DISTRIBUTION = REPLICATE, CLUSTERED COLUMNSTORE INDEX);
