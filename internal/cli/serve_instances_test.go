package cli_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/cli"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/jobs/jobstest"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/sms/smstest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
)

// instance is one `trustpulse serve` running in-process.
type instance struct {
	base   string
	stderr *syncBuffer
	stop   func() int
}

// startInstance runs `trustpulse serve ARGS` with env (its clock and HTTP client included) and
// returns once it listens.
func startInstance(t *testing.T, env *cli.Env, args ...string) *instance {
	t.Helper()
	var stdout, stderr syncBuffer
	env.Stdout, env.Stderr, env.Stdin = &stdout, &stderr, strings.NewReader("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- cli.Run(ctx, env, append([]string{"serve"}, args...)) }()
	t.Cleanup(cancel)
	deadline := time.After(60 * time.Second)
	for {
		if m := listeningRE.FindStringSubmatch(stderr.String()); m != nil {
			var code *int
			return &instance{base: "http://" + m[1], stderr: &stderr, stop: func() int {
				if code == nil {
					cancel()
					c := <-done
					code = &c
				}
				return *code
			}}
		}
		select {
		case c := <-done:
			t.Fatalf("serve exited %d before listening: %s", c, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not start: %s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func getenv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

var jobRanRE = regexp.MustCompile(`msg="job ran" job=(\S+)`)

// jobRuns counts one server's "job ran" log lines by job.
func jobRuns(log string) map[string]int {
	n := map[string]int{}
	for _, m := range jobRanRE.FindAllStringSubmatch(log, -1) {
		n[m[1]]++
	}
	return n
}

// Two servers on one PostgreSQL database, sharing one fake clock, run every periodic job once per
// tick in total: exactly as often as one server alone would.
func TestTwoServersRunEachJobOncePerTick(t *testing.T) {
	st := testdb.Postgres(t)
	// Other tests' servers ran the jobs on the wall clock; start this schedule afresh.
	if err := st.DB.Exec("DELETE FROM job_leases").Error; err != nil {
		t.Fatal(err)
	}
	clk := jobstest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	vars := map[string]string{"TRUSTPULSE_LOG_LEVEL": "debug"}
	a := startInstance(t, &cli.Env{Getenv: getenv(vars), Clock: clk}, "--addr", "127.0.0.1:0", "--db", testdb.URL(t))
	b := startInstance(t, &cli.Env{Getenv: getenv(vars), Clock: clk}, "--addr", "127.0.0.1:0", "--db", testdb.URL(t), "--role", "worker")
	// A third, web-only server on the same clock runs no jobs: it adds no sleepers and no runs.
	web := startInstance(t, &cli.Env{Getenv: getenv(vars), Clock: clk}, "--addr", "127.0.0.1:0", "--db", testdb.URL(t), "--role", "web")
	jobsPerServer := len(cli.PeriodicJobNames()) // every line of serve's job list
	idle := func(when string) {
		t.Helper()
		if !clk.WaitForSleepers(2*jobsPerServer, 30*time.Second) {
			t.Fatalf("%s: the job runners never all went back to sleep (%d asleep)\n%s\n%s", when, clk.Sleepers(), a.stderr.String(), b.stderr.String())
		}
	}
	idle("start")
	for i := 1; i <= 24; i++ { // two minutes in 5 s ticks
		clk.Advance(5 * time.Second)
		idle(fmt.Sprintf("tick %d", i))
	}
	clk.Advance(10 * time.Minute)
	idle("after ten minutes")
	// The worker answers health checks and nothing else; the web server serves pages.
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/login": 404} {
		if code, _, _ := get(t, b.base+path); code != want {
			t.Errorf("worker GET %s = %d, want %d", path, code, want)
		}
	}
	if code, _, _ := get(t, web.base+"/login"); code != 200 {
		t.Errorf("web GET /login = %d, want 200", code)
	}
	if n := len(jobRuns(web.stderr.String())); n != 0 || web.stop() != 0 {
		t.Errorf("the web-only server ran %d jobs or did not stop cleanly:\n%s", n, web.stderr.String())
	}
	if code := a.stop(); code != 0 {
		t.Fatalf("server a exited %d", code)
	}
	if code := b.stop(); code != 0 {
		t.Fatalf("server b exited %d", code)
	}
	// 25 ticks after the first run: every 5 s for two minutes, then once after ten minutes.
	want := map[string]int{"results-refresh": 26, "ballot-mix": 26, "wave-scheduler": 6, "measures-calibrate": 4, "sms-housekeeping": 4,
		"email-housekeeping": 4, "wave-purge": 2, "retention": 1}
	if len(want) != jobsPerServer {
		t.Fatalf("the test counts %d jobs, serve runs %v", len(want), cli.PeriodicJobNames())
	}
	ra, rb := jobRuns(a.stderr.String()), jobRuns(b.stderr.String())
	for job, n := range want {
		var runs int
		if err := st.DB.Table("job_leases").Where("name = ?", job).Select("runs").Scan(&runs).Error; err != nil {
			t.Fatal(err)
		}
		if ra[job]+rb[job] != n || runs != n {
			t.Errorf("%s ran %d times on a + %d on b (job_leases.runs %d); want %d in total, as on one server", job, ra[job], rb[job], runs, n)
		}
		t.Logf("%s: %d ticks, %d runs on a, %d on b", job, n, ra[job], rb[job])
	}
	for _, s := range []*instance{a, b} {
		if strings.Contains(s.stderr.String(), `msg="job failed"`) {
			t.Errorf("a job failed:\n%s", s.stderr.String())
		}
	}
}

// seedTexts makes n guardians in a new district with an open family SMS wave and queues their
// invitation texts, at a school whose local time is now about noon (inside the sending window).
func seedTexts(t *testing.T, st *store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := st.Now()
	// Etc/GMT-N is UTC+N: pick the zone where it is about noon now.
	offset := 12 - now.Hour()
	tz := fmt.Sprintf("Etc/GMT%+d", -offset)
	if offset == 0 {
		tz = "UTC"
	}
	district, school, waveID := testdb.NewDistrict(t, st), store.NewID(), store.NewID()
	db := st.DB.WithContext(ctx)
	must(db.Model(&store.District{}).Where("district_id = ?", district).Updates(map[string]any{"name": "Rate Test", "settings": store.Attrs{"sms_contact": "555-0100"}}).Error)
	must(db.Create(&store.School{DistrictID: district, ID: school, SourcedID: "sch", Name: "Rate Elementary", TimeZone: tz, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	for i := 0; i < n; i++ {
		stu := store.Person{DistrictID: district, ID: store.NewID(), SourcedID: fmt.Sprintf("stu-%d", i), Kind: store.KindStudent, SchoolID: &school, Active: true, Attributes: store.Attrs{}, CreatedAt: now, UpdatedAt: now}
		g := store.Person{DistrictID: district, ID: store.NewID(), SourcedID: fmt.Sprintf("g-%d", i), Kind: store.KindGuardian, Active: true, Attributes: store.Attrs{},
			Phone: fmt.Sprintf("+1201555%04d", i), PreferredLanguage: "en", CreatedAt: now, UpdatedAt: now}
		must(db.Create([]store.Person{stu, g}).Error)
		must(db.Create(&store.PersonSchool{DistrictID: district, PersonID: stu.ID, SchoolID: school}).Error)
		must(db.Create(&store.GuardianLink{DistrictID: district, GuardianID: g.ID, StudentID: stu.ID}).Error)
	}
	must(db.Create(&store.Instrument{DistrictID: district, InstrumentID: "family-pulse", Version: 1, Audience: "family", CreatedAt: now}).Error)
	must(db.Create(&store.Wave{DistrictID: district, ID: waveID, Name: "Spring", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family",
		AudienceFilter: store.Attrs{}, Mode: store.ModeConfidential, Channels: "link,sms", Status: store.StatusOpen, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(14 * 24 * time.Hour),
		ReminderDelayHours: 48, MaxReminders: 2, CreatedAt: now, UpdatedAt: now}).Error)
	must(db.Create(&store.WaveSchool{DistrictID: district, WaveID: waveID, SchoolID: school}).Error)
	issued, err := (&wave.Service{Store: st}).Invite(ctx, district, waveID)
	must(err)
	cat, err := locale.Load(locales.FS)
	must(err)
	cfg := config.Default()
	cfg.BaseURL = "https://survey.example.org"
	queued, err := sms.New(cfg, st, cat, slog.New(slog.NewTextHandler(io.Discard, nil))).Enqueue(ctx, district, waveID, issued)
	must(err)
	if queued != n {
		t.Fatalf("queued %d texts, want %d", queued, n)
	}
}

// Two servers sending one queue through the same Twilio keep the configured rate in total: in
// every stretch of time, at most burst + rate × its length texts arrive at "Twilio".
func TestTwoServersShareTheSMSRate(t *testing.T) {
	st := testdb.Postgres(t)
	const n, rate, burst = 40, 10.0, 10 // burst = ceil(rate), as sms.New sets it
	seedTexts(t, st, n)
	fake := smstest.NewTwilio(t)
	vars := map[string]string{"TRUSTPULSE_SMS_RATE": fmt.Sprint(rate), "TRUSTPULSE_BASE_URL": "https://survey.example.org",
		"TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef", "TWILIO_AUTH_TOKEN": "authtoken0123", "TWILIO_MESSAGING_SERVICE_SID": "MG0123456789abcdef0123456789abcdef"}
	var servers []*instance
	for _, name := range []string{"a", "b"} {
		env := &cli.Env{Getenv: getenv(vars), HTTPClient: fake.Client(name)}
		servers = append(servers, startInstance(t, env, "--addr", "127.0.0.1:0", "--db", testdb.URL(t), "--role", "worker"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(fake.Requests()) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling the fake for the outcome, not synchronising
	}
	for _, s := range servers {
		if code := s.stop(); code != 0 {
			t.Fatalf("server exited %d: %s", code, s.stderr.String())
		}
	}
	reqs := fake.Requests()
	if len(reqs) != n {
		t.Fatalf("%d texts reached Twilio, want %d", len(reqs), n)
	}
	per, byInstance := map[string]int{}, map[string]int{}
	for _, r := range reqs {
		per[r.To]++
		byInstance[r.Instance]++
	}
	for to, c := range per {
		if c != 1 {
			t.Fatalf("%s texted %d times", to, c)
		}
	}
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].At.Before(reqs[j].At) })
	// A token is taken before the call to Twilio, so an arrival lags its token by the send latency:
	// any stretch may hold up to half a second's worth of texts more (a slow moment on a loaded
	// machine). Servers pacing themselves alone would each send a full burst at once and together
	// twice the rate: far beyond this slack.
	const slack = rate*0.5 + 1
	worst := 0.0
	for i := range reqs {
		for j := i; j < len(reqs); j++ {
			window := reqs[j].At.Sub(reqs[i].At).Seconds()
			got, limit := float64(j-i+1), burst+rate*window
			if got > limit+slack {
				t.Fatalf("%v texts within %.3f s: over the rate %v/s with burst %d", got, window, rate, burst)
			}
			worst = max(worst, got-limit)
		}
	}
	// And in total: after the first burst, the rest cannot have gone faster than the rate (the
	// first texts, on cold connections, may lag their tokens by the same slack).
	if span, least := reqs[n-1].At.Sub(reqs[0].At).Seconds(), (n-burst-slack)/rate; span < least {
		t.Fatalf("%d texts in %.2f s: faster than %v/s after a burst of %d (at least %.2f s)", n, span, rate, burst, least)
	}
	span := reqs[n-1].At.Sub(reqs[0].At)
	t.Logf("%d texts in %v (%.1f/s overall, %.1f/s after the burst of %d); by server %v; worst window %.2f texts over burst+rate×window",
		n, span.Round(time.Millisecond), float64(n-1)/span.Seconds(), float64(n-burst)/span.Seconds(), burst, byInstance, worst)
}

// SIGTERM (the context cancelled) lets a request already being read finish and answer, then
// serve exits 0.
func TestStopDrainsARequestInFlight(t *testing.T) {
	s := startInstance(t, &cli.Env{Getenv: getenv(nil)}, "--addr", "127.0.0.1:0", "--db", testdb.URL(t))
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "email=a%40example.org&password=x"
	// "Expect: 100-continue": the server answers 100 once the handler starts reading the body, so
	// the test knows the request is inside the server before it stops it.
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", len(body))
	br := bufio.NewReader(conn)
	if cont, err := http.ReadResponse(br, nil); err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("no 100 Continue: %v %v", cont, err)
	}
	stopped := make(chan int, 1)
	go func() { stopped <- s.stop() }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.stderr.String(), "msg=\"shutting down\""); {
		if time.Now().After(deadline) {
			t.Fatalf("no shutdown began: %s", s.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case code := <-stopped:
		t.Fatalf("serve exited %d with a request in flight", code)
	default:
	}
	io.WriteString(conn, body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Fatalf("the request in flight answered %d", resp.StatusCode)
	}
	if code := <-stopped; code != 0 {
		t.Fatalf("serve exited %d after draining, want 0", code)
	}
}
