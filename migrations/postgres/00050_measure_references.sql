-- Reference values of a measure's bands (#16 line 1). Until a district sets them for a measure,
-- its bands (very weak … very strong) are the instrument's starting cut points and are labelled
-- provisional. A row holds the four cut points on the 0–100 scale, either derived from a
-- reference wave (the district's respondents' mean ± 0.5 and 1.5 SD, frozen when set) or typed
-- in. See internal/report/reference.go.

-- +goose Up
CREATE TABLE measure_references (
    district_id   BIGINT NOT NULL REFERENCES districts (district_id),
    instrument_id TEXT NOT NULL,
    measure_id    TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('wave', 'cuts')),
    wave_id       BIGINT,
    cut1          DOUBLE PRECISION NOT NULL,
    cut2          DOUBLE PRECISION NOT NULL,
    cut3          DOUBLE PRECISION NOT NULL,
    cut4          DOUBLE PRECISION NOT NULL,
    set_by        TEXT NOT NULL,
    set_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, instrument_id, measure_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id)
);

-- +goose Down
DROP TABLE measure_references;
