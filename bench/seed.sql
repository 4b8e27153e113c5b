-- :count instances of about 1 KB each (criteria, a form, metadata), numbered from :first,
-- spread over :workspaces workspaces named :prefix followed by a number (or the workspace
-- :prefix itself when there is one). Ids are 'c' and the number on 24 digits.
-- Used by bench/run, with psql variables: -v first=1 -v count=100000 -v workspaces=100 …
INSERT INTO program_instances (workspace_id, id, program_id, name, name_folded, description, slug, logo_url,
    eligibility_criteria, custom_terms, form_config, start_date, end_date, status, metadata, version, created_at, updated_at)
SELECT CASE WHEN :workspaces = 1 THEN :'prefix' ELSE :'prefix' || (g % :workspaces + 1) END,
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
       now() - make_interval(secs => g - :first),
       now() - make_interval(secs => g - :first)
FROM generate_series(:first, :first + :count - 1) AS g;
