-- What the pool is doing now, oldest first: the first query lists running and queued requests with their workload
-- group, classifier, importance and resource class; queued_seconds is the time from submit to start (to now while
-- still queued). Many requests queued in one group_name mean its MIN/CAP percentages or concurrency are too small
-- for the load, or a large resource class is hogging memory; a request in the wrong group points at a classifier.
-- The second query shows what each queued request waits on (resource waits: concurrency/memory grants; other
-- waits: locks, often a load or RENAME OBJECT holding the table). This script's own requests are left out.
DECLARE @command_chars INT = 200;

SELECT
    r.request_id,
    r.session_id,
    r.status,
    CASE WHEN r.status = 'Suspended' OR r.start_time IS NULL THEN 'queued' ELSE 'running' END AS phase,
    r.label,
    r.resource_class,
    r.importance,
    r.group_name,
    r.classifier_name,
    r.resource_allocation_percentage,
    r.submit_time,
    r.start_time,
    DATEDIFF(SECOND, r.submit_time, COALESCE(r.start_time, GETDATE())) AS queued_seconds,
    r.total_elapsed_time,
    LEFT(r.command, @command_chars) AS command_text
FROM sys.dm_pdw_exec_requests AS r
WHERE r.status IN ('Running', 'Suspended')
    AND (r.label IS NULL OR r.label NOT LIKE 'dba: %')
ORDER BY r.submit_time, r.request_id
OPTION (LABEL = 'dba: requests');

WITH queued AS (
    SELECT
        r.request_id,
        r.submit_time,
        r.group_name,
        r.label
    FROM sys.dm_pdw_exec_requests AS r
    WHERE (r.status = 'Suspended' OR (r.status = 'Running' AND r.start_time IS NULL))
        AND (r.label IS NULL OR r.label NOT LIKE 'dba: %')
)
SELECT
    q.request_id,
    q.submit_time,
    q.group_name,
    q.label,
    'resource' AS wait_kind,
    rw.type AS wait_type,
    rw.state AS wait_state,
    rw.object_type,
    rw.object_name,
    rw.request_time,
    rw.acquire_time
FROM queued AS q
JOIN sys.dm_pdw_resource_waits AS rw ON rw.request_id = q.request_id
UNION ALL
SELECT
    q.request_id,
    q.submit_time,
    q.group_name,
    q.label,
    'other' AS wait_kind,
    w.type AS wait_type,
    w.state AS wait_state,
    w.object_type,
    w.object_name,
    w.request_time,
    w.acquire_time
FROM queued AS q
JOIN sys.dm_pdw_waits AS w ON w.request_id = q.request_id
ORDER BY submit_time, request_id, request_time
OPTION (LABEL = 'dba: requests');
