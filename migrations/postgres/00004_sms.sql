-- Family SMS: the outbox (a durable, DB-backed send queue), opt-outs and extra link tokens for
-- reminders. Like every table, keyed by district first.

-- +goose Up
-- One row per message. (district_id, invitation_id, kind) is the idempotency key: a wave's
-- invitation is texted at most once per kind (invite, reminder1, reminder2), whoever enqueues it.
-- body holds the link in clear only until the message leaves (the Twilio sender scrubs it then).
CREATE TABLE sms_messages (
    district_id   BIGINT NOT NULL,
    id            BIGINT NOT NULL,
    invitation_id BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('invite', 'reminder1', 'reminder2')),
    wave_id       BIGINT NOT NULL,
    school_id     BIGINT NOT NULL,
    person_id     BIGINT NOT NULL,
    to_number     TEXT NOT NULL,
    language      TEXT NOT NULL DEFAULT '',
    time_zone     TEXT NOT NULL DEFAULT 'America/New_York',
    body          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued',
    not_before    TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    provider_sid  TEXT NOT NULL DEFAULT '',
    error_code    INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    sent_at       TIMESTAMPTZ,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, invitation_id, kind),
    FOREIGN KEY (district_id, invitation_id) REFERENCES invitations (district_id, id)
);
-- The worker claims due rows across districts; status callbacks carry only our id (random 62 bits).
CREATE INDEX sms_messages_due ON sms_messages (status, not_before);
CREATE INDEX sms_messages_id ON sms_messages (id);
CREATE INDEX sms_messages_to ON sms_messages (to_number);

-- Numbers that texted STOP (or a localized equivalent), normalized to E.164, per district.
CREATE TABLE sms_opt_outs (
    district_id BIGINT NOT NULL REFERENCES districts (district_id),
    phone       TEXT NOT NULL,
    keyword     TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, phone)
);

-- Extra link tokens of an invitation (reminders carry a fresh link; the first keeps working).
CREATE TABLE invitation_tokens (
    district_id   BIGINT NOT NULL,
    token_hash    BYTEA NOT NULL,
    invitation_id BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, token_hash),
    FOREIGN KEY (district_id, invitation_id) REFERENCES invitations (district_id, id)
);
-- Tokens arrive without a district.
CREATE INDEX invitation_tokens_token ON invitation_tokens (token_hash);

-- +goose Down
DROP TABLE invitation_tokens;
DROP TABLE sms_opt_outs;
DROP TABLE sms_messages;
