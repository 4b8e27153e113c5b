-- Revisions and copies (docs/api.md, "Revisions and copies"): the design an instance is
-- at, and the instance it was copied from (kept when that one is deleted).
ALTER TABLE program_instances ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE program_instances ADD COLUMN copied_from TEXT;
-- The revision an enrollment was made at; those made before revisions carry 1.
ALTER TABLE enrollments ADD COLUMN instance_revision BIGINT NOT NULL DEFAULT 1;
