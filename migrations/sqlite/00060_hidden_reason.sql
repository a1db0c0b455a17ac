-- SQLite twin of postgres/00060_hidden_reason.sql.

-- +goose Up
ALTER TABLE rollup_cells ADD COLUMN hidden TEXT NOT NULL DEFAULT '';
UPDATE rollup_waves SET stale = 1;

-- +goose Down
DELETE FROM rollup_cells WHERE value = '*combined';
ALTER TABLE rollup_cells DROP COLUMN hidden;
