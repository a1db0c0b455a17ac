-- Append-only audit by privilege, not by trigger (#19 line 2): Citus cannot distribute a table
-- that has a trigger, and privileges hold on plain PostgreSQL and on Citus alike (Citus passes
-- GRANT and REVOKE on a distributed table to its shards).
--
-- Nobody but the owner may change or remove an audit record: UPDATE, DELETE and TRUNCATE are
-- revoked from PUBLIC and from the owner itself (an owner may drop its own ordinary privileges), so
-- even a single-role install, where the app connects as the owner, gets "permission denied". The
-- owner could grant them back, which is why the recommended setup is two roles: an owner that runs
-- `trustpulse migrate` and an application role (TRUSTPULSE_APP_ROLE) that `migrate` grants SELECT
-- and INSERT only on audit_log (store.GrantApp). A superuser bypasses privileges: never run the app
-- as one.

-- +goose Up
DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log;
DROP FUNCTION IF EXISTS audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;

-- +goose Down
GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO CURRENT_USER;
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
