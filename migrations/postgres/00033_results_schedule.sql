-- Staged release (#16 line 5): when a wave's results open to each role. NULL = at once (every
-- wave before this migration keeps showing its results as it did). Stored as the instant the
-- chosen day starts in the wave's time zone; see internal/report/visibility.go.

-- +goose Up
ALTER TABLE waves ADD COLUMN results_admins_at TIMESTAMPTZ;
ALTER TABLE waves ADD COLUMN results_leaders_at TIMESTAMPTZ;
ALTER TABLE waves ADD COLUMN results_staff_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE waves DROP COLUMN results_staff_at;
ALTER TABLE waves DROP COLUMN results_leaders_at;
ALTER TABLE waves DROP COLUMN results_admins_at;
