-- The database's ceiling for GET by id: the same select by id and workspace.
\set k random(1, 1000)
SELECT workspace_id, id, program_id, name, name_folded, description, slug, logo_url, eligibility_criteria,
       custom_terms, form_config, start_date, end_date, status, metadata, version, created_at, updated_at
FROM program_instances WHERE workspace_id = 'ws_bench_1' AND id = 'c' || lpad((:k * 100)::text, 24, '0');
