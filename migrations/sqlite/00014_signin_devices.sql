-- SQLite twin of postgres/00014_signin_devices.sql: same tables, columns and keys.

-- +goose Up
ALTER TABLE users ADD COLUMN sign_in_wait_until DATETIME;

CREATE TABLE known_devices (
    district_id  INTEGER NOT NULL,
    token_hash   BLOB NOT NULL,
    user_id      INTEGER NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    created_at   DATETIME NOT NULL,
    last_used_at DATETIME NOT NULL,
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id)
);
CREATE INDEX known_devices_token ON known_devices (token_hash);
CREATE INDEX known_devices_user ON known_devices (district_id, user_id);

-- +goose Down
DROP TABLE known_devices;
ALTER TABLE users DROP COLUMN sign_in_wait_until;
