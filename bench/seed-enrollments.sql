-- :count enrollments spread over the instances of workspace :'ws' (ids from :first, :instances
-- of them) and over the year before now: an eighth ineligible, the rest submitted, approved,
-- rejected or unenrolled, the decided ones decided within three days; each instance's design
-- changed 240 and 120 days ago, so the enrollments are at three revisions; then the per-day
-- tallies and the decision histograms the service keeps, as its migration builds them.
UPDATE program_instances SET revision = 3
WHERE workspace_id = :'ws';
INSERT INTO instance_revisions
SELECT i.workspace_id, i.id, r.revision, now() - make_interval(days => (4 - r.revision) * 120)
FROM program_instances i, (VALUES (2), (3)) AS r (revision)
WHERE i.workspace_id = :'ws';

INSERT INTO enrollments (workspace_id, id, instance_id, status, customer, device, form_data, eligibility,
    version, created_at, updated_at, decided_at, decision_micros, decision_bucket, instance_revision)
SELECT :'ws', 'e' || lpad(g::text, 24, '0'), 'c' || lpad((:first + g % :instances)::text, 24, '0'),
       status,
       '{"name": "Bench Customer", "email": "bench@example.com", "region": "NY"}',
       '{"type": "battery", "capacity": 13.5}', '{}',
       '{"eligible": true, "results": []}', 1, created, created,
       CASE WHEN status IN ('approved', 'rejected', 'unenrolled') THEN created + make_interval(secs => decision) END,
       CASE WHEN status IN ('approved', 'rejected', 'unenrolled') THEN decision::BIGINT * 1000000 END,
       CASE WHEN status IN ('approved', 'rejected', 'unenrolled') THEN
           CASE WHEN decision = 0 THEN 0
                ELSE length((decision::BIGINT * 1000000)::TEXT) * 100 + substr((decision::BIGINT * 1000000)::TEXT, 1, 2)::BIGINT
           END
       END,
       CASE WHEN created < now() - interval '240 days' THEN 1
            WHEN created < now() - interval '120 days' THEN 2
            ELSE 3
       END
FROM (
    SELECT g,
           (ARRAY['submitted', 'approved', 'rejected', 'unenrolled', 'ineligible', 'approved', 'approved', 'submitted'])[(g / :instances) % 8 + 1] AS status,
           now() - make_interval(secs => ((g::BIGINT * 104729) % (365 * 86400))::INT) AS created,
           ((g::BIGINT * 7919) % 259200)::INT AS decision
    FROM generate_series(1, :count) AS g
) AS generated;

INSERT INTO enrollment_tallies
SELECT workspace_id, instance_id, instance_revision, floor(EXTRACT(EPOCH FROM created_at) / 86400)::BIGINT,
       count(*) FILTER (WHERE status = 'submitted'),
       count(*) FILTER (WHERE status = 'approved'),
       count(*) FILTER (WHERE status = 'rejected'),
       count(*) FILTER (WHERE status = 'unenrolled'),
       count(*) FILTER (WHERE status = 'ineligible'),
       count(decision_micros)
FROM enrollments
WHERE workspace_id = :'ws'
GROUP BY 1, 2, 3, 4;

INSERT INTO decision_histogram
SELECT workspace_id, instance_id, instance_revision, decision_bucket, count(*)
FROM enrollments
WHERE workspace_id = :'ws' AND decision_bucket IS NOT NULL
GROUP BY 1, 2, 3, 4;

INSERT INTO decision_histogram_coarse
SELECT workspace_id, instance_id, revision, bucket / 10, sum(decisions)
FROM decision_histogram
WHERE workspace_id = :'ws'
GROUP BY 1, 2, 3, 4;
