-- Seasons (docs/api.md, "Seasons, revisions and copies"); see the PostgreSQL migration.
ALTER TABLE program_instances ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE program_instances ADD COLUMN seasons TEXT;
ALTER TABLE program_instances ADD COLUMN season_days TEXT
    CHECK (season_days IS NULL OR length(season_days) = 366);
CREATE INDEX program_instances_season_zones ON program_instances (workspace_id, time_zone)
    WHERE season_days IS NOT NULL;
