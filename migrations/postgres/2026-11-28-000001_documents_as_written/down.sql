DROP INDEX instance_events_by_instance;
ALTER TABLE instance_events DROP CONSTRAINT instance_events_pkey;
ALTER TABLE instance_events ADD PRIMARY KEY (workspace_id, instance_id, sequence);

ALTER TABLE enrollments
    ALTER COLUMN customer TYPE JSONB USING customer::JSONB,
    ALTER COLUMN device TYPE JSONB USING device::JSONB,
    ALTER COLUMN form_data TYPE JSONB USING form_data::JSONB,
    ALTER COLUMN eligibility TYPE JSONB USING eligibility::JSONB;
ALTER TABLE idempotency_records ALTER COLUMN response_headers TYPE JSONB USING response_headers::JSONB;
ALTER TABLE api_keys
    ALTER COLUMN scopes TYPE JSONB USING scopes::JSONB,
    ALTER COLUMN instance_ids TYPE JSONB USING instance_ids::JSONB;
ALTER TABLE instance_events ALTER COLUMN data TYPE JSONB USING data::JSONB;
ALTER TABLE program_instances
    ALTER COLUMN eligibility_criteria TYPE JSONB USING eligibility_criteria::JSONB,
    ALTER COLUMN form_config TYPE JSONB USING form_config::JSONB,
    ALTER COLUMN metadata TYPE JSONB USING metadata::JSONB;
