ALTER TABLE enrollments DROP COLUMN instance_revision;
ALTER TABLE program_instances DROP COLUMN copied_from;
ALTER TABLE program_instances DROP COLUMN revision;
