package auth_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// cheap keeps the suite fast; the cost parameters are stored in each hash, so nothing else changes.
var cheap = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, password, hash string
		want                 bool
	}{
		{"right", "correct horse battery", h, true},
		{"wrong", "correct horse batterz", h, false},
		{"empty", "", h, false},
		{"garbage hash", "x", "$argon2id$v=19$m=1,t=1,p=1$!!$!!", false},
		{"other algorithm", "x", "$2a$10$abcdefghijklmnopqrstuv", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := auth.VerifyPassword(tc.password, tc.hash); got != tc.want {
				t.Errorf("VerifyPassword = %v, want %v", got, tc.want)
			}
		})
	}
	if h2, _ := auth.HashPassword("correct horse battery", cheap); h2 == h {
		t.Error("two hashes of one password are equal: salt missing")
	}
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func setup(t *testing.T) (*store.Store, *auth.Service, *clock, int64) {
	t.Helper()
	st := testdb.Postgres(t)
	c := &clock{now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	st.Now = c.Now
	return st, auth.New(st, auth.Options{Argon2: cheap}), c, testdb.NewDistrict(t, st)
}

func TestSignInSessionsAndLockout(t *testing.T) {
	ctx := context.Background()
	_, svc, c, d := setup(t)
	if _, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: " Lead@Example.org ", Role: auth.DistrictAdmin, Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.SignIn(ctx, "nobody@example.org", "a long enough password", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("unknown email: %v", err)
	}
	token, p, err := svc.SignIn(ctx, "lead@example.org", "a long enough password", "10.0.0.1")
	if err != nil || p.Role() != auth.DistrictAdmin {
		t.Fatalf("sign in: %v %v", p, err)
	}
	// Idle timeout: 29 minutes apart keeps the session, 31 minutes of silence ends it.
	c.now = c.now.Add(29 * time.Minute)
	if _, err := svc.Session(ctx, token); err != nil {
		t.Fatalf("session after 29 min: %v", err)
	}
	c.now = c.now.Add(31 * time.Minute)
	if _, err := svc.Session(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("session after 31 idle min: %v", err)
	}
	// Absolute timeout: active every 20 minutes, still over after 12 hours.
	token, _, err = svc.SignIn(ctx, "lead@example.org", "a long enough password", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 35; i++ {
		c.now = c.now.Add(20 * time.Minute)
		if _, err := svc.Session(ctx, token); err != nil {
			t.Fatalf("session at %d min: %v", (i+1)*20, err)
		}
	}
	c.now = c.now.Add(20 * time.Minute)
	if _, err := svc.Session(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("session after 12 h: %v", err)
	}
	// Sign-out ends the session; malformed tokens are rejected without a lookup.
	token, _, _ = svc.SignIn(ctx, "lead@example.org", "a long enough password", "10.0.0.1")
	if err := svc.SignOut(ctx, token); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{token, "", "short", "not base64 !!"} {
		if _, err := svc.Session(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session %q: %v", tok, err)
		}
	}
	// Ten failures no longer lock the account: they make unknown devices wait, and the wait
	// after the tenth (32 s) passes; the right password then works from anywhere.
	for i := 0; i < 10; i++ {
		if _, _, err := svc.SignIn(ctx, "lead@example.org", "guess", "10.0.0.2"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatal(err)
		}
		c.now = c.now.Add(auth.SignInDelay(i + 1))
	}
	if _, _, err := svc.SignIn(ctx, "lead@example.org", "a long enough password", "10.0.0.1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// Every attempt on a known account is in the audit log.
	log, err := svc.AuditLog(ctx, d, 100)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range log {
		count[e.Action]++
	}
	want := map[string]int{auth.ActionUserCreate: 1, auth.ActionSignInSuccess: 4, auth.ActionSignInFailure: 10, auth.ActionSignInLocked: 0}
	for a, n := range want {
		if count[a] != n {
			t.Errorf("audit %s: %d entries, want %d (all: %v)", a, count[a], n, count)
		}
	}
	// Append-only in the database itself, not only by convention: the application's role (not the
	// owner, not a superuser as the test connection is) can neither change nor remove a record.
	app, _ := testdb.AppRole(t)
	if err := app.DB.Exec("UPDATE audit_log SET action = 'x' WHERE district_id = ?", d).Error; err == nil {
		t.Error("audit_log UPDATE succeeded")
	}
	if err := app.DB.Exec("DELETE FROM audit_log WHERE district_id = ?", d).Error; err == nil {
		t.Error("audit_log DELETE succeeded")
	}
}

func TestRolesAndScope(t *testing.T) {
	ctx := context.Background()
	st, svc, _, d := setup(t)
	now := st.Now()
	a, b := store.NewID(), store.NewID()
	for i, id := range []int64{a, b} {
		if err := st.DB.Create(&store.School{DistrictID: d, ID: id, SourcedID: string(rune('a' + i)), Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
	}
	admin, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "admin@x.org", Role: auth.DistrictAdmin, Password: "admin password 1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		nu      auth.NewUser
		wantErr bool
	}{
		{"leader of A", auth.NewUser{DistrictID: d, Email: "lead@x.org", Role: auth.SchoolLeader, Schools: []int64{a}}, false},
		{"leader without school", auth.NewUser{DistrictID: d, Email: "l2@x.org", Role: auth.SchoolLeader}, true},
		{"unknown role", auth.NewUser{DistrictID: d, Email: "l3@x.org", Role: "root", Schools: []int64{a}}, true},
		{"bad email", auth.NewUser{DistrictID: d, Email: "nope", Role: auth.Staff, Schools: []int64{a}}, true},
		{"duplicate email", auth.NewUser{DistrictID: d, Email: "LEAD@x.org", Role: auth.Staff, Schools: []int64{a}}, true},
		{"school of no district", auth.NewUser{DistrictID: d, Email: "l4@x.org", Role: auth.Staff, Schools: []int64{12345}}, true},
		{"short password", auth.NewUser{DistrictID: d, Email: "l5@x.org", Role: auth.Staff, Schools: []int64{a}, Password: "short"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateUser(ctx, nil, tc.nu)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
	users, err := svc.Users(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var lead store.User
	for _, u := range users {
		if u.Email == "lead@x.org" {
			lead = u.User
		}
	}
	p := &auth.Principal{User: admin}
	if err := svc.SetRole(ctx, p, d, lead.ID, auth.Counselor, []int64{b}); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetRole(ctx, p, d, admin.ID, auth.Staff, []int64{a}); err == nil {
		t.Error("admin demoted themself")
	}
	lp := auth.Principal{User: lead, Schools: []int64{b}}
	lp.User.Role = string(auth.Counselor)
	if lp.CanSchool(a) || !lp.CanSchool(b) || !lp.CanAnySchool([]int64{a, b}) || lp.CanAllSchools([]int64{a, b}) {
		t.Error("counselor of B scoped wrongly")
	}
	log, _ := svc.AuditLog(ctx, d, 10)
	changes := 0
	for _, e := range log {
		if e.Action == auth.ActionRoleChange && e.Actor == "admin@x.org" && e.Target == "lead@x.org" {
			changes++
		}
	}
	if changes != 1 {
		t.Errorf("role change audited %d times, want 1: %+v", changes, log)
	}
}

func TestEnsureDemoAdmin(t *testing.T) {
	ctx := context.Background()
	st, svc, _, d := setup(t)
	for i := 0; i < 2; i++ {
		email, pw, err := auth.EnsureDemoAdmin(ctx, st, d)
		if err != nil {
			t.Fatal(err)
		}
		if pw != "demo-admin-2026" {
			t.Fatalf("password %q", pw)
		}
		if _, p, err := svc.SignIn(ctx, email, pw, "127.0.0.1"); err != nil || p.Role() != auth.DistrictAdmin {
			t.Fatalf("run %d: sign in: %v", i, err)
		}
	}
	pw, err := svc.CreateAdmin(ctx, d, "ops@example.org")
	if err != nil || len(pw) < 20 {
		t.Fatalf("CreateAdmin: %q %v", pw, err)
	}
	if _, _, err := svc.SignIn(ctx, "ops@example.org", pw, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
}

// TestAuditAppendOnly checks both dialects refuse to change or remove audit records: SQLite by its
// trigger, PostgreSQL by privileges, for the application role that `trustpulse migrate` grants
// (see TestAuditPrivileges for the PostgreSQL details).
func TestAuditAppendOnly(t *testing.T) {
	run := func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		d := testdb.NewDistrict(t, st)
		svc := auth.New(st, auth.Options{Argon2: cheap})
		if err := svc.Audit(ctx, auth.Entry{DistrictID: d, Actor: "x@y.org", Action: auth.ActionExport, Target: "wave 1"}); err != nil {
			t.Fatal(err)
		}
		if err := st.DB.Exec("UPDATE audit_log SET actor = 'z' WHERE district_id = ?", d).Error; err == nil {
			t.Error("UPDATE succeeded")
		}
		if err := st.DB.Exec("DELETE FROM audit_log WHERE district_id = ?", d).Error; err == nil {
			t.Error("DELETE succeeded")
		}
		log, err := svc.AuditLog(ctx, d, 10)
		if err != nil || len(log) != 1 || log[0].Actor != "x@y.org" {
			t.Fatalf("after refused changes: %+v %v", log, err)
		}
	}
	t.Run("postgres", func(t *testing.T) {
		app, _ := testdb.AppRole(t)
		run(t, app)
	})
	t.Run("sqlite", func(t *testing.T) { run(t, testdb.SQLite(t)) })
}
