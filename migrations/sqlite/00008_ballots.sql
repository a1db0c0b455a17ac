-- The ballot box of anonymous waves: see postgres/00008_ballots.sql.

-- SQLite twin of postgres/00008_ballots.sql: same table, columns and keys. WITHOUT ROWID keeps
-- ballots in the order of their random ids, not of their arrival.

-- +goose Up
CREATE TABLE ballots (
    district_id INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    language    TEXT NOT NULL,
    answers     TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    subgroups   TEXT NOT NULL DEFAULT '{}',
    sealed_at   DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id)
) WITHOUT ROWID;
CREATE INDEX ballots_wave ON ballots (district_id, wave_id, school_id);

-- +goose Down
DROP TABLE ballots;
