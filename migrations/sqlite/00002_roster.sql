-- Roster import bookkeeping. Like every table, keyed by district first.

-- +goose Up
-- One row per import attempt, for the admin pages: what was read, what it left active, and its
-- warnings (or, when it failed, the problems that stopped it; a failed import changes nothing else).
CREATE TABLE roster_imports (
    district_id        INTEGER NOT NULL REFERENCES districts (district_id),
    id                 INTEGER NOT NULL,
    source             TEXT NOT NULL,
    format             TEXT NOT NULL CHECK (format IN ('oneroster', 'simple')),
    mode               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
    started_at         DATETIME NOT NULL,
    finished_at        DATETIME NOT NULL,
    schools            INTEGER NOT NULL DEFAULT 0,
    students           INTEGER NOT NULL DEFAULT 0,
    staff              INTEGER NOT NULL DEFAULT 0,
    guardians          INTEGER NOT NULL DEFAULT 0,
    guardian_links     INTEGER NOT NULL DEFAULT 0,
    people_created     INTEGER NOT NULL DEFAULT 0,
    people_updated     INTEGER NOT NULL DEFAULT 0,
    people_deactivated INTEGER NOT NULL DEFAULT 0,
    warning_count      INTEGER NOT NULL DEFAULT 0,
    warnings           TEXT NOT NULL DEFAULT '',
    problem_count      INTEGER NOT NULL DEFAULT 0,
    problems           TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (district_id, id)
);
CREATE INDEX roster_imports_started ON roster_imports (district_id, started_at);

-- OneRoster records without a table of their own (orgs of every type, academic sessions,
-- courses), kept so a delta import that names one it does not carry can still be checked.
CREATE TABLE roster_records (
    district_id       INTEGER NOT NULL REFERENCES districts (district_id),
    entity            TEXT NOT NULL CHECK (entity IN ('org', 'academicSession', 'course')),
    sourced_id        TEXT NOT NULL,
    record_type       TEXT NOT NULL DEFAULT '',
    title             TEXT NOT NULL DEFAULT '',
    parent_sourced_id TEXT NOT NULL DEFAULT '',
    active            BOOLEAN NOT NULL DEFAULT 1,
    updated_at        DATETIME NOT NULL,
    PRIMARY KEY (district_id, entity, sourced_id)
);

-- +goose Down
DROP TABLE roster_records;
DROP TABLE roster_imports;
