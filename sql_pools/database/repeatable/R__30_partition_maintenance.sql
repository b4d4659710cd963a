-- Partition boundary maintenance. Facts are partitioned RANGE RIGHT on an int date key (yyyymmdd), a boundary
-- being the first day of its period. A columnstore partition can only be split while it is empty, so the job
-- keeps empty partitions ahead of the data: run etl.usp_extend_partitions daily (the pipeline does, before the
-- load). Each fact's period (1, 3 or 12 months) is the gap between its last two boundaries, so the procedure
-- needs no list of its own; a fact whose last partition already holds rows fails loudly instead of rebuilding.
DROP PROCEDURE IF EXISTS etl.usp_extend_partitions;
GO
CREATE PROCEDURE etl.usp_extend_partitions @months_ahead INT = 3
AS
BEGIN
    SET NOCOUNT ON;
    DECLARE @horizon INT = YEAR(DATEADD(MONTH, @months_ahead, GETDATE())) * 10000
        + MONTH(DATEADD(MONTH, @months_ahead, GETDATE())) * 100 + 1;
    DECLARE @facts TABLE (ordinal INT, table_name NVARCHAR(128));
    INSERT INTO @facts
    SELECT ROW_NUMBER() OVER (ORDER BY t.name), t.name
    FROM sys.tables AS t
    JOIN sys.indexes AS i ON i.object_id = t.object_id AND i.index_id <= 1
    JOIN sys.partition_schemes AS s ON s.data_space_id = i.data_space_id
    WHERE SCHEMA_NAME(t.schema_id) = N'dbo' AND t.name LIKE N'fact[_]%';
    DECLARE @i INT = 0;
    DECLARE @count INT = (SELECT COUNT(*) FROM @facts);
    DECLARE @table_name NVARCHAR(128);
    DECLARE @last INT;
    DECLARE @previous INT;
    DECLARE @step INT;
    DECLARE @next INT;
    DECLARE @sql NVARCHAR(1000);
    WHILE @i < @count
    BEGIN
        SET @i = @i + 1;
        SELECT @table_name = table_name FROM @facts WHERE ordinal = @i;
        SELECT @last = MAX(CAST(v.value AS INT)),
               @previous = MIN(CASE WHEN v.boundary_id = (SELECT MAX(b.boundary_id) - 1 FROM sys.partition_range_values
                                                          AS b WHERE b.function_id = v.function_id)
                                    THEN CAST(v.value AS INT) END)
        FROM sys.indexes AS ix
        JOIN sys.partition_schemes AS ps ON ps.data_space_id = ix.data_space_id
        JOIN sys.partition_range_values AS v ON v.function_id = ps.function_id
        WHERE ix.object_id = OBJECT_ID(N'dbo.' + @table_name) AND ix.index_id <= 1;
        SET @step = ((@last / 10000) * 12 + (@last / 100) % 100) - ((@previous / 10000) * 12 + (@previous / 100) % 100);
        WHILE @last < @horizon
        BEGIN
            IF EXISTS (SELECT 1 FROM sys.dm_pdw_nodes_db_partition_stats AS st
                       JOIN sys.pdw_nodes_tables AS nt ON nt.object_id = st.object_id
                       JOIN sys.pdw_table_mappings AS m ON m.physical_name = nt.name
                       WHERE m.object_id = OBJECT_ID(N'dbo.' + @table_name) AND st.index_id <= 1
                         AND st.partition_number = (SELECT COUNT(*) + 1 FROM sys.partition_range_values AS r
                                                    JOIN sys.partition_schemes AS sc ON sc.function_id = r.function_id
                                                    JOIN sys.indexes AS x ON x.data_space_id = sc.data_space_id
                                                    WHERE x.object_id = OBJECT_ID(N'dbo.' + @table_name)
                                                      AND x.index_id <= 1)
                         AND st.row_count > 0)
                THROW 50010, N'the last partition already holds rows: split it by CTAS, not SPLIT RANGE', 1;
            SET @next = YEAR(DATEADD(MONTH, @step, DATEFROMPARTS(@last / 10000, (@last / 100) % 100, 1))) * 10000
                + MONTH(DATEADD(MONTH, @step, DATEFROMPARTS(@last / 10000, (@last / 100) % 100, 1))) * 100 + 1;
            SET @sql = N'ALTER TABLE dbo.' + QUOTENAME(@table_name) + N' SPLIT RANGE ('
                + CAST(@next AS NVARCHAR(8)) + N');';
            EXEC sp_executesql @sql;
            SET @last = @next;
        END;
    END;
END;
