-- Student success team view (#15 line 3): grading periods and per-student indicators.

-- SQLite twin of postgres/00041_indicators.sql.

-- +goose Up
CREATE TABLE grading_periods (
    district_id INTEGER NOT NULL REFERENCES districts (district_id),
    id          INTEGER NOT NULL,
    name        TEXT NOT NULL,
    students    INTEGER NOT NULL,
    imported_at DATETIME NOT NULL,
    imported_by INTEGER NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, name)
);

CREATE TABLE student_indicators (
    district_id        INTEGER NOT NULL,
    period_id          INTEGER NOT NULL,
    student_id         INTEGER NOT NULL,
    attendance_rate    REAL NOT NULL,
    chronically_absent BOOLEAN NOT NULL,
    courses_failing    INTEGER NOT NULL,
    incidents          INTEGER,
    PRIMARY KEY (district_id, period_id, student_id),
    FOREIGN KEY (district_id, period_id) REFERENCES grading_periods (district_id, id),
    FOREIGN KEY (district_id, student_id) REFERENCES people (district_id, id)
);

-- +goose Down
DROP TABLE student_indicators;
DROP TABLE grading_periods;
