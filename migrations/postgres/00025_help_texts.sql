-- Help right away (#15 line 6): each school's short "who to talk to" text (a counselor's name,
-- a room, a crisis line), one row per shipped locale, shown on the thank-you page of every student
-- survey. school_id 0 holds the district's default, used where a school has no text in a
-- language (see internal/support.Pick); it has no school row, hence no foreign key.

-- +goose Up
CREATE TABLE help_texts (
    district_id BIGINT NOT NULL REFERENCES districts (district_id),
    school_id   BIGINT NOT NULL,
    lang        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, school_id, lang)
);

-- +goose Down
DROP TABLE help_texts;
