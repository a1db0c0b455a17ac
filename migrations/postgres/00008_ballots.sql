-- The ballot box of anonymous waves. A submission in an anonymous wave claims its invitation (or
-- its class-code draft) and drops a sealed ballot here in one transaction; the mixer later moves
-- ballots into responses in shuffled batches, in transactions of its own, with fresh ids, and
-- deletes them. A ballot names no invitation, person or draft owner, and its id is random, so the
-- only tie to the submission is the transaction that wrote both (xmin), which lasts only until
-- the ballot is mixed, deleted and vacuumed. sealed_at is to the minute: it only decides when a
-- small batch has waited long enough (see wave.MixPolicy).

-- +goose Up
CREATE TABLE ballots (
    district_id BIGINT NOT NULL,
    id          BIGINT NOT NULL,
    wave_id     BIGINT NOT NULL,
    school_id   BIGINT NOT NULL,
    language    TEXT NOT NULL,
    answers     TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    subgroups   TEXT NOT NULL DEFAULT '{}',
    sealed_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id)
);
CREATE INDEX ballots_wave ON ballots (district_id, wave_id, school_id);
-- The mixer vacuums (and rewrites) the ballot box after every batch itself; autovacuum would only
-- hold the lock that rewrite needs (anti-wraparound vacuums still run).
ALTER TABLE ballots SET (autovacuum_enabled = false);

-- +goose Down
DROP TABLE ballots;
