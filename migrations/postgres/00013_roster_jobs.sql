-- Roster uploads imported in the background (issue 18, line 3). The upload itself is kept in
-- the database, in chunks, so whichever instance claims the job can read it; the chunks are
-- deleted when the job ends.

-- +goose Up
CREATE TABLE roster_jobs (
    district_id             BIGINT NOT NULL REFERENCES districts (district_id),
    id                      BIGINT NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    source                  TEXT NOT NULL,
    size                    BIGINT NOT NULL,
    allow_mass_deactivation BOOLEAN NOT NULL DEFAULT FALSE,
    user_id                 BIGINT,
    actor                   TEXT NOT NULL DEFAULT '',
    ip                      TEXT NOT NULL DEFAULT '',
    phase                   TEXT NOT NULL DEFAULT '',
    done                    BIGINT NOT NULL DEFAULT 0,
    total                   BIGINT NOT NULL DEFAULT 0,
    attempts                INTEGER NOT NULL DEFAULT 0,
    lease_until             TIMESTAMPTZ,
    import_id               BIGINT,
    message                 TEXT NOT NULL DEFAULT '',
    created_at              TIMESTAMPTZ NOT NULL,
    started_at              TIMESTAMPTZ,
    finished_at             TIMESTAMPTZ,
    PRIMARY KEY (district_id, id)
);
-- The worker's claim: the oldest queued job, or a running one whose lease ran out.
CREATE INDEX roster_jobs_claim ON roster_jobs (status, created_at);
CREATE INDEX roster_jobs_district ON roster_jobs (district_id, created_at);

CREATE TABLE roster_job_chunks (
    district_id BIGINT NOT NULL,
    job_id      BIGINT NOT NULL,
    seq         INTEGER NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (district_id, job_id, seq),
    FOREIGN KEY (district_id, job_id) REFERENCES roster_jobs (district_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE roster_job_chunks;
DROP TABLE roster_jobs;
