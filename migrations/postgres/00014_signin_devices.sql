-- Sign-in that attackers cannot turn off (issue 18 line 5). Failed sign-ins no longer lock an
-- account: they make sign-ins from unknown devices wait (sign_in_wait_until, an exponential
-- delay per account), while a device the owner signed in from before (a cookie holding 256
-- random bits; only its SHA-256 is kept here) is not made to wait. locked_until stays for an
-- operator's explicit lock; guessing no longer sets it (it also stops API tokens).

-- +goose Up
ALTER TABLE users ADD COLUMN sign_in_wait_until TIMESTAMPTZ;

CREATE TABLE known_devices (
    district_id  BIGINT NOT NULL,
    token_hash   BYTEA NOT NULL,
    user_id      BIGINT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, user_id) REFERENCES users (district_id, id)
);
-- Device cookies arrive without a district, like session cookies.
CREATE INDEX known_devices_token ON known_devices (token_hash);
CREATE INDEX known_devices_user ON known_devices (district_id, user_id);

-- +goose Down
DROP TABLE known_devices;
ALTER TABLE users DROP COLUMN sign_in_wait_until;
