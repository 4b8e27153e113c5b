-- Revisions and copies; see the PostgreSQL migration.
ALTER TABLE program_instances ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE program_instances ADD COLUMN copied_from TEXT;
-- The revision an enrollment was made at; those made before revisions carry 1.
ALTER TABLE enrollments ADD COLUMN instance_revision BIGINT NOT NULL DEFAULT 1;
