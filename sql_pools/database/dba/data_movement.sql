-- Data movement (DMS) steps of recent requests: the last @last_n requests, or only those whose label matches
-- @label_pattern (e.g. N'load: %'). ShuffleMoveOperation = a join or aggregation on a column the tables are not
-- distributed on (incompatible distribution): redistribute on the join/group column, or align the HASH keys.
-- BroadcastMoveOperation = a small table copied to every distribution because it is not replicated: make it
-- REPLICATE. TrimMoveOperation cuts a replicated table down to distributed rows (outer joins); PartitionMove and
-- MoveOperation gather rows on, or send them from, the control node. Fix the steps with the most rows_moved or
-- step_elapsed_ms first; max_worker_bytes far above avg_worker_bytes means the moved rows land skewed.
DECLARE @last_n INT = 50;
DECLARE @label_pattern NVARCHAR(255) = NULL;

WITH recent AS (
    SELECT
        r.request_id,
        r.label,
        r.status,
        r.submit_time,
        r.total_elapsed_time,
        ROW_NUMBER() OVER (ORDER BY r.submit_time DESC, r.request_id DESC) AS recency
    FROM sys.dm_pdw_exec_requests AS r
    WHERE (@label_pattern IS NULL OR r.label LIKE @label_pattern)
        AND (r.label IS NULL OR r.label NOT LIKE 'dba: %')
),
movement_steps AS (
    SELECT
        st.request_id,
        st.step_index,
        st.operation_type,
        st.distribution_type,
        st.location_type,
        st.status,
        st.row_count,
        st.total_elapsed_time,
        st.start_time,
        st.end_time
    FROM sys.dm_pdw_request_steps AS st
    JOIN recent AS r ON r.request_id = st.request_id
    WHERE r.recency <= @last_n
        AND st.operation_type IN (
            'ShuffleMoveOperation', 'BroadcastMoveOperation', 'TrimMoveOperation', 'PartitionMoveOperation',
            'MoveOperation'
        )
),
workers AS (
    SELECT
        w.request_id,
        w.step_index,
        COUNT(*) AS dms_workers,
        MAX(w.bytes_processed) AS max_worker_bytes,
        AVG(CAST(w.bytes_processed AS DECIMAL(19, 1))) AS avg_worker_bytes,
        SUM(w.bytes_processed) AS total_bytes,
        MAX(w.rows_processed) AS max_worker_rows
    FROM sys.dm_pdw_dms_workers AS w
    JOIN movement_steps AS ms ON ms.request_id = w.request_id AND ms.step_index = w.step_index
    GROUP BY w.request_id, w.step_index
)
SELECT
    r.request_id,
    r.label,
    r.status AS request_status,
    r.submit_time,
    r.total_elapsed_time AS request_elapsed_ms,
    ms.step_index,
    ms.operation_type,
    ms.distribution_type,
    ms.location_type,
    ms.status AS step_status,
    ms.row_count AS rows_moved,
    ms.total_elapsed_time AS step_elapsed_ms,
    ms.start_time AS step_start_time,
    ms.end_time AS step_end_time,
    wk.dms_workers,
    wk.max_worker_bytes,
    CAST(wk.avg_worker_bytes AS BIGINT) AS avg_worker_bytes,
    wk.total_bytes,
    wk.max_worker_rows
FROM movement_steps AS ms
JOIN recent AS r ON r.request_id = ms.request_id
LEFT JOIN workers AS wk ON wk.request_id = ms.request_id AND wk.step_index = ms.step_index
ORDER BY r.submit_time DESC, r.request_id, ms.step_index
OPTION (LABEL = 'dba: data_movement');
