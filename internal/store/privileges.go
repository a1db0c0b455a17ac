package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/config"
)

// AuditTable is the append-only audit log: the application role may read and append, never change.
const AuditTable = "audit_log"

// maintainedTables are the tables the application itself vacuums or analyzes: the ballot box and
// what mixing leaves behind (wave.sweep), and the roster tables a large import re-analyzes
// (roster.Import). PostgreSQL lets only a table's owner, or from version 17 a holder of MAINTAIN,
// do that.
var maintainedTables = []string{"ballots", "drafts", "sms_inbound", "people", "person_schools", "guardian_links", "classes", "enrollments"}

// GrantApp gives the application role what serve needs and no more, on PostgreSQL (#19 line 2):
// SELECT, INSERT, UPDATE and DELETE on every table of the schema but the audit log, where it gets
// SELECT and INSERT only; SELECT on goose's version table; and the right to VACUUM and ANALYZE
// the tables the program maintains itself (MAINTAIN from PostgreSQL 17; before that, those tables
// are handed to the application role, which needs the migrating role to be a member of it).
// It runs as the owner of the tables (`trustpulse migrate`) after every migration, so a table a
// later migration adds is granted too, and is idempotent. It ends by checking that the role can
// neither change nor remove an audit record, and refuses a role that could (a superuser, the
// owner, or a member of the owner's role).
func (s *Store) GrantApp(ctx context.Context, role string) error {
	if s.Dialect != config.Postgres {
		return fmt.Errorf("application role: only PostgreSQL has roles (SQLite keeps its audit trigger)")
	}
	if role == "" {
		return errors.New("application role: empty name")
	}
	q := pgx.Identifier{role}.Sanitize()
	db := s.DB.WithContext(ctx)
	var exists bool
	if err := db.Raw("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)", role).Scan(&exists).Error; err != nil {
		return fmt.Errorf("application role %s: %w", role, err)
	}
	if !exists {
		return fmt.Errorf("application role %s does not exist: create it first (CREATE ROLE %s LOGIN PASSWORD '…'), see the README's Database roles", role, q)
	}
	if err := s.checkAppendOnly(ctx, role, false); err != nil {
		return err
	}
	var version int
	if err := db.Raw("SELECT current_setting('server_version_num')::int").Scan(&version).Error; err != nil {
		return fmt.Errorf("application role %s: %w", role, err)
	}
	var schema string
	if err := db.Raw("SELECT current_schema()").Scan(&schema).Error; err != nil {
		return fmt.Errorf("application role %s: %w", role, err)
	}
	var tables []string
	if err := db.Raw("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename").Scan(&tables).Error; err != nil {
		return fmt.Errorf("application role %s: list tables: %w", role, err)
	}
	sch := pgx.Identifier{schema}.Sanitize()
	citus, err := s.HasCitus(ctx)
	if err != nil {
		return err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		stmts := []string{"GRANT USAGE ON SCHEMA " + sch + " TO " + q}
		if citus {
			// Citus refuses DDL on the reference table districts after a parallel DDL on a
			// distributed table in one transaction; one connection per node avoids that.
			stmts = append([]string{"SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"}, stmts...)
		}
		for _, t := range tables {
			id := pgx.Identifier{t}.Sanitize()
			switch t {
			case AuditTable:
				stmts = append(stmts, "REVOKE ALL ON "+id+" FROM "+q, "GRANT SELECT, INSERT ON "+id+" TO "+q)
			case "goose_db_version":
				stmts = append(stmts, "REVOKE ALL ON "+id+" FROM "+q, "GRANT SELECT ON "+id+" TO "+q)
			default:
				stmts = append(stmts, "GRANT SELECT, INSERT, UPDATE, DELETE ON "+id+" TO "+q)
			}
		}
		present := map[string]bool{}
		for _, t := range tables {
			present[t] = true
		}
		var owned []string
		for _, t := range maintainedTables {
			if present[t] {
				owned = append(owned, pgx.Identifier{t}.Sanitize())
			}
		}
		if len(owned) > 0 {
			list := strings.Join(owned, ", ")
			if version >= 170000 {
				stmts = append(stmts, "GRANT MAINTAIN ON "+list+" TO "+q)
			} else {
				// Before 17 only the owner may VACUUM: hand these tables to the application role.
				// The new owner needs CREATE on the schema for the moment of the change.
				stmts = append(stmts, "GRANT CREATE ON SCHEMA "+sch+" TO "+q)
				for _, t := range owned {
					stmts = append(stmts, "ALTER TABLE "+t+" OWNER TO "+q)
				}
				stmts = append(stmts, "REVOKE CREATE ON SCHEMA "+sch+" FROM "+q)
			}
		}
		for _, st := range stmts {
			if err := tx.Exec(st).Error; err != nil {
				return fmt.Errorf("%s: %w", st, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("application role %s: %w (the migrating role must own the tables and, before PostgreSQL 17, be a member of the application role: GRANT %s TO the owner)", role, err, q)
	}
	return s.CheckAppendOnly(ctx, role)
}

// CheckAppendOnly returns an error when role could change or remove audit records: a superuser,
// the owner of audit_log, a member of the owner's role, or a role granted UPDATE, DELETE or TRUNCATE.
func (s *Store) CheckAppendOnly(ctx context.Context, role string) error {
	return s.checkAppendOnly(ctx, role, true)
}

// checkAppendOnly checks role's standing (superuser, owner) and, when grants is set, its privileges.
func (s *Store) checkAppendOnly(ctx context.Context, role string, grants bool) error {
	if s.Dialect != config.Postgres {
		return nil
	}
	var r struct {
		Super, Owner, Update, Delete, Truncate bool
	}
	err := s.DB.WithContext(ctx).Raw(`SELECT rolsuper AS super,
		pg_has_role(rolname, (SELECT relowner FROM pg_class WHERE oid = 'audit_log'::regclass), 'USAGE') AS owner,
		has_table_privilege(rolname, 'audit_log', 'UPDATE') AS update,
		has_table_privilege(rolname, 'audit_log', 'DELETE') AS delete,
		has_table_privilege(rolname, 'audit_log', 'TRUNCATE') AS truncate
		FROM pg_roles WHERE rolname = ?`, role).Scan(&r).Error
	if err != nil {
		return fmt.Errorf("check audit privileges of %s: %w", role, err)
	}
	switch {
	case r.Super:
		return fmt.Errorf("role %s is a superuser and may change audit records: run the application as a role of its own", role)
	case r.Owner:
		return fmt.Errorf("role %s owns audit_log or is a member of its owner, and so may grant itself UPDATE and DELETE: give the application a role of its own", role)
	case grants && (r.Update || r.Delete || r.Truncate):
		return fmt.Errorf("role %s may change or remove audit records (UPDATE %v, DELETE %v, TRUNCATE %v): it must not own audit_log nor be a member of its owner", role, r.Update, r.Delete, r.Truncate)
	}
	return nil
}

// CheckOwnAppendOnly is CheckAppendOnly for the role this store is connected as (serve warns at
// start when it is not append-only for itself: the README's Database roles says how to split).
func (s *Store) CheckOwnAppendOnly(ctx context.Context) error {
	if s.Dialect != config.Postgres {
		return nil
	}
	var me string
	if err := s.DB.WithContext(ctx).Raw("SELECT current_user").Scan(&me).Error; err != nil {
		return fmt.Errorf("check audit privileges: %w", err)
	}
	return s.CheckAppendOnly(ctx, me)
}
