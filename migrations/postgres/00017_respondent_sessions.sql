-- Sign in to answer: a student or staff member who signs in with the district's Google or
-- Microsoft account gets a respondent session, which lists their own open surveys. The cookie
-- holds 256 random bits; we keep only their SHA-256 and when the session ends. Nothing here says
-- which survey was started: in an anonymous wave that would be a link from the person to a time.

-- +goose Up
CREATE TABLE respondent_sessions (
    district_id BIGINT NOT NULL,
    token_hash  BYTEA NOT NULL,
    person_id   BIGINT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, person_id) REFERENCES people (district_id, id) ON DELETE CASCADE
);
-- Cookies arrive without a district; a hash of 256 random bits is unique everywhere.
CREATE INDEX respondent_sessions_token ON respondent_sessions (token_hash);
CREATE INDEX respondent_sessions_expires ON respondent_sessions (expires_at);

-- +goose Down
DROP TABLE respondent_sessions;
