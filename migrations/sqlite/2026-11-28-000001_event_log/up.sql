-- One workspace-wide event log for instances and enrollments (see docs/architecture.md,
-- "The event log"). Writers append with `log_position` unset; the sequencer gives positions to
-- committed events, one sequencer at a time, so a position once read is never taken by a
-- later commit.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    log_position BIGINT UNIQUE,
    id TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    instance_id TEXT,
    actor_key_id TEXT,
    created_at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_unpositioned ON events (seq) WHERE log_position IS NULL;
CREATE INDEX events_by_workspace ON events (workspace_id, log_position);
CREATE INDEX events_by_instance ON events (workspace_id, instance_id, log_position);

CREATE TABLE event_log_head (
    id INTEGER PRIMARY KEY,
    log_position BIGINT NOT NULL
);

-- The instance histories kept so far become the first events of the log. They knew the
-- fields a change touched, not the whole instance: their `object` holds only those.
INSERT INTO events (log_position, id, workspace_id, kind, instance_id, actor_key_id, created_at, data)
SELECT
    e.sequence,
    printf('evt_c%024d', e.sequence),
    e.workspace_id,
    CASE e.kind
        WHEN 'created' THEN 'programInstance.created'
        WHEN 'updated' THEN 'programInstance.updated'
        ELSE 'programInstance.statusChanged'
    END,
    e.instance_id,
    e.actor_key_id,
    e.occurred_at,
    CASE e.kind
        WHEN 'created' THEN json_object('object', json_object('id', e.instance_id))
        WHEN 'updated' THEN json_object(
            'object', (SELECT json_group_object(json_extract(c.value, '$.field'), json_extract(c.value, '$.after'))
                       FROM json_each(e.data, '$.changes') c),
            'previous', (SELECT json_group_object(json_extract(c.value, '$.field'), json_extract(c.value, '$.before'))
                         FROM json_each(e.data, '$.changes') c))
        ELSE json_object(
            'object', json_object('id', e.instance_id, 'status', json_extract(e.data, '$.to')),
            'previous', json_object('status', json_extract(e.data, '$.from')))
    END
FROM instance_events e
ORDER BY e.sequence;
INSERT INTO event_log_head (id, log_position) SELECT 1, COALESCE(MAX(log_position), 0) FROM events;
DROP TABLE instance_events;

-- Full keys have every scope, the two new ones included.
UPDATE api_keys
SET scopes = '["programs:read","programInstances:read","programInstances:write","enrollments:read","enrollments:write","apiKeys:manage","events:read","webhooks:manage"]'
WHERE json_array_length(scopes) = 6;
