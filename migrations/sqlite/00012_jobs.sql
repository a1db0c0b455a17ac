-- Background work shared by any number of serve processes on one database.
--
-- job_leases: one row per periodic job. An instance runs a job only after it moved next_run_ms
-- past now and took the lease in one UPDATE, so a job runs on one instance at a time and once
-- per interval across all of them; a stopped instance's lease simply expires. It works the same on
-- PostgreSQL and SQLite. The jobs are deployment-wide (they walk every district), so the table has
-- no district_id; times are Unix milliseconds so both dialects compare them as numbers.
--
-- send_buckets: one token bucket per district and channel ("sms"; later "email"), shared by every
-- sender of every instance so N instances together keep the configured rate. District 0 is the
-- whole deployment (one Twilio account serves every district). Senders take tokens in small
-- batches, so the row is written a few times a second at most, never once per message.

-- +goose Up
CREATE TABLE job_leases (
    name           TEXT PRIMARY KEY,
    holder         TEXT NOT NULL DEFAULT '',
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    next_run_ms    BIGINT NOT NULL DEFAULT 0,
    started_ms     BIGINT NOT NULL DEFAULT 0,
    finished_ms    BIGINT NOT NULL DEFAULT 0,
    runs           BIGINT NOT NULL DEFAULT 0,
    last_error     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE send_buckets (
    district_id BIGINT NOT NULL,
    channel     TEXT NOT NULL,
    tokens      REAL NOT NULL,
    updated_us  BIGINT NOT NULL,
    PRIMARY KEY (district_id, channel)
);

-- +goose Down
DROP TABLE send_buckets;
DROP TABLE job_leases;
