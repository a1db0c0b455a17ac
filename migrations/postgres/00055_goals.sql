-- Goals and the actions behind them (#15 line 4). A leader sets a goal on one measure for one
-- group of a school (or the district, school_id 0): a target change in points (on the 0–100 score,
-- or on % favorable for a single-item measure: metric) from a baseline wave, due by a date or a
-- wave; actions with an owner, dates and a status say what the school does about it. Whether the
-- goal was met is computed from the results (internal/goals), never stored.

-- +goose Up
CREATE TABLE goals (
    district_id      BIGINT NOT NULL REFERENCES districts (district_id),
    id               BIGINT NOT NULL,
    school_id        BIGINT NOT NULL,
    instrument_id    TEXT NOT NULL,
    measure_id       TEXT NOT NULL,
    attribute        TEXT NOT NULL,
    value            TEXT NOT NULL,
    metric           TEXT NOT NULL CHECK (metric IN ('score', 'favorable')),
    baseline_wave_id BIGINT NOT NULL,
    target           DOUBLE PRECISION NOT NULL,
    due_on           TEXT NOT NULL,
    due_wave_id      BIGINT,
    owner_id         BIGINT NOT NULL,
    text             TEXT NOT NULL,
    created_by       BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, baseline_wave_id) REFERENCES waves (district_id, id),
    FOREIGN KEY (district_id, owner_id) REFERENCES users (district_id, id)
);
CREATE INDEX goals_school ON goals (district_id, school_id, created_at);

CREATE TABLE goal_actions (
    district_id BIGINT NOT NULL,
    id          BIGINT NOT NULL,
    goal_id     BIGINT NOT NULL,
    title       TEXT NOT NULL,
    owner_id    BIGINT NOT NULL,
    starts_on   TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('planned', 'in-progress', 'done', 'dropped')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (district_id, id),
    FOREIGN KEY (district_id, goal_id) REFERENCES goals (district_id, id),
    FOREIGN KEY (district_id, owner_id) REFERENCES users (district_id, id)
);
CREATE INDEX goal_actions_goal ON goal_actions (district_id, goal_id);

-- +goose Down
DROP TABLE goal_actions;
DROP TABLE goals;
