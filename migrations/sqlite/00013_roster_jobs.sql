-- Roster uploads imported in the background (issue 18, line 3). The upload itself is kept in
-- the database, in chunks, so whichever instance claims the job can read it; the chunks are
-- deleted when the job ends.

-- +goose Up
CREATE TABLE roster_jobs (
    district_id             INTEGER NOT NULL REFERENCES districts (district_id),
    id                      INTEGER NOT NULL,
    status                  TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    source                  TEXT NOT NULL,
    size                    INTEGER NOT NULL,
    allow_mass_deactivation BOOLEAN NOT NULL DEFAULT 0,
    user_id                 INTEGER,
    actor                   TEXT NOT NULL DEFAULT '',
    ip                      TEXT NOT NULL DEFAULT '',
    phase                   TEXT NOT NULL DEFAULT '',
    done                    INTEGER NOT NULL DEFAULT 0,
    total                   INTEGER NOT NULL DEFAULT 0,
    attempts                INTEGER NOT NULL DEFAULT 0,
    lease_until             DATETIME,
    import_id               INTEGER,
    message                 TEXT NOT NULL DEFAULT '',
    created_at              DATETIME NOT NULL,
    started_at              DATETIME,
    finished_at             DATETIME,
    PRIMARY KEY (district_id, id)
);
-- The worker's claim: the oldest queued job, or a running one whose lease ran out.
CREATE INDEX roster_jobs_claim ON roster_jobs (status, created_at);
CREATE INDEX roster_jobs_district ON roster_jobs (district_id, created_at);

CREATE TABLE roster_job_chunks (
    district_id INTEGER NOT NULL,
    job_id      INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (district_id, job_id, seq),
    FOREIGN KEY (district_id, job_id) REFERENCES roster_jobs (district_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE roster_job_chunks;
DROP TABLE roster_jobs;
