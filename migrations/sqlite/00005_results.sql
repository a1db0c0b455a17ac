-- Results: rollups of scored responses by wave × school × measure × subgroup, kept current by a
-- background refresher, and per-user API tokens. Like every table, keyed by district first.
-- SQLite twin of postgres/00005_results.sql: same tables, columns and keys.

-- +goose Up
-- One row per reported cell. school_id 0 is the district; measure_id '' counts respondents;
-- item_id is set for item rows (attribute '' only); attribute ''/value '' is everyone.
-- n/sum/sum_sq are the sufficient statistics of the 0–100 scores, so cells add up without the
-- answers; suppressed is decided for the whole wave at once by the privacy rules.
CREATE TABLE rollup_cells (
    district_id INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    measure_id  TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    attribute   TEXT NOT NULL,
    value       TEXT NOT NULL,
    n           INTEGER NOT NULL,
    sum         REAL NOT NULL,
    sum_sq      REAL NOT NULL,
    favorable   INTEGER NOT NULL,
    answered    INTEGER NOT NULL,
    c0          INTEGER NOT NULL,
    c1          INTEGER NOT NULL,
    c2          INTEGER NOT NULL,
    c3          INTEGER NOT NULL,
    c4          INTEGER NOT NULL,
    invited     INTEGER NOT NULL,
    suppressed  BOOLEAN NOT NULL,
    PRIMARY KEY (district_id, wave_id, school_id, measure_id, item_id, attribute, value)
);

-- Responses scored since their wave's cells were last refreshed. The row names no person and is
-- deleted once the response is counted.
CREATE TABLE rollup_pending (
    district_id INTEGER NOT NULL,
    response_id INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    PRIMARY KEY (district_id, response_id)
);
CREATE INDEX rollup_pending_wave ON rollup_pending (district_id, wave_id);

-- Per wave: when its cells were built and whether they must be rebuilt from all its scores
-- (after a rescore or a change of the privacy floor).
CREATE TABLE rollup_waves (
    district_id INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    stale       BOOLEAN NOT NULL,
    invitations INTEGER NOT NULL,
    built_at    DATETIME,
    PRIMARY KEY (district_id, wave_id)
);

-- Read-only API tokens, one or more per user; only a hash is stored.
CREATE TABLE api_tokens (
    district_id  INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME,
    revoked_at   DATETIME,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, token_hash),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id)
);
CREATE INDEX api_tokens_hash ON api_tokens (token_hash);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE rollup_waves;
DROP TABLE rollup_pending;
DROP TABLE rollup_cells;
