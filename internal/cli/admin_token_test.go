package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

var tokenLine = regexp.MustCompile(`API token: (\S+)`)

// TestAdminToken runs `admin token` on both dialects: the printed token authenticates as the
// account, once printed it is never in the log, and bad input exits 2.
func TestAdminToken(t *testing.T) {
	ctx := context.Background()
	for _, db := range []string{testdb.URL(t), "sqlite:" + filepath.Join(t.TempDir(), "t.db")} {
		slug := fmt.Sprintf("d%d", store.NewID())
		run := func(args ...string) (int, string, string) {
			var out, errOut bytes.Buffer
			code := cli.Run(ctx, envWith(nil, &out, &errOut), append(args, "--db", db))
			return code, out.String(), errOut.String()
		}
		if code, _, errOut := run("admin", "create", "--email", "boss@example.org", "--district", slug); code != 0 {
			t.Fatalf("%s: admin create: exit %d: %s", db, code, errOut)
		}
		code, out, errOut := run("admin", "token", "--email", "Boss@Example.org", "--name", "nightly export", "--district", slug)
		if code != 0 {
			t.Fatalf("%s: admin token: exit %d: %s", db, code, errOut)
		}
		m := tokenLine.FindStringSubmatch(out)
		if m == nil || !strings.HasPrefix(m[1], auth.APITokenPrefix) {
			t.Fatalf("no token printed: %q", out)
		}
		if strings.Contains(errOut, m[1]) {
			t.Fatal("token in the log")
		}
		for _, args := range [][]string{
			{"admin", "token", "--email", "nobody@example.org", "--name", "x", "--district", slug},
			{"admin", "token", "--email", "boss@example.org", "--district", slug},
			{"admin", "token", "--email", "boss@example.org", "--name", "x", "--district", "no-such-district"},
		} {
			if code, _, _ := run(args...); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
		dbc, err := config.ParseDatabaseURL(db)
		if err != nil {
			t.Fatal(err)
		}
		st, err := store.Open(ctx, dbc, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		p, err := auth.New(st, auth.Options{}).APITokenPrincipal(ctx, m[1])
		st.Close()
		if err != nil || p.User.Email != "boss@example.org" {
			t.Fatalf("%s: printed token: %v %v", db, p, err)
		}
	}
}
