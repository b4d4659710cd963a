-- Columnstore row group quality per user table, read from every distribution. A healthy table has nearly all
-- its rows in COMPRESSED row groups of close to 1,048,576 rows; under 100,000 (@min_good_rows) a row group scans
-- slowly. trim_reasons says why row groups were cut short: BULKLOAD = loads of under a million rows per
-- distribution (batch them, or partition less finely), MEMORY_LIMITATION = the load ran in too small a resource
-- class, DICTIONARY_SIZE = wide, high-cardinality strings. A high deleted_pct, or many small row groups, means
-- ALTER INDEX ALL ON <table> REBUILD. The second query lists delta stores: CLOSED ones wait for the tuple mover
-- (ALTER INDEX ... REORGANIZE compresses them now); many OPEN ones mean trickle inserts.
DECLARE @min_good_rows BIGINT = 100000;

WITH row_groups AS (
    SELECT
        t.object_id,
        s.name AS schema_name,
        t.name AS table_name,
        rg.state_desc,
        rg.total_rows,
        rg.deleted_rows,
        rg.trim_reason_desc
    FROM sys.tables AS t
    JOIN sys.schemas AS s ON s.schema_id = t.schema_id
    JOIN sys.pdw_table_mappings AS tm ON tm.object_id = t.object_id
    JOIN sys.pdw_nodes_tables AS nt ON nt.name = tm.physical_name
    JOIN sys.dm_pdw_nodes_db_column_store_row_group_physical_stats AS rg
        ON rg.object_id = nt.object_id
        AND rg.pdw_node_id = nt.pdw_node_id
        AND rg.distribution_id = nt.distribution_id
),
trim_counts AS (
    SELECT
        object_id,
        COALESCE(trim_reason_desc, 'UNKNOWN') AS trim_reason,
        COUNT(*) AS row_group_count
    FROM row_groups
    WHERE state_desc = 'COMPRESSED'
    GROUP BY object_id, COALESCE(trim_reason_desc, 'UNKNOWN')
),
trim_lists AS (
    SELECT
        object_id,
        STRING_AGG(CONCAT(trim_reason, ' = ', row_group_count), ', ') AS trim_reasons
    FROM trim_counts
    GROUP BY object_id
),
per_table AS (
    SELECT
        object_id,
        schema_name,
        table_name,
        COUNT(*) AS row_groups,
        SUM(CASE WHEN state_desc = 'COMPRESSED' THEN 1 ELSE 0 END) AS compressed_row_groups,
        SUM(CASE WHEN state_desc = 'OPEN' THEN 1 ELSE 0 END) AS open_row_groups,
        SUM(CASE WHEN state_desc = 'CLOSED' THEN 1 ELSE 0 END) AS closed_row_groups,
        SUM(CASE WHEN state_desc = 'TOMBSTONE' THEN 1 ELSE 0 END) AS tombstone_row_groups,
        SUM(CASE WHEN state_desc = 'INVISIBLE' THEN 1 ELSE 0 END) AS invisible_row_groups,
        AVG(CASE WHEN state_desc = 'COMPRESSED' THEN CAST(total_rows AS DECIMAL(19, 1)) END)
            AS avg_rows_per_compressed_row_group,
        SUM(CASE WHEN state_desc = 'COMPRESSED' AND total_rows < @min_good_rows THEN 1 ELSE 0 END)
            AS small_compressed_row_groups,
        SUM(total_rows) AS total_rows,
        SUM(deleted_rows) AS deleted_rows
    FROM row_groups
    GROUP BY object_id, schema_name, table_name
)
SELECT
    pt.schema_name,
    pt.table_name,
    pt.row_groups,
    pt.compressed_row_groups,
    pt.open_row_groups,
    pt.closed_row_groups,
    pt.tombstone_row_groups,
    pt.invisible_row_groups,
    CAST(pt.avg_rows_per_compressed_row_group AS BIGINT) AS avg_rows_per_compressed_row_group,
    pt.small_compressed_row_groups,
    pt.total_rows,
    pt.deleted_rows,
    CAST(100.0 * pt.deleted_rows / NULLIF(pt.total_rows, 0) AS DECIMAL(5, 2)) AS deleted_pct,
    tl.trim_reasons
FROM per_table AS pt
LEFT JOIN trim_lists AS tl ON tl.object_id = pt.object_id
ORDER BY pt.small_compressed_row_groups DESC, deleted_pct DESC
OPTION (LABEL = 'dba: columnstore_health');

SELECT
    s.name AS schema_name,
    t.name AS table_name,
    rg.pdw_node_id,
    rg.distribution_id,
    rg.partition_number,
    rg.row_group_id,
    rg.state_desc,
    rg.total_rows,
    CAST(rg.size_in_bytes / 1048576.0 AS DECIMAL(12, 2)) AS size_mb
FROM sys.tables AS t
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
JOIN sys.pdw_table_mappings AS tm ON tm.object_id = t.object_id
JOIN sys.pdw_nodes_tables AS nt ON nt.name = tm.physical_name
JOIN sys.dm_pdw_nodes_db_column_store_row_group_physical_stats AS rg
    ON rg.object_id = nt.object_id
    AND rg.pdw_node_id = nt.pdw_node_id
    AND rg.distribution_id = nt.distribution_id
WHERE rg.state_desc IN ('OPEN', 'CLOSED')
ORDER BY rg.state_desc, rg.total_rows DESC, s.name, t.name
OPTION (LABEL = 'dba: columnstore_health');
