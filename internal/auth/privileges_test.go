package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// TestAuditPrivileges checks, on real PostgreSQL, the append-only audit log by privilege (#19
// line 2): connected as the application role that `trustpulse migrate` grants (store.GrantApp),
// UPDATE, DELETE and TRUNCATE of audit_log fail with permission denied, INSERT and SELECT work,
// and the sign-in flow (users, sessions, audit) works as that role, as does the ballot sweep's VACUUM.
func TestAuditPrivileges(t *testing.T) {
	ctx := context.Background()
	owner := testdb.Postgres(t)
	app, role := testdb.AppRole(t)
	d := testdb.NewDistrict(t, app)
	svc := auth.New(app, auth.Options{Argon2: cheap})

	// A normal flow as the application role: an admin, a sign-in, its session, a sign-out.
	pw, err := svc.CreateAdmin(ctx, d, "ops@example.org")
	if err != nil {
		t.Fatalf("CreateAdmin as the app role: %v", err)
	}
	token, p, err := svc.SignIn(ctx, "ops@example.org", pw, "127.0.0.1")
	if err != nil {
		t.Fatalf("SignIn as the app role: %v", err)
	}
	if _, err := svc.Session(ctx, token); err != nil {
		t.Fatalf("Session as the app role: %v", err)
	}
	if err := svc.AuditBy(ctx, p, auth.ActionExport, "wave 1", "", "127.0.0.1"); err != nil {
		t.Fatalf("AuditBy as the app role: %v", err)
	}
	if err := svc.SignOut(ctx, token); err != nil {
		t.Fatalf("SignOut as the app role: %v", err)
	}
	log, err := svc.AuditLog(ctx, d, 10)
	if err != nil || len(log) < 3 {
		t.Fatalf("AuditLog as the app role: %d entries, %v", len(log), err)
	}

	// INSERT and SELECT work; UPDATE, DELETE and TRUNCATE are refused with permission denied.
	if err := app.DB.Exec("INSERT INTO audit_log (district_id, id, at, action) VALUES (?, ?, now(), 'test.insert')", d, store.NewID()).Error; err != nil {
		t.Errorf("INSERT as the app role: %v", err)
	}
	var n int64
	if err := app.DB.Raw("SELECT count(*) FROM audit_log WHERE district_id = ?", d).Scan(&n).Error; err != nil || n != int64(len(log))+1 {
		t.Errorf("SELECT as the app role: %d rows, %v", n, err)
	}
	for _, stmt := range []string{
		"UPDATE audit_log SET actor = 'someone else' WHERE district_id = ?",
		"DELETE FROM audit_log WHERE district_id = ?",
		"TRUNCATE audit_log",
	} {
		var args []any
		if stmt != "TRUNCATE audit_log" {
			args = append(args, d)
		}
		err := app.DB.Exec(stmt, args...).Error
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s as the app role: %v, want permission denied (42501)", stmt, err)
		}
	}
	if err := owner.DB.Raw("SELECT count(*) FROM audit_log WHERE district_id = ?", d).Scan(&n).Error; err != nil || n != int64(len(log))+1 {
		t.Errorf("after refused changes: %d rows, %v", n, err)
	}

	// The ballot sweep rewrites the ballot box (wave.sweep): the app role may.
	var before, after int64
	owner.DB.Raw("SELECT pg_relation_filenode('ballots')").Scan(&before)
	if err := app.DB.Exec("VACUUM (FULL, SKIP_LOCKED) ballots").Error; err != nil {
		t.Fatalf("VACUUM FULL ballots as the app role: %v", err)
	}
	owner.DB.Raw("SELECT pg_relation_filenode('ballots')").Scan(&after)
	if before == after {
		t.Error("VACUUM FULL ballots as the app role was skipped (not the owner, no MAINTAIN)")
	}

	// Granting again is a no-op; the checks refuse a role that could change the log.
	if err := owner.GrantApp(ctx, role); err != nil {
		t.Errorf("GrantApp again: %v", err)
	}
	if err := owner.CheckAppendOnly(ctx, role); err != nil {
		t.Errorf("CheckAppendOnly(app role): %v", err)
	}
	var me string
	owner.DB.Raw("SELECT current_user").Scan(&me)
	if err := owner.CheckAppendOnly(ctx, me); err == nil {
		t.Errorf("CheckAppendOnly(%s, a superuser owner) passed", me)
	}
	if err := owner.GrantApp(ctx, me); err == nil {
		t.Errorf("GrantApp(%s, a superuser owner) passed", me)
	}
	if err := owner.GrantApp(ctx, "tp_no_such_role"); err == nil {
		t.Error("GrantApp of a missing role passed")
	}
}
