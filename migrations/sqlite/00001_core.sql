-- Core data model. Every table carries district_id and every unique key (primary keys included)
-- starts with it, so a statewide deployment can shard by district without a rewrite.
-- SQLite twin of postgres/00001_core.sql: same tables, columns and keys.
-- Row ids are random 62-bit integers made by the application: they reveal no order of arrival.

-- +goose Up
CREATE TABLE districts (
    district_id    INTEGER PRIMARY KEY,
    slug           TEXT NOT NULL,
    name           TEXT NOT NULL,
    min_group_size INTEGER NOT NULL DEFAULT 10,
    settings       TEXT NOT NULL DEFAULT '{}',
    created_at     DATETIME NOT NULL,
    updated_at     DATETIME NOT NULL
);
-- Slugs are checked by the application: districts is the root every other key starts from.
CREATE INDEX districts_slug ON districts (slug);

CREATE TABLE schools (
    district_id INTEGER NOT NULL REFERENCES districts (district_id),
    id          INTEGER NOT NULL,
    sourced_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'America/New_York',
    active      BOOLEAN NOT NULL DEFAULT 1,
    created_at  DATETIME NOT NULL,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, sourced_id)
);

CREATE TABLE people (
    district_id        INTEGER NOT NULL REFERENCES districts (district_id),
    id                 INTEGER NOT NULL,
    sourced_id         TEXT NOT NULL,
    kind               TEXT NOT NULL CHECK (kind IN ('student', 'staff', 'guardian')),
    role               TEXT NOT NULL DEFAULT '',
    given_name         TEXT NOT NULL DEFAULT '',
    family_name        TEXT NOT NULL DEFAULT '',
    email              TEXT NOT NULL DEFAULT '',
    school_id          INTEGER,
    grade              TEXT NOT NULL DEFAULT '',
    attributes         TEXT NOT NULL DEFAULT '{}',
    preferred_language TEXT NOT NULL DEFAULT '',
    phone              TEXT NOT NULL DEFAULT '',
    survey_opt_out     BOOLEAN NOT NULL DEFAULT 0,
    do_not_text        BOOLEAN NOT NULL DEFAULT 0,
    active             BOOLEAN NOT NULL DEFAULT 1,
    created_at         DATETIME NOT NULL,
    updated_at         DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, sourced_id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
CREATE INDEX people_school_kind ON people (district_id, school_id, kind);
CREATE INDEX people_email ON people (district_id, email);
CREATE INDEX people_phone ON people (district_id, phone);

CREATE TABLE person_schools (
    district_id INTEGER NOT NULL,
    person_id   INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    PRIMARY KEY (district_id, person_id, school_id),
    FOREIGN KEY (district_id, person_id) REFERENCES people (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
CREATE INDEX person_schools_school ON person_schools (district_id, school_id);

CREATE TABLE guardian_links (
    district_id INTEGER NOT NULL,
    guardian_id INTEGER NOT NULL,
    student_id  INTEGER NOT NULL,
    PRIMARY KEY (district_id, guardian_id, student_id),
    FOREIGN KEY (district_id, guardian_id) REFERENCES people (district_id, id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);
CREATE INDEX guardian_links_student ON guardian_links (district_id, student_id);

CREATE TABLE classes (
    district_id INTEGER NOT NULL,
    id          INTEGER NOT NULL,
    sourced_id  TEXT NOT NULL,
    school_id   INTEGER NOT NULL,
    title       TEXT NOT NULL,
    class_type  TEXT NOT NULL DEFAULT 'scheduled',
    active      BOOLEAN NOT NULL DEFAULT 1,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, sourced_id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);

CREATE TABLE enrollments (
    district_id INTEGER NOT NULL,
    class_id    INTEGER NOT NULL,
    person_id   INTEGER NOT NULL,
    role        TEXT NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT 1,
    PRIMARY KEY (district_id, class_id, person_id),
    FOREIGN KEY (district_id, class_id) REFERENCES classes (district_id, id),
    FOREIGN KEY (district_id, person_id) REFERENCES people (district_id, id)
);
CREATE INDEX enrollments_person ON enrollments (district_id, person_id);

CREATE TABLE instruments (
    district_id   INTEGER NOT NULL REFERENCES districts (district_id),
    instrument_id TEXT NOT NULL,
    version       INTEGER NOT NULL,
    audience      TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    PRIMARY KEY (district_id, instrument_id, version)
);

CREATE TABLE waves (
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

CREATE TABLE wave_schools (
    district_id INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    PRIMARY KEY (district_id, wave_id, school_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);

-- Class or school codes for open links (/j/CODE), anonymous waves only.
CREATE TABLE wave_codes (
    district_id INTEGER NOT NULL,
    code        TEXT NOT NULL,
    wave_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    class_id    INTEGER,
    PRIMARY KEY (district_id, code),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
-- Codes arrive without a district; they are random enough to be unique across districts.
CREATE INDEX wave_codes_code ON wave_codes (code);

CREATE TABLE invitations (
    district_id    INTEGER NOT NULL,
    id             INTEGER NOT NULL,
    wave_id        INTEGER NOT NULL,
    person_id      INTEGER NOT NULL,
    school_id      INTEGER NOT NULL,
    token_hash     BLOB NOT NULL,
    channel        TEXT NOT NULL DEFAULT 'link',
    language       TEXT NOT NULL DEFAULT '',
    created_at     DATETIME NOT NULL,
    sent_at        DATETIME,
    opened_at      DATETIME,
    completed_at   DATETIME,
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, wave_id, person_id, school_id),
    UNIQUE (district_id, token_hash),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, person_id) REFERENCES people (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
-- Tokens arrive without a district; a SHA-256 hash of 160 random bits is unique everywhere.
CREATE INDEX invitations_token ON invitations (token_hash);
CREATE INDEX invitations_wave ON invitations (district_id, wave_id, school_id);

-- Answers saved page by page before submission, so a reopened link resumes. Deleted at submission.
-- owner is "i:<invitation id>" for personal links or "c:<random cookie key>" for open links.
CREATE TABLE drafts (
    district_id INTEGER NOT NULL,
    owner       TEXT NOT NULL,
    wave_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    answers     TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT '',
    page        INTEGER NOT NULL DEFAULT 0,
    language    TEXT NOT NULL DEFAULT '',
    submitted   BOOLEAN NOT NULL DEFAULT 0,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, owner),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id)
);

-- One row per submitted response. In anonymous waves invitation_id, person_id and submitted_at
-- stay NULL: no join path and no timestamp path back to a person.
CREATE TABLE responses (
    district_id   INTEGER NOT NULL,
    id            INTEGER NOT NULL,
    wave_id       INTEGER NOT NULL,
    school_id     INTEGER NOT NULL,
    language      TEXT NOT NULL,
    answers       TEXT NOT NULL,
    comment       TEXT NOT NULL DEFAULT '',
    subgroups     TEXT NOT NULL DEFAULT '{}',
    invitation_id INTEGER,
    person_id     INTEGER,
    submitted_at  DATETIME,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, invitation_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
CREATE INDEX responses_wave ON responses (district_id, wave_id, school_id);

CREATE TABLE scores (
    district_id INTEGER NOT NULL,
    response_id INTEGER NOT NULL,
    measure_id  TEXT NOT NULL,
    wave_id     INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    n_answered  INTEGER NOT NULL,
    raw         INTEGER NOT NULL,
    favorable   INTEGER NOT NULL,
    logit       REAL NOT NULL,
    se          REAL NOT NULL,
    score       REAL NOT NULL,
    category    INTEGER NOT NULL,
    PRIMARY KEY (district_id, response_id, measure_id),
    FOREIGN KEY (district_id, response_id) REFERENCES responses (district_id, id)
);
CREATE INDEX scores_wave ON scores (district_id, wave_id, school_id, measure_id);

-- Rasch parameters per instrument version and measure, fixed once made so waves compare like with like.
CREATE TABLE calibrations (
    district_id   INTEGER NOT NULL,
    instrument_id TEXT NOT NULL,
    version       INTEGER NOT NULL,
    measure_id    TEXT NOT NULL,
    params        TEXT NOT NULL,
    n_persons     INTEGER NOT NULL,
    source        TEXT NOT NULL,
    created_at    DATETIME NOT NULL,
    PRIMARY KEY (district_id, instrument_id, version, measure_id)
);

-- +goose Down
DROP TABLE calibrations;
DROP TABLE scores;
DROP TABLE responses;
DROP TABLE drafts;
DROP TABLE invitations;
DROP TABLE wave_codes;
DROP TABLE wave_schools;
DROP TABLE waves;
DROP TABLE instruments;
DROP TABLE enrollments;
DROP TABLE classes;
DROP TABLE guardian_links;
DROP TABLE person_schools;
DROP TABLE people;
DROP TABLE schools;
DROP TABLE districts;
