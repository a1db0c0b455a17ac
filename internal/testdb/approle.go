package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// AppRole creates a login role of its own in the package's PostgreSQL database, grants it what
// `trustpulse migrate` grants the application role (store.GrantApp), and opens the database as
// that role: for tests that check what the application may and may not do when it is not the
// owner of the tables (the audit log's append-only privileges). The role is dropped when tb ends.
func AppRole(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	ctx := context.Background()
	owner := Postgres(tb)
	var b [6]byte
	rand.Read(b[:])
	role := "tp_app_" + hex.EncodeToString(b[:])
	password := hex.EncodeToString(b[:]) + "-pw"
	q := pgx.Identifier{role}.Sanitize()
	if err := owner.DB.Exec("CREATE ROLE " + q + " LOGIN PASSWORD '" + password + "'").Error; err != nil {
		tb.Fatalf("testdb: create role: %v", err)
	}
	tb.Cleanup(func() {
		s := Shared(tb)
		defer s.Close()
		for _, st := range []string{"REASSIGN OWNED BY " + q + " TO CURRENT_USER", "DROP OWNED BY " + q, "DROP ROLE " + q} {
			if err := s.DB.Exec(st).Error; err != nil {
				tb.Errorf("testdb: %s: %v", st, err)
			}
		}
	})
	if err := owner.GrantApp(ctx, role); err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	u, err := url.Parse(URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	u.User = url.UserPassword(role, password)
	db, _ := config.ParseDatabaseURL(u.String())
	s, err := store.Open(ctx, db, discard())
	if err != nil {
		tb.Fatalf("testdb: open as %s: %v", role, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, role
}
