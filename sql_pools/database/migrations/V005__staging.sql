-- Staging heaps that COPY INTO fills from the gold exports: ROUND_ROBIN (the fastest load, no hashing) and
-- HEAP (no index to maintain while loading). Each takes its columns from its target, so a table's shape is
-- written once; a migration that changes a target recreates its staging table the same way.
CREATE TABLE stg.dim_date WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_date WHERE 1 = 0;
GO
CREATE TABLE stg.dim_channel WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_channel WHERE 1 = 0;
GO
CREATE TABLE stg.dim_store WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_store WHERE 1 = 0;
GO
CREATE TABLE stg.dim_supplier WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_supplier WHERE 1 = 0;
GO
CREATE TABLE stg.dim_product WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_product WHERE 1 = 0;
GO
CREATE TABLE stg.dim_customer WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.dim_customer WHERE 1 = 0;
GO
CREATE TABLE stg.fact_sales WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.fact_sales WHERE 1 = 0;
GO
CREATE TABLE stg.fact_inventory_snapshot WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.fact_inventory_snapshot WHERE 1 = 0;
GO
CREATE TABLE stg.fact_inventory_movement WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.fact_inventory_movement WHERE 1 = 0;
GO
CREATE TABLE stg.fact_purchase_order_line WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.fact_purchase_order_line WHERE 1 = 0;
GO
CREATE TABLE stg.fact_feedback WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.fact_feedback WHERE 1 = 0;
GO
CREATE TABLE stg.mart_sales_daily WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.mart_sales_daily WHERE 1 = 0;
GO
CREATE TABLE stg.mart_inventory_position WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.mart_inventory_position WHERE 1 = 0;
GO
CREATE TABLE stg.mart_stock_performance WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.mart_stock_performance WHERE 1 = 0;
GO
CREATE TABLE stg.mart_supplier_performance WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.mart_supplier_performance WHERE 1 = 0;
GO
CREATE TABLE stg.mart_customer_rfm WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.mart_customer_rfm WHERE 1 = 0;
GO
CREATE TABLE stg.mart_feedback WITH (DISTRIBUTION = ROUND_ROBIN, HEAP) AS SELECT * FROM dbo.mart_feedback WHERE 1 = 0;
