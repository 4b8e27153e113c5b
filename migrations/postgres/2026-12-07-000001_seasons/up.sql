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

-- The next flip of `acceptingEnrollments` by time that is not yet in the event log: the
-- server logs `enrollmentOpened`/`enrollmentClosed` for the rows it has passed. Existing
-- instances have no seasons yet, so their next flip is their start or end still ahead.
ALTER TABLE program_instances ADD COLUMN next_flip_at TIMESTAMPTZ;
UPDATE program_instances SET next_flip_at = CASE
        WHEN start_date > now() THEN start_date
        WHEN end_date >= now() THEN end_date + interval '1 microsecond'
    END
    WHERE status = 'active';
CREATE INDEX program_instances_next_flip ON program_instances (next_flip_at)
    WHERE next_flip_at IS NOT NULL;
