-- Seasons (docs/api.md, "Seasons, revisions and copies").
--
-- `seasons` is the document as written; `season_days` is derived from it
-- (`domain::Seasons::day_map`): one character per day of a leap year, '1' inside a season,
-- so that the `activeAt` filter compares the day an instant falls on in each zone with a
-- character of the row, never converting times row by row.
ALTER TABLE program_instances ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE program_instances ADD COLUMN seasons JSON;
ALTER TABLE program_instances ADD COLUMN season_days TEXT;
ALTER TABLE program_instances ADD CONSTRAINT program_instances_season_days_length
    CHECK (season_days IS NULL OR length(season_days) = 366);
-- The zones of a workspace's seasonal instances, read before an `activeAt` list.
CREATE INDEX program_instances_season_zones ON program_instances (workspace_id, time_zone)
    WHERE season_days IS NOT NULL;
