-- Load procedures: the Synapse pipeline `pl_load_warehouse` calls etl.usp_load_all after the Spark gold job has
-- exported each table it changed as Parquet to <export_root>/<table>/<load_id>/ in ADLS.
-- * etl.usp_stage_export: COPY INTO the table's staging heap, as the workspace's managed identity (no keys).
-- * Dimensions and marts are small: replaced whole (TRUNCATE + INSERT in one transaction, so a failed load
--   leaves the previous version), which keeps each table's options in its CREATE TABLE only.
-- * Facts are large and arrive as whole periods: the staged rows are built into a switch table with the fact's
--   own distribution and partition boundaries (read from the catalog), and each partition that has rows is
--   switched in with TRUNCATE_TARGET, a metadata operation however large the month.
-- * Purchase order lines change after they arrive (receipts, status): MERGE on the business key; the target is
--   hash-distributed, as a pool's MERGE with an insert branch requires.
-- Statistics are not updated automatically after a load in a dedicated pool: every load ends with
-- UPDATE STATISTICS. Every statement carries a label, so sys.dm_pdw_exec_requests shows which load it was.
DROP PROCEDURE IF EXISTS etl.usp_stage_export;
GO
CREATE PROCEDURE etl.usp_stage_export @table_name NVARCHAR(128), @export_root NVARCHAR(400), @load_id NVARCHAR(64)
AS
BEGIN
    SET NOCOUNT ON;
    IF OBJECT_ID(N'stg.' + @table_name, N'U') IS NULL
        THROW 50001, N'no staging table for this name', 1;
    IF @export_root NOT LIKE N'https://%.dfs.core.windows.net/%'
        THROW 50002, N'export_root must be an ADLS Gen2 https URL', 1;
    DECLARE @sql NVARCHAR(4000) = N'TRUNCATE TABLE stg.' + QUOTENAME(@table_name) + N'; '
        + N'COPY INTO stg.' + QUOTENAME(@table_name) + N' FROM '''
        + @export_root + N'/' + @table_name + N'/' + @load_id + N'/*.parquet'' '
        + N'WITH (FILE_TYPE = ''PARQUET'', CREDENTIAL = (IDENTITY = ''Managed Identity''), AUTO_CREATE_TABLE = ''OFF'')';
    EXEC sp_executesql @sql;
END;
GO
DROP PROCEDURE IF EXISTS etl.usp_replace_from_stage;
GO
CREATE PROCEDURE etl.usp_replace_from_stage @table_name NVARCHAR(128), @load_id NVARCHAR(64)
AS
BEGIN
    SET NOCOUNT ON;
    IF OBJECT_ID(N'dbo.' + @table_name, N'U') IS NULL OR OBJECT_ID(N'stg.' + @table_name, N'U') IS NULL
        THROW 50003, N'replace needs dbo.<table> and stg.<table>', 1;
    DECLARE @label NVARCHAR(200) = N'load: ' + @table_name + N' ' + @load_id;
    DECLARE @sql NVARCHAR(4000) = N'BEGIN TRANSACTION; '
        + N'DELETE FROM dbo.' + QUOTENAME(@table_name) + N' OPTION (LABEL = ''' + @label + N' delete''); '
        + N'INSERT INTO dbo.' + QUOTENAME(@table_name) + N' SELECT * FROM stg.' + QUOTENAME(@table_name)
        + N' OPTION (LABEL = ''' + @label + N' insert''); COMMIT; '
        + N'UPDATE STATISTICS dbo.' + QUOTENAME(@table_name) + N'; '
        + N'INSERT INTO etl.load_log (table_name, load_id, strategy, rows_loaded, loaded_at) '
        + N'SELECT @table_name, @load_id, N''replace'', COUNT_BIG(*), SYSUTCDATETIME() FROM dbo.'
        + QUOTENAME(@table_name) + N' OPTION (LABEL = ''' + @label + N' log'');';
    EXEC sp_executesql @sql, N'@table_name NVARCHAR(128), @load_id NVARCHAR(64)', @table_name, @load_id;
END;
GO
DROP PROCEDURE IF EXISTS etl.usp_switch_in_periods;
GO
CREATE PROCEDURE etl.usp_switch_in_periods @table_name NVARCHAR(128), @load_id NVARCHAR(64)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @object_id INT = OBJECT_ID(N'dbo.' + @table_name, N'U');
    IF @object_id IS NULL
        THROW 50004, N'no such fact table', 1;
    -- The fact's own hash column, partition column, side and boundaries: the switch table must match exactly.
    DECLARE @hash_column NVARCHAR(128) = (
        SELECT c.name FROM sys.pdw_column_distribution_properties AS d
        JOIN sys.columns AS c ON c.object_id = d.object_id AND c.column_id = d.column_id
        WHERE d.object_id = @object_id AND d.distribution_ordinal = 1);
    DECLARE @partition_column NVARCHAR(128) = (
        SELECT c.name FROM sys.index_columns AS ic
        JOIN sys.columns AS c ON c.object_id = ic.object_id AND c.column_id = ic.column_id
        WHERE ic.object_id = @object_id AND ic.index_id <= 1 AND ic.partition_ordinal = 1);
    DECLARE @side NVARCHAR(5) = (
        SELECT CASE WHEN f.boundary_value_on_right = 1 THEN N'RIGHT' ELSE N'LEFT' END
        FROM sys.indexes AS i
        JOIN sys.partition_schemes AS s ON s.data_space_id = i.data_space_id
        JOIN sys.partition_functions AS f ON f.function_id = s.function_id
        WHERE i.object_id = @object_id AND i.index_id <= 1);
    DECLARE @boundaries NVARCHAR(4000) = (
        SELECT STRING_AGG(CAST(v.value AS NVARCHAR(40)), N', ')
        FROM sys.indexes AS i
        JOIN sys.partition_schemes AS s ON s.data_space_id = i.data_space_id
        JOIN sys.partition_range_values AS v ON v.function_id = s.function_id
        WHERE i.object_id = @object_id AND i.index_id <= 1);
    IF @hash_column IS NULL OR @partition_column IS NULL
        THROW 50005, N'switch-in needs a hash-distributed, partitioned fact', 1;
    DECLARE @label NVARCHAR(200) = N'load: ' + @table_name + N' ' + @load_id;
    DECLARE @switch NVARCHAR(128) = QUOTENAME(@table_name + N'_switch');
    DECLARE @sql NVARCHAR(4000) = N'IF OBJECT_ID(N''stg.' + @table_name + N'_switch'') IS NOT NULL '
        + N'DROP TABLE stg.' + @switch + N'; '
        + N'CREATE TABLE stg.' + @switch + N' WITH (DISTRIBUTION = HASH(' + QUOTENAME(@hash_column) + N'), '
        + N'CLUSTERED COLUMNSTORE INDEX, PARTITION (' + QUOTENAME(@partition_column) + N' RANGE ' + @side
        + N' FOR VALUES (' + @boundaries + N'))) AS SELECT * FROM stg.' + QUOTENAME(@table_name)
        + N' OPTION (LABEL = ''' + @label + N' build switch table'');';
    EXEC sp_executesql @sql;
    -- Switch in every partition that received rows; the target partition's old rows go with TRUNCATE_TARGET.
    DECLARE @n INT = 0;
    DECLARE @last INT = (SELECT MAX(p.partition_number) FROM sys.partitions AS p
                         WHERE p.object_id = OBJECT_ID(N'stg.' + @table_name + N'_switch') AND p.index_id <= 1);
    WHILE @n < @last
    BEGIN
        SET @n = @n + 1;
        IF EXISTS (SELECT 1 FROM sys.dm_pdw_nodes_db_partition_stats AS ps
                   JOIN sys.pdw_nodes_tables AS nt ON nt.object_id = ps.object_id
                   JOIN sys.pdw_table_mappings AS m ON m.physical_name = nt.name
                   WHERE m.object_id = OBJECT_ID(N'stg.' + @table_name + N'_switch')
                     AND ps.partition_number = @n AND ps.row_count > 0)
        BEGIN
            SET @sql = N'ALTER TABLE stg.' + @switch + N' SWITCH PARTITION ' + CAST(@n AS NVARCHAR(10))
                + N' TO dbo.' + QUOTENAME(@table_name) + N' PARTITION ' + CAST(@n AS NVARCHAR(10))
                + N' WITH (TRUNCATE_TARGET = ON);';
            EXEC sp_executesql @sql;
        END;
    END;
    SET @sql = N'DROP TABLE stg.' + @switch + N'; UPDATE STATISTICS dbo.' + QUOTENAME(@table_name) + N'; '
        + N'INSERT INTO etl.load_log (table_name, load_id, strategy, rows_loaded, loaded_at) '
        + N'SELECT @table_name, @load_id, N''partition switch'', COUNT_BIG(*), SYSUTCDATETIME() FROM stg.'
        + QUOTENAME(@table_name) + N' OPTION (LABEL = ''' + @label + N' log'');';
    EXEC sp_executesql @sql, N'@table_name NVARCHAR(128), @load_id NVARCHAR(64)', @table_name, @load_id;
END;
GO
DROP PROCEDURE IF EXISTS etl.usp_merge_purchase_order_lines;
GO
CREATE PROCEDURE etl.usp_merge_purchase_order_lines @load_id NVARCHAR(64)
AS
BEGIN
    SET NOCOUNT ON;
    MERGE INTO dbo.fact_purchase_order_line AS t
    USING stg.fact_purchase_order_line AS s
        ON t.po_number = s.po_number AND t.line_number = s.line_number AND t.product_key = s.product_key
    WHEN MATCHED THEN UPDATE SET
        t.received_date_key = s.received_date_key, t.first_received_date = s.first_received_date,
        t.last_received_date = s.last_received_date, t.status = s.status,
        t.quantity_received = s.quantity_received, t.deliveries = s.deliveries, t.is_on_time = s.is_on_time,
        t.is_in_full = s.is_in_full, t.otif = s.otif, t.lead_time_days = s.lead_time_days,
        t.supplier_key = s.supplier_key, t.store_key = s.store_key
    WHEN NOT MATCHED BY TARGET THEN INSERT (
        po_number, line_number, order_date_key, promised_date_key, received_date_key, supplier_key, store_key,
        product_key, supplier_code, store_code, sku, order_date, promised_date, first_received_date,
        last_received_date, status, quantity_ordered, unit_cost, quantity_received, deliveries, is_on_time,
        is_in_full, otif, lead_time_days)
    VALUES (
        s.po_number, s.line_number, s.order_date_key, s.promised_date_key, s.received_date_key, s.supplier_key,
        s.store_key, s.product_key, s.supplier_code, s.store_code, s.sku, s.order_date, s.promised_date,
        s.first_received_date, s.last_received_date, s.status, s.quantity_ordered, s.unit_cost,
        s.quantity_received, s.deliveries, s.is_on_time, s.is_in_full, s.otif, s.lead_time_days)
    OPTION (LABEL = 'load: fact_purchase_order_line merge');
    UPDATE STATISTICS dbo.fact_purchase_order_line;
    INSERT INTO etl.load_log (table_name, load_id, strategy, rows_loaded, loaded_at)
    SELECT N'fact_purchase_order_line', @load_id, N'merge', COUNT_BIG(*), SYSUTCDATETIME()
    FROM stg.fact_purchase_order_line
    OPTION (LABEL = 'load: log');
END;
GO
-- One gold load, in dependency order: dimensions before the facts that reference them, marts last.
DROP PROCEDURE IF EXISTS etl.usp_load_all;
GO
CREATE PROCEDURE etl.usp_load_all @export_root NVARCHAR(400), @load_id NVARCHAR(64)
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @tables TABLE (ordinal INT, table_name NVARCHAR(128), strategy NVARCHAR(16));
    INSERT INTO @tables VALUES
        (1, N'dim_date', N'replace'), (2, N'dim_channel', N'replace'), (3, N'dim_store', N'replace'),
        (4, N'dim_supplier', N'replace'), (5, N'dim_product', N'replace'), (6, N'dim_customer', N'replace'),
        (7, N'fact_sales', N'switch'), (8, N'fact_inventory_snapshot', N'switch'),
        (9, N'fact_inventory_movement', N'switch'), (10, N'fact_purchase_order_line', N'merge'),
        (11, N'fact_feedback', N'replace'), (12, N'mart_sales_daily', N'replace'),
        (13, N'mart_inventory_position', N'replace'), (14, N'mart_stock_performance', N'replace'),
        (15, N'mart_supplier_performance', N'replace'), (16, N'mart_customer_rfm', N'replace'),
        (17, N'mart_feedback', N'replace');
    DECLARE @i INT = 0;
    DECLARE @table_name NVARCHAR(128);
    DECLARE @strategy NVARCHAR(16);
    WHILE @i < 17
    BEGIN
        SET @i = @i + 1;
        SELECT @table_name = table_name, @strategy = strategy FROM @tables WHERE ordinal = @i;
        EXEC etl.usp_stage_export @table_name, @export_root, @load_id;
        IF @strategy = N'switch'
        BEGIN
            EXEC etl.usp_switch_in_periods @table_name, @load_id;
        END
        ELSE IF @strategy = N'merge'
        BEGIN
            EXEC etl.usp_merge_purchase_order_lines @load_id;
        END
        ELSE
        BEGIN
            EXEC etl.usp_replace_from_stage @table_name, @load_id;
        END;
    END;
END;
