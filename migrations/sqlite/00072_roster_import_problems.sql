-- SQLite twin of postgres/00072_roster_import_problems.sql.

-- +goose Up
ALTER TABLE roster_imports ADD COLUMN problems_json TEXT;

-- +goose Down
ALTER TABLE roster_imports DROP COLUMN problems_json;
