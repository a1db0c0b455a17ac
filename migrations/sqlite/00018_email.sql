-- Email invitations (staff, and students with a school address): a durable outbox like
-- sms_messages. (district_id, invitation_id, kind) is the idempotency key: an invitation gets at
-- most one invitation mail and one reminder, whoever queues them. body holds a placeholder where
-- the link's token goes; the token is sealed (internal/seal) in sealed_token with a key the
-- database never holds, and dropped once the mail has left.

-- +goose Up
CREATE TABLE email_messages (
    district_id   INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    invitation_id INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('invite', 'reminder')),
    wave_id       INTEGER NOT NULL,
    person_id     INTEGER NOT NULL,
    to_address    TEXT NOT NULL,
    language      TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    sealed_token  BLOB,
    status        TEXT NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME NOT NULL,
    message_id    TEXT NOT NULL DEFAULT '',
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    DATETIME NOT NULL,
    updated_at    DATETIME NOT NULL,
    sent_at       DATETIME,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, invitation_id, kind),
    FOREIGN KEY (district_id, invitation_id) REFERENCES invitations (district_id, id)
);
CREATE INDEX email_messages_due ON email_messages (status, next_attempt_at);

-- +goose Down
DROP TABLE email_messages;
