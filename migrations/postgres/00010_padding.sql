-- No padding, snapshot minimisation (#17 lines 4 and 5).
--
-- wave_codes.used counts the responses a class or school code has taken, so a code accepts no
-- more than its roster plus a small margin (wave.Service.CodeMargin): one address cannot pad a
-- group with made-up answers.
--
-- snapshot_schemes holds, once per wave × school, which attributes and values an anonymous
-- response may keep (the rest become "other" or are dropped) so that every stored combination is
-- shared by at least k rostered people of the school. It is computed at the first submission and
-- never changed, so every response of a wave × school is coarsened the same way and rollups stay
-- consistent. It names no person.

-- +goose Up
ALTER TABLE wave_codes ADD COLUMN used INTEGER NOT NULL DEFAULT 0;

CREATE TABLE snapshot_schemes (
    district_id BIGINT NOT NULL,
    wave_id     BIGINT NOT NULL,
    school_id   BIGINT NOT NULL,
    scheme      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, wave_id, school_id),
    FOREIGN KEY (district_id, wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);

-- +goose Down
DROP TABLE snapshot_schemes;
ALTER TABLE wave_codes DROP COLUMN used;
