-- Answering by text, replays: every inbound text applied to a conversation, by Twilio's
-- MessageSid, so a webhook delivered again or a signed request replayed later changes nothing,
-- whether it is the newest text or an older one. It replaces sms_conversations.last_sid, which
-- recognised only the newest. A row names no number, invitation or answer, and created_at is
-- the day only: nothing here ties an answer in an anonymous wave to a person.

-- +goose Up
CREATE TABLE sms_inbound (
    district_id BIGINT NOT NULL REFERENCES districts (district_id),
    message_sid TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, message_sid)
);
-- Inbound texts carry no district, and a replay may land on another district's invitation of the
-- same number: a MessageSid is looked up in every district.
CREATE INDEX sms_inbound_sid ON sms_inbound (message_sid);

ALTER TABLE sms_conversations DROP COLUMN last_sid;

-- +goose Down
ALTER TABLE sms_conversations ADD COLUMN last_sid TEXT NOT NULL DEFAULT '';
DROP TABLE sms_inbound;
