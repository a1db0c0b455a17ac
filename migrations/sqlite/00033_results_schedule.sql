-- SQLite twin of postgres/00033_results_schedule.sql.

-- +goose Up
ALTER TABLE waves ADD COLUMN results_admins_at DATETIME;
ALTER TABLE waves ADD COLUMN results_leaders_at DATETIME;
ALTER TABLE waves ADD COLUMN results_staff_at DATETIME;

-- +goose Down
ALTER TABLE waves DROP COLUMN results_staff_at;
ALTER TABLE waves DROP COLUMN results_leaders_at;
ALTER TABLE waves DROP COLUMN results_admins_at;
