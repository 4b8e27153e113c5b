-- Enrollments: one customer's participation in one program instance. The foreign key has
-- no cascade: an instance with enrollments cannot be deleted (archive it instead).
CREATE TABLE enrollments (
    workspace_id TEXT NOT NULL,
    id TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected', 'unenrolled', 'ineligible')),
    customer JSONB NOT NULL,
    device JSONB NOT NULL,
    form_data JSONB NOT NULL,
    eligibility JSONB NOT NULL,
    status_reason TEXT,
    version BIGINT NOT NULL CHECK (version >= 1),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (workspace_id, id),
    FOREIGN KEY (workspace_id, instance_id) REFERENCES program_instances (workspace_id, id)
);
CREATE INDEX enrollments_by_instance ON enrollments (workspace_id, instance_id, created_at DESC, id DESC);
CREATE INDEX enrollments_by_instance_status ON enrollments (workspace_id, instance_id, status, created_at DESC, id DESC);
