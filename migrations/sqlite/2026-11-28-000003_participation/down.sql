DROP TABLE decision_histogram_coarse;
DROP TABLE decision_histogram;
DROP TABLE enrollment_tallies;
DROP INDEX enrollments_decisions;
DROP INDEX enrollments_decisions_by_instance;
DROP INDEX enrollments_by_created;
ALTER TABLE enrollments DROP COLUMN decision_bucket;
ALTER TABLE enrollments DROP COLUMN decision_micros;
ALTER TABLE enrollments DROP COLUMN decided_at;
