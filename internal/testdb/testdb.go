// Package testdb gives tests real databases: a fresh PostgreSQL database per test package (created
// from TRUSTPULSE_TEST_DATABASE_URL and dropped afterwards) and a fresh SQLite file per test.
// Tests never mock the database and never skip when it is missing: they fail and say how to fix it.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// DefaultURL is the machine's local PostgreSQL, used when TRUSTPULSE_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// packageURL is the URL of this test binary's own database, set once by Main before any test runs.
var packageURL string

// Main wraps testing.M: it creates the package's PostgreSQL database, migrates it, runs the tests
// and drops it. Use it as `func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }`.
func Main(m *testing.M) int {
	if fuzzing() {
		// go test -fuzz starts the binary again for each fuzz worker; fuzz targets use no
		// database, and a database per worker would spend the fuzz time creating it.
		return m.Run()
	}
	admin := os.Getenv("TRUSTPULSE_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultURL
	}
	name, err := create(admin)
	if err != nil {
		fmt.Fprintf(os.Stderr, `testdb: %v
The tests need a PostgreSQL server where they may CREATE DATABASE. Either start the local one
  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
or point TRUSTPULSE_TEST_DATABASE_URL at one, e.g.
  TRUSTPULSE_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/postgres?sslmode=disable go test ./...
`, err)
		return 1
	}
	packageURL = withDatabase(admin, name)
	code := migrateOnce(packageURL)
	if code == 0 {
		code = m.Run()
	}
	if err := drop(admin, name); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: drop %s: %v\n", name, err)
	}
	return code
}

// fuzzing says whether the binary runs for go test -fuzz (the coordinator or a worker).
func fuzzing() bool {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-test.fuzz") {
			return true
		}
	}
	return false
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

func create(admin string) (string, error) {
	wd, _ := os.Getwd()
	var b [4]byte
	rand.Read(b[:])
	name := "tp_test_" + unsafeChars.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_") + "_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		db, _ := config.ParseDatabaseURL(admin)
		return "", fmt.Errorf("cannot reach PostgreSQL at %s: %v", db.Host, redacted(admin, err))
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return name, nil
}

func drop(admin, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

func withDatabase(admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		return admin
	}
	u.Path = "/" + name
	return u.String()
}

func redacted(raw string, err error) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}

func migrateOnce(dbURL string) int {
	ctx := context.Background()
	db, _ := config.ParseDatabaseURL(dbURL)
	s, err := store.Open(ctx, db, discard())
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	defer s.Close()
	if _, err := s.Migrate(ctx, nil); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	return 0
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// URL is the package database's URL (for tests that run the CLI against it).
func URL(tb testing.TB) string {
	tb.Helper()
	if packageURL == "" {
		tb.Fatal("testdb: TestMain must call testdb.Main(m) before tests use PostgreSQL")
	}
	return packageURL
}

// Postgres opens the package's migrated PostgreSQL database. Tests in one package share it, so
// each test works in a district of its own (see NewDistrict).
func Postgres(tb testing.TB) *store.Store {
	tb.Helper()
	s := Shared(tb)
	tb.Cleanup(func() { s.Close() })
	return s
}

// Shared opens the package's PostgreSQL database without closing it when tb ends: for benchmarks
// that build a large data set once and share it across benchmark functions.
func Shared(tb testing.TB) *store.Store {
	tb.Helper()
	db, _ := config.ParseDatabaseURL(URL(tb))
	s, err := store.Open(context.Background(), db, discard())
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	return s
}

// SQLite opens a fresh, migrated SQLite database in the test's temporary folder.
func SQLite(tb testing.TB) *store.Store {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "test.db")
	s, err := store.Open(context.Background(), config.Database{Dialect: config.SQLite, DSN: path}, discard())
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), nil); err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	return s
}

// DialectEnv names the setting that picks the database Open gives: "postgres" (the default) or
// "sqlite". Suites written against Open run on either dialect by switching this one setting; CI
// runs the store and web suites once more with it set to sqlite (SQLite is the default install).
const DialectEnv = "TRUSTPULSE_TEST_DIALECT"

// Open opens a migrated database of the dialect DialectEnv names: the package's PostgreSQL
// database (shared, so work in a district of your own), or a fresh SQLite file.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	switch d := os.Getenv(DialectEnv); d {
	case "", config.Postgres:
		return Postgres(tb)
	case config.SQLite:
		return SQLite(tb)
	default:
		tb.Fatalf("testdb: %s=%q: want postgres or sqlite", DialectEnv, d)
		return nil
	}
}

// Each runs fn as a subtest against PostgreSQL and against SQLite: one suite, every dialect.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
}

// NewDistrict creates an empty district with a unique slug and returns its id.
func NewDistrict(tb testing.TB, s *store.Store) int64 {
	tb.Helper()
	now := s.Now()
	d := store.District{DistrictID: store.NewID(), Name: "Test District", MinGroupSize: 10, CreatedAt: now, UpdatedAt: now}
	d.Slug = fmt.Sprintf("test-%d", d.DistrictID)
	if err := store.CreateDistrict(s.DB, &d); err != nil {
		tb.Fatalf("testdb: create district: %v", err)
	}
	return d.DistrictID
}

// Fresh creates a migrated PostgreSQL database for tb alone, dropped when tb ends, and returns
// its URL: for a test that needs a database no other test writes to (e.g. the demo seed, which
// refuses a database holding other districts).
func Fresh(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv("TRUSTPULSE_TEST_DATABASE_URL")
	if admin == "" {
		admin = DefaultURL
	}
	name, err := create(admin)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(func() {
		if err := drop(admin, name); err != nil {
			tb.Errorf("testdb: drop %s: %v", name, err)
		}
	})
	u := withDatabase(admin, name)
	if migrateOnce(u) != 0 {
		tb.Fatalf("testdb: migrate %s failed", name)
	}
	return u
}
