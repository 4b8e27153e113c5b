-- Webhook endpoints and their deliveries: the outbox. The dispatcher reads the event log
-- after `webhook_dispatch_head` and adds a delivery per subscribed endpoint, then workers
-- claim due deliveries (FOR UPDATE SKIP LOCKED: each attempt by one process) and record
-- each attempt's outcome. See docs/webhooks.md.
CREATE TABLE webhook_endpoints (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    url TEXT NOT NULL,
    event_types JSON,
    description TEXT,
    disabled BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMPTZ,
    failing_since TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id)
);

CREATE TABLE webhook_deliveries (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    last_duration_ms BIGINT,
    next_attempt_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (endpoint_id, event_id),
    FOREIGN KEY (workspace_id, endpoint_id) REFERENCES webhook_endpoints (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (workspace_id, endpoint_id, created_at, id);

CREATE TABLE webhook_dispatch_head (
    id INTEGER PRIMARY KEY,
    log_position BIGINT NOT NULL
);
-- Events logged before webhooks existed have no endpoint to go to.
INSERT INTO webhook_dispatch_head (id, log_position)
SELECT 1, log_position FROM event_log_head WHERE id = 1;
