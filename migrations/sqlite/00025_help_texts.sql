-- Help right away (#15 line 6): each school's short "who to talk to" text, one row per shipped
-- locale; school_id 0 is the district's default.

-- SQLite twin of postgres/00025_help_texts.sql.

-- +goose Up
CREATE TABLE help_texts (
    district_id INTEGER NOT NULL REFERENCES districts (district_id),
    school_id   INTEGER NOT NULL,
    lang        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  DATETIME NOT NULL,
    PRIMARY KEY (district_id, school_id, lang)
);

-- +goose Down
DROP TABLE help_texts;
