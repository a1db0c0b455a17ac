-- Wave lifecycle and sealed links.
-- 1. Waves gain the status 'scheduled': a wave that opens by itself at opens_at (the scheduler
--    opens it, invites its audience and queues its texts in one transaction). The allowed moves
--    between statuses are internal/wave's Transition, not the database's.
-- 2. sms_messages.sealed_token: a queued text's link token, encrypted (AES-256-GCM, internal/seal)
--    with a key the database never holds. The body keeps a placeholder where the token goes; the
--    worker opens the token just before sending. Nothing in this table opens a survey.

-- +goose Up
ALTER TABLE waves DROP CONSTRAINT IF EXISTS waves_status_check;
ALTER TABLE waves ADD CONSTRAINT waves_status_check CHECK (status IN ('draft', 'scheduled', 'open', 'closed'));
-- The scheduler looks for scheduled waves that are due.
CREATE INDEX waves_due ON waves (status, opens_at);

ALTER TABLE sms_messages ADD COLUMN sealed_token BYTEA;

-- +goose Down
ALTER TABLE sms_messages DROP COLUMN sealed_token;
DROP INDEX waves_due;
UPDATE waves SET status = 'draft' WHERE status = 'scheduled';
ALTER TABLE waves DROP CONSTRAINT IF EXISTS waves_status_check;
ALTER TABLE waves ADD CONSTRAINT waves_status_check CHECK (status IN ('draft', 'open', 'closed'));
