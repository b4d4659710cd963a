-- Row-level security by region, on the dimensions that carry a region and on every fact and mart that carries
-- a store (a pool's RLS is filter predicates only: inline table-valued functions bound by a security policy).
-- A row is visible to members of retail_all_regions, retail_powerbi and retail_loader, and to a principal
-- whose sec.region_access rows name the row's region (a fact's region is its store's). Store -1 (Unknown)
-- has region 'Unknown': only the exempt roles see it.
-- Result set caching vs RLS: a pool does not serve RLS tables from the result set cache, and a materialized
-- view cannot be built on an RLS table. This project keeps RLS, turns result set caching off (it would only
-- cost cache writes), and serves the hot dashboard aggregates from the KPI mart tables instead of
-- materialized views. See sql_pools/database/README.md.
DROP SECURITY POLICY IF EXISTS sec.region_policy;
GO
DROP FUNCTION IF EXISTS sec.fn_store_filter;
GO
DROP FUNCTION IF EXISTS sec.fn_region_filter;
GO
CREATE FUNCTION sec.fn_region_filter(@region NVARCHAR(40))
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
SELECT 1 AS allowed
WHERE IS_ROLEMEMBER(N'retail_all_regions') = 1 OR IS_ROLEMEMBER(N'retail_powerbi') = 1
   OR IS_ROLEMEMBER(N'retail_loader') = 1
   OR EXISTS (SELECT 1 FROM sec.region_access AS a WHERE a.region = @region AND a.principal_name = USER_NAME());
GO
CREATE FUNCTION sec.fn_store_filter(@store_key BIGINT)
RETURNS TABLE
WITH SCHEMABINDING
AS
RETURN
SELECT 1 AS allowed
WHERE IS_ROLEMEMBER(N'retail_all_regions') = 1 OR IS_ROLEMEMBER(N'retail_powerbi') = 1
   OR IS_ROLEMEMBER(N'retail_loader') = 1
   OR EXISTS (SELECT 1 FROM dbo.dim_store AS s
              JOIN sec.region_access AS a ON a.region = s.region
              WHERE s.store_key = @store_key AND a.principal_name = USER_NAME());
GO
CREATE SECURITY POLICY sec.region_policy
    ADD FILTER PREDICATE sec.fn_region_filter(region) ON dbo.dim_store,
    ADD FILTER PREDICATE sec.fn_region_filter(region) ON dbo.dim_customer,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.fact_sales,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.fact_inventory_snapshot,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.fact_inventory_movement,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.fact_purchase_order_line,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.fact_feedback,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.mart_sales_daily,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.mart_inventory_position,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.mart_stock_performance,
    ADD FILTER PREDICATE sec.fn_store_filter(store_key) ON dbo.mart_feedback
    WITH (STATE = ON);
GO
-- Dynamic data masking: the pseudonymised e-mail is still a join key across systems, and the city narrows a
-- customer down; both show masked unless the reader holds UNMASK.
ALTER TABLE dbo.dim_customer ALTER COLUMN email_hash ADD MASKED WITH (FUNCTION = 'default()');
ALTER TABLE dbo.dim_customer ALTER COLUMN city ADD MASKED WITH (FUNCTION = 'partial(1, "xxxx", 0)');
GO
-- Grants. Readers get the reporting views only; the analyst's base-table access is column by column.
GRANT SELECT ON SCHEMA::rpt TO retail_powerbi, retail_report_reader, retail_analyst;
GRANT SELECT ON dbo.dim_customer (customer_key, customer_id, city, region, loyalty_tier, signup_date) TO retail_analyst;
GRANT SELECT ON dbo.fact_sales (date_key, store_key, product_key, customer_key, channel_key, quantity, net_amount,
    cost_amount) TO retail_analyst;
DENY SELECT ON dbo.dim_customer (email_hash) TO retail_report_reader, retail_analyst;
GRANT UNMASK TO retail_pii_reader;
GRANT EXECUTE ON SCHEMA::etl TO retail_loader;
GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::dbo TO retail_loader;
GRANT SELECT, INSERT, UPDATE, DELETE, ALTER ON SCHEMA::stg TO retail_loader;
GRANT ADMINISTER DATABASE BULK OPERATIONS TO retail_loader;
GRANT VIEW DATABASE STATE TO retail_dba;
