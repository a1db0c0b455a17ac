-- Acting on results (#15 lines 1, 2): relationship mapping rounds, the adults' claims of the
-- students they know, the team's assignments of a named adult to an unclaimed student, and the
-- follow-up of students who answered a confidential wave. Every row names a student; only the
-- internal/success package reads them, and every view of a named list is audited.

-- +goose Up
CREATE TABLE mapping_rounds (
    district_id BIGINT NOT NULL REFERENCES districts (district_id),
    id          BIGINT NOT NULL,
    school_id   BIGINT NOT NULL,
    name        TEXT NOT NULL,
    opened_at   TIMESTAMPTZ NOT NULL,
    closed_at   TIMESTAMPTZ,
    opened_by   BIGINT,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
CREATE INDEX mapping_rounds_school ON mapping_rounds (district_id, school_id, opened_at);

-- A claim: adult (a staff account) says of a student "I know this student well" and/or "this
-- student would come to me with a problem". A row exists only while one of the two is true.
CREATE TABLE mapping_claims (
    district_id BIGINT NOT NULL,
    round_id    BIGINT NOT NULL,
    student_id  BIGINT NOT NULL,
    user_id     BIGINT NOT NULL,
    knows_well  BOOLEAN NOT NULL,
    would_come  BOOLEAN NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, round_id, student_id, user_id),
    FOREIGN KEY (district_id, round_id) REFERENCES mapping_rounds (district_id, id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);
CREATE INDEX mapping_claims_user ON mapping_claims (district_id, user_id, round_id);

-- The team's assignment of a named adult to a student (from the team page or the follow-up
-- list), with a due date; at most one open assignment per student and school.
CREATE TABLE student_assignments (
    district_id  BIGINT NOT NULL,
    id           BIGINT NOT NULL,
    school_id    BIGINT NOT NULL,
    student_id   BIGINT NOT NULL,
    adult_id     BIGINT NOT NULL,
    due_on       TEXT NOT NULL,
    source       TEXT NOT NULL,
    assigned_by  BIGINT NOT NULL,
    assigned_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, school_id, student_id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);
CREATE INDEX student_assignments_adult ON student_assignments (district_id, adult_id);

-- A follow-up of a student who answered a confidential wave: reached (by whom, when, with what
-- kind of action and a short note).
CREATE TABLE followups (
    district_id BIGINT NOT NULL,
    wave_id     BIGINT NOT NULL,
    student_id  BIGINT NOT NULL,
    action      TEXT NOT NULL,
    note        TEXT NOT NULL,
    reached_by  BIGINT NOT NULL,
    reached_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, wave_id, student_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);

-- +goose Down
DROP TABLE followups;
DROP TABLE student_assignments;
DROP TABLE mapping_claims;
DROP TABLE mapping_rounds;
