-- Schemas of the dedicated SQL pool. dbo holds the star schema and the KPI marts loaded from gold;
-- stg the load staging heaps; rpt the reporting views (the Power BI contract); sec the row-level security
-- functions; etl the load and maintenance procedures. CREATE SCHEMA must be alone in its batch.
CREATE SCHEMA stg;
GO
CREATE SCHEMA rpt;
GO
CREATE SCHEMA sec;
GO
CREATE SCHEMA etl;
GO
-- Which gold load each table holds: written by the load procedures, read by operators and the deployer.
CREATE TABLE etl.load_log (
    table_name NVARCHAR(128) NOT NULL,
    load_id NVARCHAR(64) NOT NULL,
    strategy NVARCHAR(32) NOT NULL,
    rows_loaded BIGINT NOT NULL,
    loaded_at DATETIME2(3) NOT NULL
)
WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);
