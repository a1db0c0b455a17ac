-- Staff accounts, sessions and the audit log. Like every table, keyed by district first.

-- +goose Up
CREATE TABLE users (
    district_id     BIGINT NOT NULL REFERENCES districts (district_id),
    id              BIGINT NOT NULL,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL CHECK (role IN ('district_admin', 'school_leader', 'counselor', 'staff', 'analyst')),
    password_hash   TEXT NOT NULL DEFAULT '',
    person_id       BIGINT,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TIMESTAMPTZ,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at   TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, email)
);
-- Sign-in arrives with an email and no district.
CREATE INDEX users_email ON users (email);

-- The schools a leader, counselor, staff member or analyst sees; district admins need none.
CREATE TABLE user_schools (
    district_id BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    school_id   BIGINT NOT NULL,
    PRIMARY KEY (district_id, user_id, school_id),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);

-- Server-side sessions: the cookie holds 256 random bits, we keep only their SHA-256, so any app
-- server can check a session and a stolen database copy cannot be replayed as cookies.
CREATE TABLE sessions (
    district_id  BIGINT NOT NULL,
    token_hash   BYTEA NOT NULL,
    user_id      BIGINT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id)
);
-- Cookies arrive without a district; a hash of 256 random bits is unique everywhere.
CREATE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (district_id, user_id);

-- Who did what and when: sign-ins, role changes, exports, views of confidential data.
-- Append-only: the application has no update or delete path, and the trigger below refuses both.
CREATE TABLE audit_log (
    district_id BIGINT NOT NULL,
    id          BIGINT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    user_id     BIGINT,
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (district_id, id)
);
CREATE INDEX audit_log_at ON audit_log (district_id, at);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- +goose Down
DROP TRIGGER audit_log_no_change ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE user_schools;
DROP TABLE users;
