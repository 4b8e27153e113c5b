DROP INDEX program_instances_next_flip;
ALTER TABLE program_instances DROP COLUMN next_flip_at;
DROP INDEX program_instances_season_zones;
ALTER TABLE program_instances DROP CONSTRAINT program_instances_season_days_length;
ALTER TABLE program_instances DROP COLUMN season_days;
ALTER TABLE program_instances DROP COLUMN seasons;
ALTER TABLE program_instances DROP COLUMN time_zone;
