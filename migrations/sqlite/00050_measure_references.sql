-- SQLite twin of postgres/00050_measure_references.sql.

-- +goose Up
CREATE TABLE measure_references (
    district_id   INTEGER NOT NULL REFERENCES districts (district_id),
    instrument_id TEXT NOT NULL,
    measure_id    TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('wave', 'cuts')),
    wave_id       INTEGER,
    cut1          REAL NOT NULL,
    cut2          REAL NOT NULL,
    cut3          REAL NOT NULL,
    cut4          REAL NOT NULL,
    set_by        TEXT NOT NULL,
    set_at        DATETIME NOT NULL,
    PRIMARY KEY (district_id, instrument_id, measure_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id)
);

-- +goose Down
DROP TABLE measure_references;
