-- SQLite twin of postgres/00011_wave_lifecycle.sql: same status values, index and column.
-- SQLite cannot alter a CHECK, so waves is rebuilt the documented way (create the new table,
-- copy, drop the old, rename). That needs foreign_keys off, which SQLite ignores inside a
-- transaction: so this file runs outside goose's transaction, as one statement on one
-- connection that turns the checks off, does the rebuild in its own transaction and turns them
-- back on. The copy keeps every row and key, so every reference still holds.

-- +goose NO TRANSACTION
-- +goose Up
-- +goose StatementBegin
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE waves_new (
    district_id          INTEGER NOT NULL,
    id                   INTEGER NOT NULL,
    name                 TEXT NOT NULL,
    instrument_id        TEXT NOT NULL,
    instrument_version   INTEGER NOT NULL,
    audience             TEXT NOT NULL CHECK (audience IN ('student', 'staff', 'family')),
    audience_filter      TEXT NOT NULL DEFAULT '{}',
    mode                 TEXT NOT NULL CHECK (mode IN ('anonymous', 'confidential')),
    channels             TEXT NOT NULL DEFAULT 'link',
    status               TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'open', 'closed')),
    opens_at             DATETIME NOT NULL,
    closes_at            DATETIME NOT NULL,
    sms_answering        BOOLEAN NOT NULL DEFAULT 0,
    reminder_delay_hours INTEGER NOT NULL DEFAULT 48,
    max_reminders        INTEGER NOT NULL DEFAULT 2,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, instrument_id, instrument_version) REFERENCES instruments (district_id, instrument_id, version)
);
INSERT INTO waves_new (district_id, id, name, instrument_id, instrument_version, audience, audience_filter, mode, channels, status, opens_at, closes_at, sms_answering, reminder_delay_hours, max_reminders, created_at, updated_at)
    SELECT district_id, id, name, instrument_id, instrument_version, audience, audience_filter, mode, channels, status, opens_at, closes_at, sms_answering, reminder_delay_hours, max_reminders, created_at, updated_at FROM waves;
DROP TABLE waves;
ALTER TABLE waves_new RENAME TO waves;
CREATE INDEX waves_due ON waves (status, opens_at);
ALTER TABLE sms_messages ADD COLUMN sealed_token BLOB;
COMMIT;
PRAGMA foreign_keys = ON;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
ALTER TABLE sms_messages DROP COLUMN sealed_token;
UPDATE waves SET status = 'draft' WHERE status = 'scheduled';
CREATE TABLE waves_old (
    district_id          INTEGER NOT NULL,
    id                   INTEGER NOT NULL,
    name                 TEXT NOT NULL,
    instrument_id        TEXT NOT NULL,
    instrument_version   INTEGER NOT NULL,
    audience             TEXT NOT NULL CHECK (audience IN ('student', 'staff', 'family')),
    audience_filter      TEXT NOT NULL DEFAULT '{}',
    mode                 TEXT NOT NULL CHECK (mode IN ('anonymous', 'confidential')),
    channels             TEXT NOT NULL DEFAULT 'link',
    status               TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'open', 'closed')),
    opens_at             DATETIME NOT NULL,
    closes_at            DATETIME NOT NULL,
    sms_answering        BOOLEAN NOT NULL DEFAULT 0,
    reminder_delay_hours INTEGER NOT NULL DEFAULT 48,
    max_reminders        INTEGER NOT NULL DEFAULT 2,
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, instrument_id, instrument_version) REFERENCES instruments (district_id, instrument_id, version)
);
INSERT INTO waves_old (district_id, id, name, instrument_id, instrument_version, audience, audience_filter, mode, channels, status, opens_at, closes_at, sms_answering, reminder_delay_hours, max_reminders, created_at, updated_at)
    SELECT district_id, id, name, instrument_id, instrument_version, audience, audience_filter, mode, channels, status, opens_at, closes_at, sms_answering, reminder_delay_hours, max_reminders, created_at, updated_at FROM waves;
DROP TABLE waves;
ALTER TABLE waves_old RENAME TO waves;
COMMIT;
PRAGMA foreign_keys = ON;
-- +goose StatementEnd
