-- SQLite twin of postgres/00003_auth.sql: same tables, columns and keys.

-- +goose Up
CREATE TABLE users (
    district_id     INTEGER NOT NULL REFERENCES districts (district_id),
    id              INTEGER NOT NULL,
    email           TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    role            TEXT NOT NULL CHECK (role IN ('district_admin', 'school_leader', 'counselor', 'staff', 'analyst')),
    password_hash   TEXT NOT NULL DEFAULT '',
    person_id       INTEGER,
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    DATETIME,
    active          BOOLEAN NOT NULL DEFAULT 1,
    last_login_at   DATETIME,
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, email)
);
CREATE INDEX users_email ON users (email);

CREATE TABLE user_schools (
    district_id INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    PRIMARY KEY (district_id, user_id, school_id),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);

CREATE TABLE sessions (
    district_id  INTEGER NOT NULL,
    token_hash   BLOB NOT NULL,
    user_id      INTEGER NOT NULL,
    created_at   DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id)
);
CREATE INDEX sessions_token ON sessions (token_hash);
CREATE INDEX sessions_user ON sessions (district_id, user_id);

CREATE TABLE audit_log (
    district_id INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    at          DATETIME NOT NULL,
    user_id     INTEGER,
    actor       TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (district_id, id)
);
CREATE INDEX audit_log_at ON audit_log (district_id, at);

-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE user_schools;
DROP TABLE users;
