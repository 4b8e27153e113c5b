-- The participation report (docs/architecture.md, "The participation report").
--
-- When an enrollment was decided (approved or rejected), and how long the decision took in
-- microseconds, a number both engines index alike. Enrollments decided before this was
-- recorded take it from the event log where it holds the decision, else stay NULL.
ALTER TABLE enrollments ADD COLUMN decided_at TIMESTAMPTZ;
ALTER TABLE enrollments ADD COLUMN decision_micros BIGINT;
-- The decision time's histogram bucket (`domain::participation::decision_bucket`: below 10
-- the time itself, else its digit count * 100 + its first two digits).
ALTER TABLE enrollments ADD COLUMN decision_bucket BIGINT;

UPDATE enrollments e
SET decided_at = decision.at
FROM (
    SELECT workspace_id, data -> 'object' ->> 'id' AS enrollment_id, min(created_at) AS at
    FROM events
    WHERE kind = 'enrollment.statusChanged'
      AND data -> 'object' ->> 'status' IN ('approved', 'rejected')
    GROUP BY 1, 2
) decision
WHERE e.workspace_id = decision.workspace_id
  AND e.id = decision.enrollment_id
  AND e.status IN ('approved', 'rejected', 'unenrolled');
UPDATE enrollments
SET decision_micros = (EXTRACT(EPOCH FROM decided_at - created_at) * 1000000)::BIGINT
WHERE decided_at IS NOT NULL;
UPDATE enrollments
SET decision_bucket = CASE
    WHEN decision_micros < 0 THEN 0
    WHEN decision_micros < 10 THEN decision_micros
    ELSE length(decision_micros::TEXT) * 100 + substr(decision_micros::TEXT, 1, 2)::BIGINT
END
WHERE decision_micros IS NOT NULL;

-- How many enrollments created on each UTC day (days since 1970) are in each status now,
-- and how many of them have a recorded decision time: kept by every enrollment write in
-- its own transaction, so a report adds up days instead of counting enrollments.
CREATE TABLE enrollment_tallies (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    day BIGINT NOT NULL,
    submitted BIGINT NOT NULL,
    approved BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    unenrolled BIGINT NOT NULL,
    ineligible BIGINT NOT NULL,
    timed_decisions BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, day),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
INSERT INTO enrollment_tallies
SELECT workspace_id, instance_id, floor(EXTRACT(EPOCH FROM created_at) / 86400)::BIGINT,
       count(*) FILTER (WHERE status = 'submitted'),
       count(*) FILTER (WHERE status = 'approved'),
       count(*) FILTER (WHERE status = 'rejected'),
       count(*) FILTER (WHERE status = 'unenrolled'),
       count(*) FILTER (WHERE status = 'ineligible'),
       count(decision_micros)
FROM enrollments
GROUP BY 1, 2, 3;

-- How many recorded decision times fall in each bucket, per instance: a median finds the
-- bucket holding its middle here and reads only that bucket's times.
CREATE TABLE decision_histogram (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    decisions BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, bucket),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
INSERT INTO decision_histogram
SELECT workspace_id, instance_id, decision_bucket, count(*)
FROM enrollments
WHERE decision_bucket IS NOT NULL
GROUP BY 1, 2, 3;
-- The same by tens of buckets (bucket / 10: the first significant digit), so that finding
-- the middle reads a few coarse rows, then at most ten fine ones.
CREATE TABLE decision_histogram_coarse (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    decisions BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, bucket),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
INSERT INTO decision_histogram_coarse
SELECT workspace_id, instance_id, bucket / 10, sum(decisions)
FROM decision_histogram
GROUP BY 1, 2, 3;

-- A window's partial first and last days read their enrollments by creation time; the
-- median reads decision times in order (bucket, then time), per instance and across the
-- workspace.
CREATE INDEX enrollments_by_created ON enrollments (workspace_id, created_at, instance_id, status, decision_bucket);
CREATE INDEX enrollments_decisions_by_instance ON enrollments (workspace_id, instance_id, decision_bucket, decision_micros, created_at)
    WHERE decision_micros IS NOT NULL;
CREATE INDEX enrollments_decisions ON enrollments (workspace_id, decision_bucket, decision_micros, instance_id, created_at)
    WHERE decision_micros IS NOT NULL;
