-- The plans of the list's queries (as the storage code sends them) on the 1,000,000-row
-- workspace and on the workspace right after the burst, statistics stale. Printed by bench/run.
\echo '--- newest first, no filter (1,000,000-row workspace)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM program_instances WHERE workspace_id = 'ws_big'
ORDER BY created_at DESC, id DESC LIMIT 21;
\echo '--- one status (1,000,000-row workspace)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM program_instances WHERE workspace_id = 'ws_big' AND status = 'active'
ORDER BY created_at DESC, id DESC LIMIT 21;
\echo '--- one status, next page (a cursor)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM program_instances WHERE workspace_id = 'ws_big' AND status = 'active'
  AND created_at <= now() - interval '100 hours'
  AND (created_at < now() - interval '100 hours' OR id < 'c9')
ORDER BY created_at DESC, id DESC LIMIT 21;
\echo '--- one program (1,000,000-row workspace)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM program_instances WHERE workspace_id = 'ws_big' AND program_id = 'prog_battery_rebate'
ORDER BY created_at DESC, id DESC LIMIT 21;
\echo '--- accepting enrollments at an instant (1,000,000-row workspace)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM program_instances WHERE workspace_id = 'ws_big' AND status = 'active'
  AND (start_date IS NULL OR start_date <= now()) AND (end_date IS NULL OR end_date >= now())
ORDER BY created_at DESC, id DESC LIMIT 21;
\echo '--- one status, right after the burst of 30,000 creates (statistics stale)'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM program_instances WHERE workspace_id = 'ws_burst' AND status = 'active'
ORDER BY created_at DESC, id DESC LIMIT 21;
