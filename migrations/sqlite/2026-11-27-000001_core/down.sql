DROP TABLE idempotency_records;
DROP TABLE api_keys;
DROP TABLE instance_events;
DROP TABLE program_instances;
DROP TABLE program_shares;
DROP TABLE programs;
DROP TABLE workspaces;
