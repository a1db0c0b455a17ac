-- Answering by text: where each family's SMS conversation stands. One row per invitation being
-- answered by text; the answers themselves live in the invitation's draft (as on the web) and
-- move to a response on submission, when this row is deleted. The row holds no answer, so an
-- anonymous wave keeps no path from an answer back to a person.

-- +goose Up
CREATE TABLE sms_conversations (
    district_id   BIGINT NOT NULL,
    invitation_id BIGINT NOT NULL,
    phone         TEXT NOT NULL,
    item          INTEGER NOT NULL DEFAULT 0,
    last_sid      TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, invitation_id),
    FOREIGN KEY (district_id, invitation_id) REFERENCES invitations (district_id, id)
);
-- STOP ends every conversation of a number; inbound texts carry no district.
CREATE INDEX sms_conversations_phone ON sms_conversations (phone);

-- +goose Down
DROP TABLE sms_conversations;
