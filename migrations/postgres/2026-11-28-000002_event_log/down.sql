CREATE TABLE instance_events (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    sequence BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    data JSON NOT NULL,
    actor_key_id TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX instance_events_by_instance ON instance_events (workspace_id, instance_id, sequence);
DROP TABLE event_log_head;
DROP TABLE events;
