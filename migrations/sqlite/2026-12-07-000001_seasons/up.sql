-- Seasons (docs/api.md, "Seasons, revisions and copies"); see the PostgreSQL migration.
ALTER TABLE program_instances ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE program_instances ADD COLUMN seasons TEXT;
ALTER TABLE program_instances ADD COLUMN season_days TEXT
    CHECK (season_days IS NULL OR length(season_days) = 366);
CREATE INDEX program_instances_season_zones ON program_instances (workspace_id, time_zone)
    WHERE season_days IS NOT NULL;
ALTER TABLE program_instances ADD COLUMN next_flip_at BIGINT;
UPDATE program_instances SET next_flip_at = CASE
        WHEN start_date > CAST(strftime('%s', 'now') AS INTEGER) * 1000000 THEN start_date
        WHEN end_date >= CAST(strftime('%s', 'now') AS INTEGER) * 1000000 THEN end_date + 1
    END
    WHERE status = 'active';
CREATE INDEX program_instances_next_flip ON program_instances (next_flip_at)
    WHERE next_flip_at IS NOT NULL;
