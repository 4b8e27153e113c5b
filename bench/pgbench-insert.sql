-- The database's ceiling for POST: the same insert (the instance and its creation event, in
-- one transaction).
\set r random(1, 999999999999)
BEGIN;
INSERT INTO program_instances (workspace_id, id, program_id, name, name_folded, description, slug, logo_url,
    eligibility_criteria, custom_terms, form_config, start_date, end_date, status, metadata, version, created_at, updated_at)
VALUES ('ws_bench_1', 'p' || lpad(:client_id::text, 4, '0') || lpad(:r::text, 20, '0'), 'prog_battery_rebate',
    'Pgbench ' || :r, 'pgbench ' || :r, 'Rebates for residential battery storage installed by participating contractors.',
    'pgbench-' || :client_id || '-' || :r, 'https://example.com/logos/bench.png',
    '{"regions": ["NY", "NJ"], "deviceTypes": ["battery"], "minimumCapacity": 5.0, "maximumCapacity": 40.0}',
    'Participants must keep the battery enrolled for three years.',
    '{"fields": [{"key": "utilityAccountNumber", "label": "Utility account number", "type": "text", "required": true}]}',
    '2026-01-01T00:00:00Z', '2099-12-31T23:59:59Z', 'active', '{"campaign": "bench", "budget": 125000}', 1, now(), now());
INSERT INTO events (id, workspace_id, kind, instance_id, actor_key_id, created_at, data)
VALUES ('evt_p' || lpad(:client_id::text, 4, '0') || lpad(:r::text, 20, '0'), 'ws_bench_1', 'programInstance.created',
    'p' || lpad(:client_id::text, 4, '0') || lpad(:r::text, 20, '0'), NULL, now(), '{"object": {"name": "Pgbench"}}');
COMMIT;
