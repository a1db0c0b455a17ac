-- The district of every class code (#19 line 3). A child types a class code with nothing else,
-- so its lookup had to search wave_codes in every district. code_districts answers "whose code is
-- this?" from a table small enough to be a reference table on Citus (a copy on every node, see
-- internal/store/citus.go), and the code's own lookup then names its district. The primary key
-- keeps codes unique across districts, as a typed code must be. Codes stay as they were — ten
-- characters, no route prefix — and every code made before this migration is copied in, so
-- no code needs a legacy lookup.

-- +goose Up
CREATE TABLE code_districts (
    code        TEXT NOT NULL PRIMARY KEY,
    district_id INTEGER NOT NULL
);
INSERT INTO code_districts (code, district_id)
SELECT code, MIN(district_id) FROM wave_codes GROUP BY code;

-- +goose Down
DROP TABLE code_districts;
