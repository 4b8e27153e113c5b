-- When a key was last used, to the minute: written at most once a minute per key, from the
-- verification path, never on every request.
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
