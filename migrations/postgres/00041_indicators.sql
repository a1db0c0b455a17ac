-- Student success team view (#15 line 3): a grading period's attendance and course results per
-- student, imported all or nothing from a CSV (internal/success.ImportIndicators). Re-importing a
-- period of the same name replaces its rows.

-- +goose Up
CREATE TABLE grading_periods (
    district_id BIGINT NOT NULL REFERENCES districts (district_id),
    id          BIGINT NOT NULL,
    name        TEXT NOT NULL,
    students    INTEGER NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    imported_by BIGINT NOT NULL,
    PRIMARY KEY (district_id, id),
    UNIQUE (district_id, name)
);

CREATE TABLE student_indicators (
    district_id        BIGINT NOT NULL,
    period_id          BIGINT NOT NULL,
    student_id         BIGINT NOT NULL,
    attendance_rate    DOUBLE PRECISION NOT NULL,
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
