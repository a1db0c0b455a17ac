-- Acting on results (#15 lines 1, 2): mapping rounds, claims, assignments, follow-ups.

-- SQLite twin of postgres/00040_success.sql.

-- +goose Up
CREATE TABLE mapping_rounds (
    district_id INTEGER NOT NULL REFERENCES districts (district_id),
    id          INTEGER NOT NULL,
    school_id   INTEGER NOT NULL,
    name        TEXT NOT NULL,
    opened_at   DATETIME NOT NULL,
    closed_at   DATETIME,
    opened_by   INTEGER,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
CREATE INDEX mapping_rounds_school ON mapping_rounds (district_id, school_id, opened_at);

-- A claim: adult (a staff account) says of a student "I know this student well" and/or "this
-- student would come to me with a problem". A row exists only while one of the two is true.
CREATE TABLE mapping_claims (
    district_id INTEGER NOT NULL,
    round_id    INTEGER NOT NULL,
    student_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    knows_well  BOOLEAN NOT NULL,
    would_come  BOOLEAN NOT NULL,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, round_id, student_id, user_id),
    FOREIGN KEY (district_id, round_id) REFERENCES mapping_rounds (district_id, id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);
CREATE INDEX mapping_claims_user ON mapping_claims (district_id, user_id, round_id);

-- The team's assignment of a named adult to a student (from the team page or the follow-up
-- list), with a due date; at most one open assignment per student and school.
CREATE TABLE student_assignments (
    district_id  INTEGER NOT NULL,
    id           INTEGER NOT NULL,
    school_id    INTEGER NOT NULL,
    student_id   INTEGER NOT NULL,
    adult_id     INTEGER NOT NULL,
    due_on       TEXT NOT NULL,
    source       TEXT NOT NULL,
    assigned_by  INTEGER NOT NULL,
    assigned_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, school_id, student_id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);
CREATE INDEX student_assignments_adult ON student_assignments (district_id, adult_id);

-- A follow-up of a student who answered a confidential wave: reached (by whom, when, with what
-- kind of action and a short note).
CREATE TABLE followups (
    district_id INTEGER NOT NULL,
    wave_id     INTEGER NOT NULL,
    student_id  INTEGER NOT NULL,
    action      TEXT NOT NULL,
    note        TEXT NOT NULL,
    reached_by  INTEGER NOT NULL,
    reached_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, wave_id, student_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);

-- +goose Down
DROP TABLE followups;
DROP TABLE student_assignments;
DROP TABLE mapping_claims;
DROP TABLE mapping_rounds;
