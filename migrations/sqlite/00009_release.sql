-- Batched release of results (issue 17) and refresh failures an admin can see (issue 18).
-- SQLite twin of postgres/00009_release.sql: same tables, columns and keys.
-- A response is counted in results only once it is released: response_releases names the batch
-- it was released in. A release is decided per wave by the district's rule (report.DecideRelease):
-- every cell it changes gains none or at least k responses, so comparing two moments never
-- isolates one respondent. The row names no person and carries no time.

-- +goose Up
CREATE TABLE response_releases (
    district_id INTEGER NOT NULL,
    response_id INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    batch       INTEGER NOT NULL,
    PRIMARY KEY (district_id, response_id),
    FOREIGN KEY (district_id, response_id) REFERENCES responses (district_id, id)
);
CREATE INDEX response_releases_wave ON response_releases (district_id, wave_id);

-- Per wave: how many batches were released and when the last was; how many responses were held
-- at the last decision and whether the schedule then allowed a release (so an unchanged held set
-- is not weighed again every few seconds); the last build failure, shown on the wave page.
ALTER TABLE rollup_waves ADD COLUMN release_batch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_waves ADD COLUMN released_at DATETIME;
ALTER TABLE rollup_waves ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollup_waves ADD COLUMN held_due BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE rollup_waves ADD COLUMN error TEXT NOT NULL DEFAULT '';
ALTER TABLE rollup_waves ADD COLUMN failed_at DATETIME;

-- Results already shown before this rule stay shown: every stored response is released as batch 1.
INSERT INTO response_releases (district_id, response_id, wave_id, batch)
    SELECT district_id, id, wave_id, 1 FROM responses;
UPDATE rollup_waves SET release_batch = 1, released_at = built_at WHERE built_at IS NOT NULL;

-- +goose Down
ALTER TABLE rollup_waves DROP COLUMN failed_at;
ALTER TABLE rollup_waves DROP COLUMN error;
ALTER TABLE rollup_waves DROP COLUMN held_due;
ALTER TABLE rollup_waves DROP COLUMN held;
ALTER TABLE rollup_waves DROP COLUMN released_at;
ALTER TABLE rollup_waves DROP COLUMN release_batch;
DROP TABLE response_releases;
