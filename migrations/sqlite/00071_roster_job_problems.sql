-- SQLite twin of postgres/00071_roster_job_problems.sql.

-- +goose Up
ALTER TABLE roster_jobs ADD COLUMN problems_json TEXT;

-- +goose Down
ALTER TABLE roster_jobs DROP COLUMN problems_json;
