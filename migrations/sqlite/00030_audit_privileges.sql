-- Append-only audit (#19 line 2): PostgreSQL now enforces it by privilege (see
-- migrations/postgres/00030_audit_privileges.sql). SQLite has no roles, so its triggers from
-- 00003_auth.sql stay; this migration only keeps the two folders' numbers matching.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
