package cli_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/migrations"
)

func TestVersionPrintsVersionCommitAndGo(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"version"}); code != 0 {
		t.Fatalf("version exited %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "trustpulse ") || !strings.HasPrefix(lines[1], "commit: ") ||
		lines[2] != "go: "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Fatalf("version output:\n%s", out.String())
	}
}

// sqliteAtVersion makes a SQLite database migrated up to version (0 = the newest but one).
func sqliteAtVersion(t *testing.T, version int64) (string, int64) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := store.Open(ctx, config.Database{Dialect: config.SQLite, DSN: path}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub, _ := fs.Sub(migrations.FS, config.SQLite)
	p, err := goose.NewProvider(goose.DialectSQLite3, s.SQL(), sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	src := p.ListSources()
	latest := src[len(src)-1].Version
	if version == 0 {
		version = src[len(src)-2].Version
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	return path, latest
}

func schemaVersion(t *testing.T, path string) int64 {
	t.Helper()
	s, err := store.Open(context.Background(), config.Database{Dialect: config.SQLite, DSN: path}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, _, err := s.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// An upgrade is the operator's step: serve refuses a schema older than the binary and names the
// command to run, leaves the database as it was, and migrates only when asked with --migrate.
func TestServeRefusesStaleSchemaUnlessMigrate(t *testing.T) {
	path, latest := sqliteAtVersion(t, 0)
	before := schemaVersion(t, path)
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:" + path})
	if code != 2 || !strings.Contains(errOut.String(), "trustpulse migrate") || !strings.Contains(errOut.String(), "--migrate") {
		t.Fatalf("serve on a stale schema: exit %d, stderr %s", code, errOut.String())
	}
	if v := schemaVersion(t, path); v != before {
		t.Fatalf("refused serve changed the schema version %d -> %d", before, v)
	}
	// Other commands that touch survey data refuse too.
	errOut.Reset()
	if code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"admin", "create", "--email", "a@b.org", "--db", "sqlite:" + path}); code != 2 {
		t.Fatalf("admin create on a stale schema: exit %d, stderr %s", code, errOut.String())
	}

	_, _, stop := startServe(t, []string{"serve", "--migrate", "--addr", "127.0.0.1:0", "--db", "sqlite:" + path}, nil)
	if code := stop(); code != 0 {
		t.Fatalf("serve --migrate exited %d", code)
	}
	if v := schemaVersion(t, path); v != latest {
		t.Fatalf("after serve --migrate: schema version %d, want %d", v, latest)
	}
}

// A binary older than the schema must not write to tables it does not know.
func TestServeRefusesNewerSchema(t *testing.T) {
	path, latest := sqliteAtVersion(t, 0)
	var out, errOut bytes.Buffer
	if code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"migrate", "--db", "sqlite:" + path}); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut.String())
	}
	s, err := store.Open(context.Background(), config.Database{Dialect: config.SQLite, DSN: path}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.DB.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, 1)", latest+1).Error)
	s.Close()
	for _, args := range [][]string{{"serve", "--migrate", "--addr", "127.0.0.1:0", "--db", "sqlite:" + path}, {"migrate", "--db", "sqlite:" + path}} {
		errOut.Reset()
		code := cli.Run(context.Background(), envWith(nil, &out, &errOut), args)
		if code != 2 || !strings.Contains(errOut.String(), "newer than this program") {
			t.Fatalf("%v on a newer schema: exit %d, stderr %s", args, code, errOut.String())
		}
	}
}

// The demo's admin has a published password: the demo refuses a database with a real district,
// before it prints or serves anything. It still migrates its own database first, so `demo` stays
// one command across upgrades.
func TestDemoRefusesDatabaseWithRealDistrict(t *testing.T) {
	path, latest := sqliteAtVersion(t, 0)
	s, err := store.Open(context.Background(), config.Database{Dialect: config.SQLite, DSN: path}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	now := s.Now()
	must(t, s.DB.Create(&store.District{DistrictID: store.NewID(), Slug: "springfield", Name: "Springfield", MinGroupSize: 10, Settings: store.Attrs{}, CreatedAt: now, UpdatedAt: now}).Error)
	s.Close()
	var out, errOut bytes.Buffer
	code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"demo", "--addr", "127.0.0.1:0", "--db", "sqlite:" + path})
	if code != 2 || !strings.Contains(errOut.String(), "springfield") || !strings.Contains(errOut.String(), "published password") {
		t.Fatalf("demo on a real district's database: exit %d, stderr %s", code, errOut.String())
	}
	if out.Len() != 0 {
		t.Fatalf("refused demo printed: %s", out.String())
	}
	if v := schemaVersion(t, path); v != latest {
		t.Fatalf("demo did not migrate its database: version %d, want %d", v, latest)
	}
	s, err = store.Open(context.Background(), config.Database{Dialect: config.SQLite, DSN: path}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var users int64
	must(t, s.DB.Model(&store.User{}).Count(&users).Error)
	if users != 0 {
		t.Fatalf("refused demo created %d users", users)
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A backup of the embedded database is a complete database of its own: it opens, has the current
// schema and the data, is readable by its owner only, and is never written over an existing file.
func TestBackupRestoresAndOpens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "live.db")
	var out, errOut bytes.Buffer
	if code := cli.Run(ctx, envWith(nil, &out, &errOut), []string{"migrate", "--db", "sqlite:" + src}); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut.String())
	}
	s, err := store.Open(ctx, config.Database{Dialect: config.SQLite, DSN: src}, quiet())
	must(t, err)
	now := s.Now()
	must(t, s.DB.Create(&store.District{DistrictID: store.NewID(), Slug: "springfield", Name: "Springfield", MinGroupSize: 10, Settings: store.Attrs{}, CreatedAt: now, UpdatedAt: now}).Error)
	// The server keeps its connection open during the backup (WAL mode, a reader elsewhere).
	defer s.Close()

	backup := filepath.Join(dir, "backup.db")
	out.Reset()
	if code := cli.Run(ctx, envWith(nil, &out, &errOut), []string{"backup", "--db", "sqlite:" + src, backup}); code != 0 {
		t.Fatalf("backup: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "backed up") {
		t.Fatalf("backup output %q", out.String())
	}
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v, want mode 0600", st, err)
	}
	// Restore = put the copy where the database is expected and start on it: serve's own schema
	// check must accept it, and the data must be there.
	restored := filepath.Join(dir, "restored.db")
	must(t, os.Rename(backup, restored))
	r, err := store.Open(ctx, config.Database{Dialect: config.SQLite, DSN: restored}, quiet())
	must(t, err)
	defer r.Close()
	must(t, r.CheckSchema(ctx))
	var d store.District
	must(t, r.DB.Where("slug = ?", "springfield").First(&d).Error)
	var check string
	must(t, r.DB.Raw("PRAGMA integrity_check").Scan(&check).Error)
	if check != "ok" {
		t.Fatalf("integrity_check: %s", check)
	}

	errOut.Reset()
	if code := cli.Run(ctx, envWith(nil, &out, &errOut), []string{"backup", "--db", "sqlite:" + src, restored}); code != 2 || !strings.Contains(errOut.String(), "already exists") {
		t.Fatalf("backup over an existing file: exit %d: %s", code, errOut.String())
	}
	errOut.Reset()
	if code := cli.Run(ctx, envWith(nil, &out, &errOut), []string{"backup", "--db", "postgres://u:pw@127.0.0.1:1/x", filepath.Join(dir, "pg.db")}); code != 2 || !strings.Contains(errOut.String(), "pg_dump") {
		t.Fatalf("backup of PostgreSQL: exit %d: %s", code, errOut.String())
	}
}

// The printed unit is one systemd accepts without a warning, with the hardening it promises.
func TestSystemdUnitVerifies(t *testing.T) {
	var out, errOut bytes.Buffer
	bin, err := os.Executable()
	must(t, err)
	if code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"systemd-unit", "--bin", bin}); code != 0 {
		t.Fatalf("systemd-unit: %d %s", code, errOut.String())
	}
	unit := out.String()
	for _, want := range []string{"ExecStart=" + bin + " serve\n", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
		"DynamicUser=yes", "StateDirectory=trustpulse", "CapabilityBoundingSet=\n", "Environment=TWILIO_AUTH_TOKEN_FILE=%d/"} {
		if !strings.Contains(unit, want) {
			t.Fatalf("unit lacks %q:\n%s", want, unit)
		}
	}
	path := filepath.Join(t.TempDir(), "trustpulse.service")
	must(t, os.WriteFile(path, []byte(unit), 0o644))
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze not installed: checked the unit's text only")
		return
	}
	cmd := exec.Command(analyze, "verify", path)
	cmd.Dir = filepath.Dir(path)
	res, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(res)) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, res)
	}
	if code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"systemd-unit", "--bin", "trustpulse"}); code != 2 {
		t.Fatalf("relative --bin: exit %d", code)
	}
}
