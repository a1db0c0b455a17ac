-- Sign in to answer: a student or staff member who signs in with the district's Google or
-- Microsoft account gets a respondent session, which lists their own open surveys. The cookie
-- holds 256 random bits; we keep only their SHA-256 and when the session ends. Nothing here says
-- which survey was started: in an anonymous wave that would be a link from the person to a time.

-- SQLite twin of postgres/00017_respondent_sessions.sql.

-- +goose Up
CREATE TABLE respondent_sessions (
    district_id INTEGER NOT NULL,
    token_hash  BLOB NOT NULL,
    person_id   INTEGER NOT NULL,
    expires_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, person_id) REFERENCES people (district_id, id) ON DELETE CASCADE
);
CREATE INDEX respondent_sessions_token ON respondent_sessions (token_hash);
CREATE INDEX respondent_sessions_expires ON respondent_sessions (expires_at);

-- +goose Down
DROP TABLE respondent_sessions;
