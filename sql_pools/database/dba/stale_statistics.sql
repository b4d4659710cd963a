-- Statistics per user table: each statistics object with its leading column and last update, beside the table's
-- actual row count (summed over all distributions) and the control node's estimate (sys.partitions), which the
-- distributed optimizer plans with. A dedicated pool does NOT update statistics automatically after a load (it
-- only creates missing ones), so after each load the estimate drifts. needs_update = 1 when the two counts differ
-- by more than @max_row_difference (20 %) or the statistics are older than @stale_days (7): run
-- UPDATE STATISTICS <schema>.<table> (or on the named statistics) and add it to the load's last step.
-- REPLICATE tables skip the row comparison (the per-node cache copies can inflate the count): only age applies.
DECLARE @stale_days INT = 7;
DECLARE @max_row_difference DECIMAL(5, 4) = 0.20;

WITH actual_rows AS (
    SELECT
        tm.object_id,
        SUM(ps.row_count) AS actual_row_count
    FROM sys.pdw_table_mappings AS tm
    JOIN sys.pdw_nodes_tables AS nt ON nt.name = tm.physical_name
    JOIN sys.dm_pdw_nodes_db_partition_stats AS ps
        ON ps.object_id = nt.object_id
        AND ps.pdw_node_id = nt.pdw_node_id
        AND ps.distribution_id = nt.distribution_id
    WHERE ps.index_id < 2
    GROUP BY tm.object_id
),
estimated_rows AS (
    SELECT
        p.object_id,
        SUM(p.rows) AS estimated_row_count
    FROM sys.partitions AS p
    WHERE p.index_id < 2
    GROUP BY p.object_id
),
table_rows AS (
    SELECT
        t.object_id,
        s.name AS schema_name,
        t.name AS table_name,
        tdp.distribution_policy_desc AS distribution_policy,
        COALESCE(a.actual_row_count, 0) AS actual_row_count,
        COALESCE(e.estimated_row_count, 0) AS estimated_row_count,
        CASE
            WHEN tdp.distribution_policy_desc = 'REPLICATE' THEN NULL
            WHEN COALESCE(a.actual_row_count, 0) = 0 AND COALESCE(e.estimated_row_count, 0) = 0 THEN 0
            WHEN COALESCE(a.actual_row_count, 0) = 0 THEN 1
            ELSE CAST(ABS(a.actual_row_count - COALESCE(e.estimated_row_count, 0)) AS DECIMAL(19, 4))
                / a.actual_row_count
        END AS row_difference
    FROM sys.tables AS t
    JOIN sys.schemas AS s ON s.schema_id = t.schema_id
    JOIN sys.pdw_table_distribution_properties AS tdp ON tdp.object_id = t.object_id
    LEFT JOIN actual_rows AS a ON a.object_id = t.object_id
    LEFT JOIN estimated_rows AS e ON e.object_id = t.object_id
    WHERE t.is_external = 0
),
table_stats AS (
    SELECT
        tr.schema_name,
        tr.table_name,
        tr.distribution_policy,
        st.name AS stats_name,
        c.name AS leading_column,
        st.auto_created,
        st.user_created,
        st.has_filter,
        STATS_DATE(st.object_id, st.stats_id) AS last_updated,
        DATEDIFF(DAY, STATS_DATE(st.object_id, st.stats_id), GETDATE()) AS days_since_update,
        tr.actual_row_count,
        tr.estimated_row_count,
        tr.row_difference
    FROM table_rows AS tr
    JOIN sys.stats AS st ON st.object_id = tr.object_id
    LEFT JOIN sys.stats_columns AS sc
        ON sc.object_id = st.object_id AND sc.stats_id = st.stats_id AND sc.stats_column_id = 1
    LEFT JOIN sys.columns AS c ON c.object_id = sc.object_id AND c.column_id = sc.column_id
)
SELECT
    schema_name,
    table_name,
    distribution_policy,
    stats_name,
    leading_column,
    auto_created,
    user_created,
    has_filter,
    last_updated,
    days_since_update,
    actual_row_count,
    estimated_row_count,
    CAST(100 * row_difference AS DECIMAL(9, 2)) AS row_difference_pct,
    CASE WHEN row_difference > @max_row_difference THEN 1 ELSE 0 END AS is_row_count_off,
    CASE WHEN last_updated IS NULL OR days_since_update > @stale_days THEN 1 ELSE 0 END AS is_old,
    CASE
        WHEN row_difference > @max_row_difference THEN 1
        WHEN last_updated IS NULL OR days_since_update > @stale_days THEN 1
        ELSE 0
    END AS needs_update
FROM table_stats
ORDER BY needs_update DESC, row_difference_pct DESC, days_since_update DESC, schema_name, table_name, stats_name
OPTION (LABEL = 'dba: stale_statistics');
