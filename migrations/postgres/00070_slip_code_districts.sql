-- The district of every printed slip's personal code (#19 line 3). A student types the code on
-- their slip at /j with nothing else, so its lookup searched invitation_tokens in every district.
-- slip_code_districts answers "whose code is this?" by the code's hash — the code itself is never
-- stored — from a table that is a reference table on Citus (a copy on every node, see
-- internal/store/citus.go); the code's own lookup then names its district. The primary key keeps
-- personal codes unique across districts, as a typed code must be. Every slip code printed before
-- this migration is copied in, so no code needs a lookup in every district.

-- +goose Up
CREATE TABLE slip_code_districts (
    token_hash  BYTEA NOT NULL PRIMARY KEY,
    district_id BIGINT NOT NULL
);
INSERT INTO slip_code_districts (token_hash, district_id)
SELECT token_hash, MIN(district_id) FROM invitation_tokens WHERE kind = 'slip' GROUP BY token_hash;

-- +goose Down
DROP TABLE slip_code_districts;
