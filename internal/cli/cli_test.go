package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/demo"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

// syncBuffer is a bytes.Buffer safe to read while a running command writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func envWith(vars map[string]string, stdout, stderr io.Writer) *cli.Env {
	return &cli.Env{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr, Getenv: func(k string) string { return vars[k] }}
}

func TestBadConfigurationExitsTwoWithOneClearLine(t *testing.T) {
	cases := []struct {
		name      string
		args      []string
		env       map[string]string
		want      string
		forbidden string
	}{
		{"malformed URL", []string{"migrate", "--db", "mysql://root:pw@localhost/x"}, nil, "want postgres://", "pw@"},
		{"malformed URL from env", []string{"migrate"}, map[string]string{"TRUSTPULSE_DATABASE_URL": "postgres://u:sekret@[::1/x"}, "database URL is malformed", "sekret"},
		{"unreachable postgres", []string{"migrate", "--db", "postgres://bob:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, nil, "cannot reach PostgreSQL at 127.0.0.1:1", "hunter2"},
		{"unwritable sqlite", []string{"migrate", "--db", "sqlite:/etc/passwd/trustpulse.db"}, nil, "cannot open SQLite database /etc/passwd/trustpulse.db", ""},
		{"bad listen address", []string{"serve", "--db", "sqlite:" + filepath.Join(t.TempDir(), "a.db"), "--addr", "nonsense"}, nil, "listen address", ""},
		{"privacy floor too low", []string{"serve", "--min-group-size", "3"}, nil, "at least 5", ""},
		{"malformed quiet hours", []string{"serve"}, map[string]string{"TRUSTPULSE_SMS_QUIET_START": "8am"}, `TRUSTPULSE_SMS_QUIET_START: "8am": want a time of day as HH:MM`, ""},
		{"quiet hours backwards", []string{"serve"}, map[string]string{"TRUSTPULSE_SMS_QUIET_START": "20:00", "TRUSTPULSE_SMS_QUIET_END": "08:00"}, "TRUSTPULSE_SMS_QUIET_START must be before TRUSTPULSE_SMS_QUIET_END", ""},
		{"unknown command", []string{"frobnicate"}, nil, `unknown command "frobnicate"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := cli.Run(context.Background(), envWith(tc.env, &out, &errOut), tc.args)
			if code != 2 {
				t.Fatalf("exit code %d, want 2; stderr: %s", code, errOut.String())
			}
			lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			last := lines[len(lines)-1]
			if !strings.Contains(last, tc.want) {
				t.Fatalf("stderr %q does not contain %q", errOut.String(), tc.want)
			}
			if tc.forbidden != "" && strings.Contains(errOut.String()+out.String(), tc.forbidden) {
				t.Fatalf("output leaks %q: %s", tc.forbidden, errOut.String())
			}
		})
	}
}

func TestMigrateTwiceOnBothDialects(t *testing.T) {
	for _, db := range []string{testdb.URL(t), "sqlite:" + filepath.Join(t.TempDir(), "m.db")} {
		for i := 0; i < 2; i++ {
			var out, errOut bytes.Buffer
			if code := cli.Run(context.Background(), envWith(nil, &out, &errOut), []string{"migrate", "--db", db}); code != 0 {
				t.Fatalf("migrate #%d on %s: exit %d: %s", i+1, db, code, errOut.String())
			}
			if !strings.Contains(out.String(), "is up to date") {
				t.Fatalf("migrate output %q", out.String())
			}
			if i == 1 && strings.Contains(errOut.String(), "migrations applied") {
				t.Fatalf("second migrate applied migrations: %s", errOut.String())
			}
		}
	}
}

var listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startServe runs `trustpulse ARGS` in-process and returns its base URL once it listens.
func startServe(t *testing.T, args []string, env map[string]string) (string, *syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, envWith(env, &stdout, &stderr), args) }()
	// Generous: seeding the demo takes about 2 s, but some 20 s under CI's race detector on 2 cores.
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() int { cancel(); return <-done }
			t.Cleanup(func() { cancel() })
			return "http://" + m[1], &stdout, stop
		}
		select {
		case code := <-done:
			t.Fatalf("command exited %d before listening: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("server did not start: %s", stderr.String())
	return "", nil, nil
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestServeAnswersHealthAndReadinessOnPostgres(t *testing.T) {
	base, _, stop := startServe(t, []string{"serve", "--addr", "127.0.0.1:0", "--db", testdb.URL(t)}, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		code, _, h := get(t, base+path)
		if code != 200 {
			t.Fatalf("GET %s = %d", path, code)
		}
		if h.Get("X-Request-Id") == "" || h.Get("Content-Security-Policy") == "" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("GET %s misses request id or security headers: %v", path, h)
		}
	}
	if code, _, _ := get(t, base+"/no-such-page"); code != 404 {
		t.Fatalf("unknown path = %d, want 404", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d after cancel, want 0", code)
	}
}

// The real binary, built with CGO_ENABLED=0, stops cleanly on SIGTERM within 10 s.
func TestBinaryStopsOnSIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "trustpulse")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/trustpulse")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "tp.db"))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var base string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && base == ""; time.Sleep(20 * time.Millisecond) {
		if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
	}
	if base == "" {
		t.Fatalf("binary did not start: %s", stderr.String())
	}
	if code, _, _ := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("readyz = %d", code)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "msg=stopped") {
		t.Fatalf("no clean stop logged: %s", stderr.String())
	}
}

func TestDemoSeedsIdempotentlyAndServes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.db")
	var counts []string
	for i := 0; i < 2; i++ {
		base, stdout, stop := startServe(t, []string{"demo", "--addr", "127.0.0.1:0", "--db", "sqlite:" + path}, nil)
		out := stdout.String()
		links := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if k, v, ok := strings.Cut(line, ": "); ok {
				links[k] = v
			}
		}
		for _, k := range []string{"student survey", "family survey", "staff survey", "dashboard", "login"} {
			if links[k] == "" {
				t.Fatalf("demo run %d did not print %q:\n%s", i+1, k+": …", out)
			}
		}
		if links["login"] != "admin@demo.trustpulse.test demo-admin-2026" || links["login (counselor)"] != "counselor@demo.trustpulse.test demo-counselor-2026" ||
			links["login (teacher)"] != "teacher@demo.trustpulse.test demo-teacher-2026" {
			t.Fatalf("login lines %q, %q, %q", links["login"], links["login (counselor)"], links["login (teacher)"])
		}
		if !strings.Contains(links["goals"], "/admin/goals?school=") {
			t.Fatalf("goals line %q", links["goals"])
		}
		if !strings.Contains(links["team"], "/admin/team?school=") || !strings.HasSuffix(links["follow-up"], "/admin/followup") || !strings.HasSuffix(links["mapping"], "/admin/mapping") {
			t.Fatalf("team, follow-up and mapping lines %q, %q, %q", links["team"], links["follow-up"], links["mapping"])
		}
		// Printed links use the base URL; the test server listens on base.
		rewrite := func(u string) string { return base + u[strings.Index(u, "/s/"):] }
		code, body, _ := get(t, rewrite(links["family survey"]))
		if code != 200 || strings.Contains(body, `<html lang="en"`) {
			t.Fatalf("family link: %d, want a page in the family's non-English language", code)
		}
		if code, _, _ := get(t, rewrite(links["student survey"])); code != 200 {
			t.Fatalf("student link: %d", code)
		}
		// Staff invitation mails wait in the local outbox, shown (with links) at /dev/email.
		if links["email outbox"] != strings.TrimSuffix(links["sms outbox"], "/dev/outbox")+"/dev/email" {
			t.Fatalf("email outbox line %q (sms outbox %q)", links["email outbox"], links["sms outbox"])
		}
		if code, body, _ := get(t, base+"/dev/email"); code != 200 || strings.Count(body, "/s/") < 50 {
			t.Fatalf("/dev/email: %d with %d links; want the staff wave's mails", code, strings.Count(body, "/s/"))
		}
		if code := stop(); code != 0 {
			t.Fatalf("demo run %d exited %d", i+1, code)
		}
		counts = append(counts, demoCounts(t, path))
		demoOutboxHoldsNoLinks(t, path)
	}
	if counts[0] != counts[1] {
		t.Fatalf("second demo run changed the data: %s -> %s", counts[0], counts[1])
	}
	var n [5]int
	fmt.Sscanf(counts[0], "%d %d %d %d %d", &n[0], &n[1], &n[2], &n[3], &n[4])
	if n[0] != 2 || n[1] < 600 || n[2] != 60 || n[3] != 500 || n[4] < 1000 {
		t.Fatalf("demo district: schools, students, staff, guardians, responses = %v", n)
	}
	demoResults(t, path)
	demoLanguageChecks(t, path)
	demoGoals(t, path)
	demoSuccess(t, path)
}

// demoSuccess: the demo's first school has two mapping rounds with unclaimed students, fewer in
// the second; the team page's students, assigned to the demo teacher; and the confidential student
// wave's follow-up list with students reached.
func demoSuccess(t *testing.T, path string) {
	t.Helper()
	s, cat := openDemo(t, path)
	admin, school := demoCounselor(t, s)
	v := success.Viewer{DistrictID: admin.DistrictID, UserID: admin.ID, Role: auth.Counselor, Schools: []int64{school}, Actor: auth.Actor{UserID: &admin.ID, Email: admin.Email}}
	svc := &success.Service{Store: s, Surveys: cat}
	pg, err := svc.Team(context.Background(), v, school, 0, []string{"grade"}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Trend) != 2 || pg.NNone == 0 || pg.Trend[1].Groups[0].Unclaimed >= pg.Trend[0].Groups[0].Unclaimed || pg.Round.ClosedAt != nil {
		t.Fatalf("demo mapping: %d rounds, %d unclaimed now, trend %+v", len(pg.Trend), pg.NNone, pg.Trend)
	}
	waves, err := svc.ConfidentialWaves(context.Background(), v)
	if err != nil || len(waves) != 1 {
		t.Fatalf("demo confidential student waves: %d, %v", len(waves), err)
	}
	list, err := svc.FollowUp(context.Background(), v, waves[0].ID, school, "")
	if err != nil {
		t.Fatal(err)
	}
	assigned := 0
	for _, r := range list.Rows {
		if r.Assigned != nil {
			assigned++
		}
	}
	if list.Reached != 3 || len(list.Rows) < 10 || assigned < 2 {
		t.Fatalf("demo follow-up: %d listed, %d reached, %d assigned", len(list.Rows), list.Reached, assigned)
	}
	// The imported grading period: the team's list combines the flags — some students, far from
	// all. (A quarter was too tight: the simulation's claims put it at 96–98 of 384 now and then.)
	st, err := svc.Students(context.Background(), v, school, success.StudentFilter{NoAdult: true, Chronic: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Period == nil || len(st.Rows) == 0 || len(st.Rows) >= st.Students/2 {
		t.Fatalf("demo grading period: %v, %d of %d students unclaimed and chronically absent", st.Period, len(st.Rows), st.Students)
	}
}

// demoLanguageChecks: the demo's language check flags its planted Spanish family item, and only it.
func demoLanguageChecks(t *testing.T, path string) {
	t.Helper()
	db, _ := config.ParseDatabaseURL("sqlite:" + path)
	s, err := store.Open(context.Background(), db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	var d store.District
	if err := s.DB.First(&d).Error; err != nil {
		t.Fatal(err)
	}
	checks, err := (&measures.Service{Store: s, Surveys: cat}).LanguageChecks(context.Background(), d.DistrictID)
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, c := range checks {
		for _, g := range c.Result.Groups {
			for _, id := range g.Flagged() {
				flagged = append(flagged, g.Group+":"+id)
			}
		}
	}
	if want := demo.DIFLanguage + ":" + demo.DIFItem; len(flagged) != 1 || flagged[0] != want {
		t.Errorf("demo language checks flag %v, want [%s]", flagged, want)
	}
}

// demoResults checks the demo's results have what the dashboards are meant to show: every
// instrument's trend over at least 4 waves with the district's scores shown, at least one flagged
// gap, at least one hidden small group, and the two-way table the demo turns on.
func demoResults(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, _ := config.ParseDatabaseURL("sqlite:" + path)
	s, err := store.Open(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Service{Store: s, Surveys: cat, Floor: 10, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var d store.District
	if err := s.DB.First(&d).Error; err != nil {
		t.Fatal(err)
	}
	waves, err := rep.Waves(ctx, d.DistrictID)
	if err != nil {
		t.Fatal(err)
	}
	schools, err := rep.Schools(ctx, d.DistrictID)
	if err != nil {
		t.Fatal(err)
	}
	var scope []int64 // a district admin's: every school
	for _, sc := range schools {
		scope = append(scope, sc.ID)
	}
	flagged, hidden, latest := 0, int64(0), map[string]bool{}
	for _, w := range waves {
		if w.Status != store.StatusClosed || latest[w.InstrumentID] {
			continue
		}
		latest[w.InstrumentID] = true // waves are newest first: this is the instrument's last closed wave
		wd, err := rep.WaveOf(ctx, d.DistrictID, w.ID, scope, 0)
		if err != nil {
			t.Fatal(err)
		}
		trend, err := rep.Trend(ctx, wd, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(trend) < 4 {
			t.Errorf("%s: trend over %d waves, want at least 4", w.Name, len(trend))
		}
		for _, p := range trend {
			for i, m := range p.Measures {
				if m.Suppressed {
					t.Errorf("%s: district %s is hidden", p.Wave.Name, wd.Measures()[i])
				}
			}
		}
		if w.InstrumentID == "student-pulse" {
			if rows := wd.Results(0, "grade,low_income"); len(rows) == 0 || rows[0].Group == report.HiddenTable || rows[0].Suppressed {
				t.Errorf("%s: the district's grade × low income table is not shown: %+v", w.Name, rows)
			}
			// The demo reads trust in teachers against the first student wave; the rest stay provisional.
			for _, r := range wd.Results(0, "") {
				if want := r.Measure != "student-teacher-trust"; r.Band != nil && r.Band.Provisional != want {
					t.Errorf("%s: %s band provisional %v, want %v", w.Name, r.Measure, r.Band.Provisional, want)
				}
			}
			if _, ref := wd.Cuts("student-teacher-trust"); ref == nil || ref.Source != report.SourceWave {
				t.Errorf("demo: no reference wave for trust in teachers: %+v", ref)
			}
		}
		for _, by := range wd.Attributes {
			for _, r := range wd.Results(0, by) {
				if r.Gap != nil && r.Gap.Flagged {
					flagged++
				}
			}
		}
	}
	// A hidden row carries no count, so the small groups are found in the rollups themselves.
	if err := s.DB.Raw("SELECT count(*) FROM rollup_cells WHERE suppressed AND n BETWEEN 1 AND 9").Scan(&hidden).Error; err != nil {
		t.Fatal(err)
	}
	if len(latest) != 3 || flagged == 0 || hidden == 0 {
		t.Errorf("demo results: %d instruments with closed waves, %d flagged gaps, %d hidden groups; want 3, some and some", len(latest), flagged, hidden)
	}
}

// demoCounts summarizes the demo database: schools, students, staff, guardians, responses, waves, scores.
func demoCounts(t *testing.T, path string) string {
	t.Helper()
	db, _ := config.ParseDatabaseURL("sqlite:" + path)
	s, err := store.Open(context.Background(), db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []string
	for _, q := range []string{
		"SELECT count(*) FROM schools", "SELECT count(*) FROM people WHERE kind = 'student'", "SELECT count(*) FROM people WHERE kind = 'staff'",
		"SELECT count(*) FROM people WHERE kind = 'guardian'", "SELECT count(*) FROM responses", "SELECT count(*) FROM waves", "SELECT count(*) FROM scores",
	} {
		var n int64
		if err := s.DB.Raw(q).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, " ")
}

// openDemo opens the demo's SQLite file with the surveys, closed when t ends.
func openDemo(t *testing.T, path string) (*store.Store, *survey.Catalog) {
	t.Helper()
	db, _ := config.ParseDatabaseURL("sqlite:" + path)
	s, err := store.Open(context.Background(), db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	return s, cat
}

// demoCounselor is the demo counselor's account and the school it is scoped to.
func demoCounselor(t *testing.T, s *store.Store) (store.User, int64) {
	t.Helper()
	var u store.User
	if err := s.DB.Where("email = ?", auth.DemoCounselorEmail).First(&u).Error; err != nil {
		t.Fatal(err)
	}
	var school int64
	if err := s.DB.Model(&store.UserSchool{}).Where("district_id = ? AND user_id = ?", u.DistrictID, u.ID).Pluck("school_id", &school).Error; err != nil {
		t.Fatal(err)
	}
	return u, school
}
