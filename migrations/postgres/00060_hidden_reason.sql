-- Why a hidden result cell is hidden (#16 line 2): 'small' (fewer respondents than the floor),
-- 'protect' (hidden so no subtraction recovers a smaller group), 'pooled' (one of the small
-- groups combined into one "combined" group, stored as its own cell with value '*combined').
-- Every built wave is rebuilt once so its cells get their reasons and pools.

-- +goose Up
ALTER TABLE rollup_cells ADD COLUMN hidden TEXT NOT NULL DEFAULT '';
UPDATE rollup_waves SET stale = TRUE;

-- +goose Down
DELETE FROM rollup_cells WHERE value = '*combined';
ALTER TABLE rollup_cells DROP COLUMN hidden;
