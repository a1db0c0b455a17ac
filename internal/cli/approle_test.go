package cli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// TestMigrateGrantsAppRole runs the two-role setup of the README's Database roles (#19 line 2):
// `migrate` as the owner (TRUSTPULSE_MIGRATE_DATABASE_URL) grants the user of
// TRUSTPULSE_DATABASE_URL the application's privileges; then, as that role, a roster import and
// `admin create` work (they write the audit log), and changing an audit record is permission denied.
func TestMigrateGrantsAppRole(t *testing.T) {
	ctx := context.Background()
	ownerURL := testdb.Fresh(t)
	ownerDB, _ := config.ParseDatabaseURL(ownerURL)
	owner, err := store.Open(ctx, ownerDB, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	role := fmt.Sprintf("tp_cli_app_%d", store.NewID())
	if err := owner.DB.Exec("CREATE ROLE " + role + " LOGIN PASSWORD 'app-secret-pw'").Error; err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, st := range []string{"REASSIGN OWNED BY " + role + " TO CURRENT_USER", "DROP OWNED BY " + role, "DROP ROLE " + role} {
			if err := owner.DB.Exec(st).Error; err != nil {
				t.Errorf("%s: %v", st, err)
			}
		}
	})
	u, _ := url.Parse(ownerURL)
	u.User = url.UserPassword(role, "app-secret-pw")
	appURL := u.String()
	env := map[string]string{"TRUSTPULSE_DATABASE_URL": appURL, "TRUSTPULSE_MIGRATE_DATABASE_URL": ownerURL}
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := cli.Run(ctx, envWith(env, &out, &errOut), args)
		return code, out.String(), errOut.String()
	}
	code, out, errOut := run("migrate")
	if code != 0 || !strings.Contains(out, "application role "+role+" granted") {
		t.Fatalf("migrate: exit %d, %q; stderr %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "app-secret-pw") {
		t.Fatal("a password in migrate's output")
	}
	// The application's own work, as the application role.
	delete(env, "TRUSTPULSE_MIGRATE_DATABASE_URL")
	if code, out, errOut := run("roster", "import", demoFiles(t), "--district", "approle"); code != 0 || !strings.HasPrefix(lastLine(out), "imported: 2 schools") {
		t.Fatalf("roster import as the app role: exit %d, %q; stderr %s", code, lastLine(out), errOut)
	}
	if code, _, errOut := run("admin", "create", "--email", "boss@example.org", "--district", "approle"); code != 0 {
		t.Fatalf("admin create as the app role: exit %d: %s", code, errOut)
	}
	appDB, _ := config.ParseDatabaseURL(appURL)
	app, err := store.Open(ctx, appDB, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var n int64
	if err := app.DB.Raw("SELECT count(*) FROM audit_log").Scan(&n).Error; err != nil || n == 0 {
		t.Fatalf("audit log as the app role: %d rows, %v", n, err)
	}
	for _, stmt := range []string{"UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"} {
		var pe *pgconn.PgError
		if err := app.DB.Exec(stmt).Error; !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("%s as the app role: %v, want permission denied", stmt, err)
		}
	}
	// Migrating again is idempotent and grants again.
	env["TRUSTPULSE_MIGRATE_DATABASE_URL"] = ownerURL
	if code, out, errOut := run("migrate"); code != 0 || !strings.Contains(out, "granted") {
		t.Fatalf("migrate again: exit %d, %q; stderr %s", code, out, errOut)
	}
}
