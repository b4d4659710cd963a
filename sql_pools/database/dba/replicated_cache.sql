-- Replicated tables, their cache state and size. cache_state NotReady means the table changed (load, DML, scale,
-- ALTER) and its per-node copies were dropped: the first query that reads it pays the rebuild and runs on the
-- round-robin master meanwhile, so warm it after each load (SELECT TOP 1 * FROM <table>). A replicated table over
-- @max_replicated_gb (2 GB) costs a copy per compute node and a long rebuild after every change: it should
-- probably be HASH-distributed instead. reserved_gb_one_copy is estimated from the distributions that hold no
-- cache copy (the copy lives in the first distribution of each node); reserved_gb_all_distributions is the raw
-- total across the pool, copies included.
DECLARE @max_replicated_gb DECIMAL(9, 2) = 2.0;

WITH replicated AS (
    SELECT
        t.object_id,
        s.name AS schema_name,
        t.name AS table_name
    FROM sys.tables AS t
    JOIN sys.schemas AS s ON s.schema_id = t.schema_id
    JOIN sys.pdw_table_distribution_properties AS tdp ON tdp.object_id = t.object_id
    WHERE tdp.distribution_policy_desc = 'REPLICATE'
),
per_distribution AS (
    SELECT
        r.object_id,
        d.distribution_id,
        d.position,
        SUM(CASE WHEN ps.index_id < 2 THEN ps.row_count ELSE 0 END) AS distribution_rows,
        SUM(ps.reserved_page_count) AS reserved_pages
    FROM replicated AS r
    JOIN sys.pdw_table_mappings AS tm ON tm.object_id = r.object_id
    JOIN sys.pdw_nodes_tables AS nt ON nt.name = tm.physical_name
    JOIN sys.pdw_distributions AS d
        ON d.distribution_id = nt.distribution_id AND d.pdw_node_id = nt.pdw_node_id
    JOIN sys.dm_pdw_nodes_db_partition_stats AS ps
        ON ps.object_id = nt.object_id
        AND ps.pdw_node_id = nt.pdw_node_id
        AND ps.distribution_id = nt.distribution_id
    GROUP BY r.object_id, d.distribution_id, d.position
),
per_table AS (
    SELECT
        object_id,
        COUNT(*) AS distributions,
        SUM(CASE WHEN position > 1 THEN 1 ELSE 0 END) AS copy_free_distributions,
        SUM(distribution_rows) AS rows_all_distributions,
        SUM(CASE WHEN position > 1 THEN distribution_rows ELSE 0 END) AS rows_copy_free,
        SUM(reserved_pages) AS pages_all_distributions,
        SUM(CASE WHEN position > 1 THEN reserved_pages ELSE 0 END) AS pages_copy_free
    FROM per_distribution
    GROUP BY object_id
),
sized AS (
    SELECT
        pt.object_id,
        pt.rows_all_distributions,
        CAST(COALESCE(
            CAST(pt.rows_copy_free AS DECIMAL(19, 2)) * pt.distributions / NULLIF(pt.copy_free_distributions, 0),
            pt.rows_all_distributions
        ) AS BIGINT) AS rows_one_copy,
        CAST(pt.pages_all_distributions * 8.0 / 1048576 AS DECIMAL(12, 3)) AS reserved_gb_all_distributions,
        CAST(COALESCE(
            CAST(pt.pages_copy_free AS DECIMAL(19, 2)) * pt.distributions / NULLIF(pt.copy_free_distributions, 0),
            pt.pages_all_distributions
        ) * 8.0 / 1048576 AS DECIMAL(12, 3)) AS reserved_gb_one_copy
    FROM per_table AS pt
)
SELECT
    r.schema_name,
    r.table_name,
    COALESCE(cs.state, 'Unknown') AS cache_state,
    sz.rows_one_copy,
    sz.reserved_gb_one_copy,
    sz.rows_all_distributions,
    sz.reserved_gb_all_distributions,
    CASE WHEN cs.state = 'NotReady' THEN 1 ELSE 0 END AS is_cache_not_ready,
    CASE WHEN sz.reserved_gb_one_copy > @max_replicated_gb THEN 1 ELSE 0 END AS is_too_big_to_replicate
FROM replicated AS r
LEFT JOIN sized AS sz ON sz.object_id = r.object_id
LEFT JOIN sys.pdw_replicated_table_cache_state AS cs ON cs.object_id = r.object_id
ORDER BY is_too_big_to_replicate DESC, is_cache_not_ready DESC, sz.reserved_gb_one_copy DESC
OPTION (LABEL = 'dba: replicated_cache');
