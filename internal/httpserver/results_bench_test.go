package httpserver_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/report/reportgen"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// resultsWorld is 1,000,000 scored responses (20 schools × 12 waves) with their rollups built,
// served in-process to a signed-in district admin. Built once per test binary.
var resultsWorld struct {
	once    sync.Once
	h       http.Handler
	d       reportgen.District
	session string
	token   string
	err     error
}

func bigResults(b *testing.B) {
	resultsWorld.once.Do(func() {
		resultsWorld.err = func() error {
			ctx := context.Background()
			st := testdb.Shared(b)
			cat, err := survey.Load(surveys.FS)
			if err != nil {
				return err
			}
			loc, err := locale.Load(locales.FS)
			if err != nil {
				return err
			}
			in, _ := cat.Get("student-pulse", 1)
			start := time.Now()
			d, err := reportgen.Generate(ctx, st, in, reportgen.Options{Schools: 20, Waves: 12, Responses: 1_000_000})
			if err != nil {
				return err
			}
			b.Logf("generated 1,000,000 responses in %v", time.Since(start).Round(time.Second))
			rep := &report.Service{Store: st, Surveys: cat, Floor: 10, Log: quietLog()}
			start = time.Now()
			if _, err := rep.Refresh(ctx); err != nil {
				return err
			}
			b.Logf("built the rollups of 12 waves in %v", time.Since(start).Round(time.Second))
			a := auth.New(st, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}})
			email := fmt.Sprintf("bench@d%d.test", d.ID)
			if _, err := a.CreateUser(ctx, nil, auth.NewUser{DistrictID: d.ID, Email: email, Role: auth.DistrictAdmin, Password: staffPassword}); err != nil {
				return err
			}
			if resultsWorld.session, _, err = a.SignIn(ctx, email, staffPassword, "127.0.0.1"); err != nil {
				return err
			}
			if resultsWorld.token, _, err = a.CreateAPITokenFor(ctx, d.ID, email, "bench"); err != nil {
				return err
			}
			srv, err := httpserver.New(httpserver.Deps{Config: config.Default(), Store: st, Log: quietLog(), Surveys: cat, Locales: loc,
				Waves: &wave.Service{Store: st, Surveys: cat}, Auth: a, Results: rep})
			if err != nil {
				return err
			}
			resultsWorld.h, resultsWorld.d = srv, d
			return nil
		}()
	})
	if resultsWorld.err != nil {
		b.Fatal(resultsWorld.err)
	}
}

// timeRequests serves b.N requests made by next, checks each answers 200, and reports the 95th
// percentile of the server's time per request.
func timeRequests(b *testing.B, next func(i int) *http.Request) {
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req := next(i)
		rec := httptest.NewRecorder()
		start := time.Now()
		resultsWorld.h.ServeHTTP(rec, req)
		times = append(times, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d\n%.500s", req.URL, rec.Code, rec.Body.String())
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkSchoolPage renders a school's results page (trends over 12 waves, a subgroup table,
// items) for a district admin, rotating over schools, recent waves and breakdowns.
func BenchmarkSchoolPage(b *testing.B) {
	bigResults(b)
	d := resultsWorld.d
	by := []string{"gender", "race_ethnicity", "grade", "english_learner"}
	timeRequests(b, func(i int) *http.Request {
		url := fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=%s", d.Schools[i%len(d.Schools)], d.Waves[len(d.Waves)-1-i%3], by[i%len(by)])
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.AddCookie(&http.Cookie{Name: "tp_session", Value: resultsWorld.session})
		return req
	})
}

// BenchmarkAPIResults is GET /api/v1/results for one school and wave by an attribute, with a
// bearer token.
func BenchmarkAPIResults(b *testing.B) {
	bigResults(b)
	d := resultsWorld.d
	timeRequests(b, func(i int) *http.Request {
		url := fmt.Sprintf("/api/v1/results?school=%d&wave=%d&by=race_ethnicity", d.Schools[i%len(d.Schools)], d.Waves[len(d.Waves)-1-i%3])
		req := httptest.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+resultsWorld.token)
		return req
	})
}
