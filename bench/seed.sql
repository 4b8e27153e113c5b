-- 100,000 instances across the 100 workspaces ws_bench_1 … ws_bench_100 (about 1 KB each,
-- with criteria, a form and metadata), each with its creation event. Instance g belongs to
-- ws_bench_(g % 100 + 1); ids are 'c' and g on 24 digits.
INSERT INTO program_instances (workspace_id, id, program_id, name, name_folded, description, slug, logo_url,
    eligibility_criteria, custom_terms, form_config, start_date, end_date, status, metadata, version, created_at, updated_at)
SELECT 'ws_bench_' || (g % 100 + 1),
       'c' || lpad(g::text, 24, '0'),
       'prog_battery_rebate',
       'Bench instance ' || g,
       'bench instance ' || g,
       'Rebates for residential battery storage installed by participating contractors in the service territory.',
       'bench-instance-' || g,
       'https://example.com/logos/' || g || '.png',
       '{"regions": ["NY", "NJ"], "deviceTypes": ["battery"], "minimumCapacity": 5.0, "maximumCapacity": 40.0, "customerTypes": ["residential"], "utilities": ["coned", "pseg"]}',
       'Participants must keep the battery enrolled for three years and allow up to twenty dispatch events per season.',
       '{"fields": [{"key": "utilityAccountNumber", "label": "Utility account number", "type": "text", "required": true, "pattern": "^[0-9]{10}$", "maxLength": 10}, {"key": "installer", "label": "Installer", "type": "text", "required": false}, {"key": "panels", "label": "Panels", "type": "integer", "required": false, "min": 0.0, "max": 200.0}]}',
       '2026-01-01T00:00:00Z', '2099-12-31T23:59:59Z',
       -- A quarter of every workspace's instances are inactive.
       CASE WHEN (g / 100) % 4 = 0 THEN 'inactive' ELSE 'active' END,
       '{"campaign": "bench", "budget": 125000, "owner": "programs-team", "channel": "web"}',
       1,
       now() - make_interval(secs => g),
       now() - make_interval(secs => g)
FROM generate_series(1, 100000) AS g;

INSERT INTO instance_events (workspace_id, instance_id, kind, data, actor_key_id, occurred_at)
SELECT workspace_id, id, 'created', '{"type": "created"}', NULL, created_at FROM program_instances;

ANALYZE;
