-- Rows per distribution for every distributed user table (HASH and ROUND_ROBIN; REPLICATE is left out, as
-- each compute node holds a whole copy). skew = (max - min) / max over the 60 distributions: 0 is perfectly
-- even, 1 means at least one distribution is empty while another holds rows. A table with skew >= @skew_threshold
-- makes every query on it wait for its fullest distribution. For a HASH table, check hash_column: a column with
-- few distinct values, many NULLs or a default value (-1, 'UNKNOWN') piles rows on one distribution; rebuild it
-- with CTAS on a column with many, evenly used values. Small tables look skewed without costing anything:
-- act on the large ones first (the result is ordered that way within the flag).
DECLARE @skew_threshold DECIMAL(5, 4) = 0.10;

WITH per_distribution AS (
    SELECT
        t.object_id,
        nt.distribution_id,
        SUM(ps.row_count) AS distribution_rows
    FROM sys.tables AS t
    JOIN sys.pdw_table_mappings AS tm ON tm.object_id = t.object_id
    JOIN sys.pdw_nodes_tables AS nt ON nt.name = tm.physical_name
    JOIN sys.pdw_distributions AS d
        ON d.distribution_id = nt.distribution_id AND d.pdw_node_id = nt.pdw_node_id
    JOIN sys.dm_pdw_nodes_db_partition_stats AS ps
        ON ps.object_id = nt.object_id
        AND ps.pdw_node_id = nt.pdw_node_id
        AND ps.distribution_id = nt.distribution_id
    WHERE ps.index_id < 2
    GROUP BY t.object_id, nt.distribution_id
),
per_table AS (
    SELECT
        pd.object_id,
        COUNT(*) AS distributions,
        SUM(pd.distribution_rows) AS total_rows,
        MIN(pd.distribution_rows) AS min_rows_per_distribution,
        MAX(pd.distribution_rows) AS max_rows_per_distribution,
        AVG(CAST(pd.distribution_rows AS DECIMAL(19, 2))) AS avg_rows_per_distribution,
        COALESCE(
            CAST(MAX(pd.distribution_rows) - MIN(pd.distribution_rows) AS DECIMAL(19, 4))
                / NULLIF(MAX(pd.distribution_rows), 0),
            0
        ) AS skew
    FROM per_distribution AS pd
    GROUP BY pd.object_id
)
SELECT
    s.name AS schema_name,
    t.name AS table_name,
    tdp.distribution_policy_desc AS distribution_policy,
    c.name AS hash_column,
    pt.distributions,
    pt.total_rows,
    pt.min_rows_per_distribution,
    pt.max_rows_per_distribution,
    pt.avg_rows_per_distribution,
    CAST(pt.skew AS DECIMAL(5, 4)) AS skew,
    CASE WHEN pt.skew >= @skew_threshold THEN 1 ELSE 0 END AS is_skewed
FROM per_table AS pt
JOIN sys.tables AS t ON t.object_id = pt.object_id
JOIN sys.schemas AS s ON s.schema_id = t.schema_id
JOIN sys.pdw_table_distribution_properties AS tdp ON tdp.object_id = t.object_id
LEFT JOIN sys.pdw_column_distribution_properties AS cdp
    ON cdp.object_id = t.object_id AND cdp.distribution_ordinal = 1
LEFT JOIN sys.columns AS c ON c.object_id = cdp.object_id AND c.column_id = cdp.column_id
WHERE tdp.distribution_policy_desc <> 'REPLICATE'
ORDER BY is_skewed DESC, pt.total_rows DESC, skew DESC
OPTION (LABEL = 'dba: table_skew');
