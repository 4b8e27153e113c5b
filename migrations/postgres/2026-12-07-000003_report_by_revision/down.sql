DROP INDEX enrollments_by_created;
DROP INDEX enrollments_decisions_by_instance;
CREATE INDEX enrollments_by_created ON enrollments (workspace_id, created_at, instance_id, status, decision_bucket);
CREATE INDEX enrollments_decisions_by_instance ON enrollments (workspace_id, instance_id, decision_bucket, decision_micros, created_at)
    WHERE decision_micros IS NOT NULL;

DROP TABLE enrollment_tallies;
DROP TABLE decision_histogram;
DROP TABLE decision_histogram_coarse;
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

DROP TABLE instance_revisions;
