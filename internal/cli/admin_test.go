package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

var passwordLine = regexp.MustCompile(`one-time password: (\S+)`)

// TestAdminCreate runs `admin create` on both dialects and signs in with the printed password.
func TestAdminCreate(t *testing.T) {
	ctx := context.Background()
	for _, db := range []string{testdb.URL(t), "sqlite:" + filepath.Join(t.TempDir(), "a.db")} {
		slug := fmt.Sprintf("d%d", store.NewID())
		run := func(args ...string) (int, string, string) {
			var out, errOut bytes.Buffer
			code := cli.Run(ctx, envWith(nil, &out, &errOut), append([]string{"admin", "create", "--db", db}, args...))
			return code, out.String(), errOut.String()
		}
		code, out, errOut := run("--email", "Boss@Example.org", "--district", slug)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", db, code, errOut)
		}
		m := passwordLine.FindStringSubmatch(out)
		if m == nil || len(m[1]) < 20 {
			t.Fatalf("no strong password printed: %q", out)
		}
		// The password appears once, on stdout; never in the log on stderr.
		if bytes.Contains([]byte(errOut), []byte(m[1])) {
			t.Fatal("password in the log")
		}
		if code, _, errOut := run("--email", "boss@example.org", "--district", slug); code != 2 {
			t.Errorf("duplicate admin: exit %d: %s", code, errOut)
		}
		if code, _, _ := run("--district", slug); code != 2 {
			t.Errorf("missing --email: exit %d", code)
		}
		dbc, err := config.ParseDatabaseURL(db)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(ctx, dbc, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		_, p, err := auth.New(st, auth.Options{}).SignIn(ctx, "boss@example.org", m[1], "127.0.0.1")
		st.Close()
		if err != nil || p.Role() != auth.DistrictAdmin {
			t.Fatalf("%s: sign in with printed password: %v", db, err)
		}
	}
}
