-- The participation report by revision (docs/api.md, "Revisions in enrollments and the
-- report").
--
-- When each revision after the first began (the first begins when the instance is
-- created): written by the change that moves the revision. Changes made before this was
-- kept are found in the event log, whose `programInstance.updated` events carry the
-- instance as it became.
CREATE TABLE instance_revisions (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    revision BIGINT NOT NULL CHECK (revision > 1),
    began_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, revision),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
        ON DELETE CASCADE
);
INSERT INTO instance_revisions
SELECT e.workspace_id, e.instance_id, (e.data -> 'object' ->> 'revision')::BIGINT, min(e.created_at)
FROM events e
JOIN program_instances i ON i.workspace_id = e.workspace_id AND i.id = e.instance_id
WHERE e.kind = 'programInstance.updated'
  AND (e.data -> 'object' ->> 'revision')::BIGINT > 1
GROUP BY 1, 2, 3;

-- The tallies and histograms, kept per revision as well as per instance: rebuilt from the
-- enrollments, whose revision they now carry in their keys.
DROP TABLE enrollment_tallies;
DROP TABLE decision_histogram;
DROP TABLE decision_histogram_coarse;
CREATE TABLE enrollment_tallies (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    day BIGINT NOT NULL,
    submitted BIGINT NOT NULL,
    approved BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    unenrolled BIGINT NOT NULL,
    ineligible BIGINT NOT NULL,
    timed_decisions BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, revision, day),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
INSERT INTO enrollment_tallies
SELECT workspace_id, instance_id, instance_revision,
       floor(EXTRACT(EPOCH FROM created_at) / 86400)::BIGINT,
       count(*) FILTER (WHERE status = 'submitted'),
       count(*) FILTER (WHERE status = 'approved'),
       count(*) FILTER (WHERE status = 'rejected'),
       count(*) FILTER (WHERE status = 'unenrolled'),
       count(*) FILTER (WHERE status = 'ineligible'),
       count(decision_micros)
FROM enrollments
GROUP BY 1, 2, 3, 4;
CREATE TABLE decision_histogram (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    decisions BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, revision, bucket),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
INSERT INTO decision_histogram
SELECT workspace_id, instance_id, instance_revision, decision_bucket, count(*)
FROM enrollments
WHERE decision_bucket IS NOT NULL
GROUP BY 1, 2, 3, 4;
CREATE TABLE decision_histogram_coarse (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    revision BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    decisions BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, revision, bucket),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
INSERT INTO decision_histogram_coarse
SELECT workspace_id, instance_id, revision, bucket / 10, sum(decisions)
FROM decision_histogram
GROUP BY 1, 2, 3, 4;

-- A window's partial edge days and a revision's middle decision times read the revision
-- from the index, as they read the rest (the revision last in the decision index, so that
-- an instance's decisions stay in time order across its revisions).
DROP INDEX enrollments_by_created;
DROP INDEX enrollments_decisions_by_instance;
CREATE INDEX enrollments_by_created ON enrollments (workspace_id, created_at, instance_id, instance_revision, status, decision_bucket);
CREATE INDEX enrollments_decisions_by_instance ON enrollments (workspace_id, instance_id, decision_bucket, decision_micros, created_at, instance_revision)
    WHERE decision_micros IS NOT NULL;
