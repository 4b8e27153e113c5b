-- The embedded default: the same tables as migrations/postgres, in SQLite's terms.
-- Instants are microseconds since the Unix epoch (BIGINT); JSON documents are TEXT.

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE programs (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    created_at BIGINT NOT NULL,
    CONSTRAINT programs_slug_unique UNIQUE (slug)
);

CREATE TABLE program_shares (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    program_id TEXT NOT NULL REFERENCES programs (id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, program_id)
);
CREATE INDEX program_shares_by_program ON program_shares (program_id);

CREATE TABLE program_instances (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    program_id TEXT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    description TEXT,
    slug TEXT NOT NULL,
    logo_url TEXT,
    eligibility_criteria TEXT,
    custom_terms TEXT,
    form_config TEXT,
    start_date BIGINT,
    end_date BIGINT,
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'archived')),
    metadata TEXT,
    version BIGINT NOT NULL CHECK (version >= 1),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CONSTRAINT program_instances_slug_unique UNIQUE (workspace_id, slug),
    CONSTRAINT program_instances_schedule CHECK (start_date IS NULL OR end_date IS NULL OR start_date < end_date)
);
CREATE INDEX program_instances_newest ON program_instances (workspace_id, created_at DESC, id DESC);
CREATE INDEX program_instances_by_program ON program_instances (workspace_id, program_id, created_at DESC, id DESC);
CREATE INDEX program_instances_by_status ON program_instances (workspace_id, status, created_at DESC, id DESC);

CREATE TABLE instance_events (
    sequence INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    actor_key_id TEXT,
    occurred_at BIGINT NOT NULL,
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX instance_events_by_instance ON instance_events (workspace_id, instance_id, sequence);

CREATE TABLE api_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    name TEXT,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    instance_ids TEXT,
    expires_at BIGINT,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    PRIMARY KEY (workspace_id, id),
    CONSTRAINT api_keys_prefix_unique UNIQUE (prefix),
    CONSTRAINT api_keys_id_unique UNIQUE (id)
);
CREATE INDEX api_keys_newest ON api_keys (workspace_id, created_at DESC, id DESC);

CREATE TABLE idempotency_records (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    response_headers TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
