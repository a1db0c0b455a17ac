package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/roster/rostergen"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), envWith(nil, &out, &errOut), args)
	return code, out.String(), errOut.String()
}

func lastLine(s string) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return ls[len(ls)-1]
}

func demoFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := rostergen.Write(dir, rostergen.Demo(2026)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRosterImportPrintsSummaryLast(t *testing.T) {
	dir := demoFiles(t)
	users, _ := os.ReadFile(filepath.Join(dir, "users.csv"))
	// One unreadable phone: a warning, printed before the summary.
	users = regexp.MustCompile(`\(\d{3}\) 555-01\d\d`).ReplaceAll(users, []byte("555-01"))
	os.WriteFile(filepath.Join(dir, "users.csv"), users, 0o644)
	const want = "imported: 2 schools, 640 students, 60 staff, 500 guardians, 693 guardian links"
	for _, db := range []string{"sqlite:" + filepath.Join(t.TempDir(), "r.db"), testdb.URL(t)} {
		// Flags may come after PATH.
		code, out, errOut := runCLI(t, "roster", "import", dir, "--db", db, "--district", "cli-summary")
		if code != 0 || lastLine(out) != want {
			t.Fatalf("%s: exit %d, last line %q; stderr %s", db, code, lastLine(out), errOut)
		}
		if !strings.Contains(out, `: warning: sms: cannot read "555-01" as a phone number; imported without a phone`) {
			t.Fatalf("no warning line in %q", out)
		}
		code, out, _ = runCLI(t, "roster", "import", "--db", db, "--district", "cli-summary", "--full", dir)
		if code != 0 || lastLine(out) != want {
			t.Fatalf("re-import: exit %d, %q", code, lastLine(out))
		}
	}
}

func TestRosterImportProblemsExitOne(t *testing.T) {
	dir := demoFiles(t)
	users, _ := os.ReadFile(filepath.Join(dir, "users.csv"))
	os.WriteFile(filepath.Join(dir, "users.csv"), bytes.ReplaceAll(users, []byte(",student,"), []byte(",pupil,")), 0o644)
	db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	code, out, errOut := runCLI(t, "roster", "import", "--db", db, dir)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if code != 1 || len(lines) != 101 {
		t.Fatalf("exit %d, %d lines; stderr %s", code, len(lines), errOut)
	}
	if !strings.HasPrefix(lines[0], `users.csv:2: role: invalid value "pupil" (want `) || lines[100] != "… and 540 more problems" {
		t.Fatalf("first %q, last %q", lines[0], lines[100])
	}
	if !strings.Contains(errOut, "roster import: 640 problems; nothing was imported") {
		t.Fatalf("stderr %q", errOut)
	}
	code, _, errOut = runCLI(t, "roster", "import", "--db", db, filepath.Join(t.TempDir(), "missing"))
	if code != 1 || !strings.Contains(errOut, "no such file or directory") {
		t.Fatalf("missing folder: exit %d, %q", code, errOut)
	}
}

func TestRosterImportUsageErrors(t *testing.T) {
	dir := demoFiles(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "r.db")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"roster"}, "roster: missing subcommand"},
		{[]string{"roster", "export"}, `roster: unknown subcommand "export"`},
		{[]string{"roster", "import", "--db", db}, "roster import: missing PATH"},
		{[]string{"roster", "import", "--db", db, dir, dir}, "unexpected argument"},
		{[]string{"roster", "import", "--db", db, "--full", "--delta", dir}, "--full and --delta exclude each other"},
		{[]string{"roster", "import", "--db", db, "--format", "csv", dir}, "--format must be oneroster or simple"},
		{[]string{"roster", "import", "--db", db, "--format", "simple", dir}, "--format simple needs --district SLUG"},
		{[]string{"roster", "import", "--db", "mysql://x", dir}, "want postgres://"},
	}
	for _, tc := range cases {
		code, _, errOut := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(lastLine(errOut), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

func TestRosterImportSimpleFormat(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "students.csv"), []byte("id,school,first_name,last_name,grade\nS1,Lincoln,Ana,Diaz,3\nS2,Lincoln,Ben,Cole,4\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "guardians.csv"), []byte("id,first_name,last_name,phone,student_ids\nP1,Maria,Diaz,(617) 555-0111,S1;S2\n"), 0o644)
	code, out, errOut := runCLI(t, "roster", "import", "--db", "sqlite:"+filepath.Join(t.TempDir(), "r.db"), "--format", "simple", "--district", "lincoln", dir)
	if want := "imported: 1 schools, 2 students, 0 staff, 1 guardians, 2 guardian links"; code != 0 || lastLine(out) != want {
		t.Fatalf("exit %d, %q; stderr %s", code, lastLine(out), errOut)
	}
}
