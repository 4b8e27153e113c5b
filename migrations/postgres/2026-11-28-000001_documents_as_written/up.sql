-- JSON documents are kept as the text they were written as (`json`, not `jsonb`), so that
-- every value reads back exactly as written (jsonb rewrites numbers), as on SQLite.
ALTER TABLE program_instances
    ALTER COLUMN eligibility_criteria TYPE JSON USING eligibility_criteria::JSON,
    ALTER COLUMN form_config TYPE JSON USING form_config::JSON,
    ALTER COLUMN metadata TYPE JSON USING metadata::JSON;
ALTER TABLE instance_events ALTER COLUMN data TYPE JSON USING data::JSON;
ALTER TABLE api_keys
    ALTER COLUMN scopes TYPE JSON USING scopes::JSON,
    ALTER COLUMN instance_ids TYPE JSON USING instance_ids::JSON;
ALTER TABLE idempotency_records ALTER COLUMN response_headers TYPE JSON USING response_headers::JSON;
ALTER TABLE enrollments
    ALTER COLUMN customer TYPE JSON USING customer::JSON,
    ALTER COLUMN device TYPE JSON USING device::JSON,
    ALTER COLUMN form_data TYPE JSON USING form_data::JSON,
    ALTER COLUMN eligibility TYPE JSON USING eligibility::JSON;

-- Events are identified by their position alone, and found per instance by an index: the
-- same shape as on SQLite.
ALTER TABLE instance_events DROP CONSTRAINT instance_events_pkey;
ALTER TABLE instance_events ADD PRIMARY KEY (sequence);
CREATE INDEX instance_events_by_instance ON instance_events (workspace_id, instance_id, sequence);
