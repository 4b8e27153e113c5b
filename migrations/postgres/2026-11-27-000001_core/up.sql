-- The core: tenants, the catalog, program instances with their history, API keys and
-- idempotency records. Every tenant-owned table is keyed by workspace_id first, so a
-- workspace is the natural distribution key on PostgreSQL-compatible distributed engines.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- The catalog is global (a reference table): programs are created by the operator.
CREATE TABLE programs (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    created_at TIMESTAMPTZ NOT NULL,
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
    -- The name case-folded by the application, so that every storage engine searches alike.
    name_folded TEXT NOT NULL,
    description TEXT,
    slug TEXT NOT NULL,
    logo_url TEXT,
    eligibility_criteria JSONB,
    custom_terms TEXT,
    form_config JSONB,
    start_date TIMESTAMPTZ,
    end_date TIMESTAMPTZ,
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'archived')),
    metadata JSONB,
    version BIGINT NOT NULL CHECK (version >= 1),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id),
    CONSTRAINT program_instances_slug_unique UNIQUE (workspace_id, slug),
    CONSTRAINT program_instances_schedule CHECK (start_date IS NULL OR end_date IS NULL OR start_date < end_date)
);
-- One index behind each list filter; all share the newest-first keyset order.
CREATE INDEX program_instances_newest ON program_instances (workspace_id, created_at DESC, id DESC);
CREATE INDEX program_instances_by_program ON program_instances (workspace_id, program_id, created_at DESC, id DESC);
CREATE INDEX program_instances_by_status ON program_instances (workspace_id, status, created_at DESC, id DESC);
CREATE INDEX program_instances_name_search ON program_instances USING gin (name_folded gin_trgm_ops);

CREATE TABLE instance_events (
    workspace_id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    sequence BIGSERIAL NOT NULL,
    kind TEXT NOT NULL,
    data JSONB NOT NULL,
    actor_key_id TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, instance_id, sequence),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE api_keys (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    id TEXT NOT NULL,
    name TEXT,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes JSONB NOT NULL,
    instance_ids JSONB,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id),
    -- A presented key is found by its prefix before its workspace is known.
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
    response_headers JSONB,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, key)
);
CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);
