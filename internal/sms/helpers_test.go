package sms

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fakeReq is exactly what the fake Twilio received in one Messages create.
type fakeReq struct {
	Path, To, Body, StatusCallback, MessagingServiceSid, From, ValidityPeriod string
}

// fakeTwilio is an httptest Twilio Messages API that records every create. respond picks the
// canned answer for the n-th request (0-based); nil answers 201 queued.
type fakeTwilio struct {
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []fakeReq
	respond func(n int, r fakeReq) (int, string)
	// hold, when set, blocks requests numbered in it until the channel is closed.
	hold map[int]chan struct{}
}

func newFakeTwilio(t testing.TB) *fakeTwilio {
	f := &fakeTwilio{hold: map[int]chan struct{}{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		fr := fakeReq{Path: r.URL.Path, To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body"), StatusCallback: r.PostForm.Get("StatusCallback"),
			MessagingServiceSid: r.PostForm.Get("MessagingServiceSid"), From: r.PostForm.Get("From"), ValidityPeriod: r.PostForm.Get("ValidityPeriod")}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, fr)
		hold := f.hold[n]
		respond := f.respond
		f.mu.Unlock()
		if hold != nil {
			<-hold
		}
		code, body := http.StatusCreated, fmt.Sprintf(`{"sid":"SM%032d","status":"queued"}`, n)
		if respond != nil {
			code, body = respond(n, fr)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		io.WriteString(w, body)
	}))
	t.Cleanup(func() {
		f.mu.Lock()
		for _, c := range f.hold {
			select {
			case <-c:
			default:
				close(c)
			}
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

func (f *fakeTwilio) requests() []fakeReq {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeReq(nil), f.reqs...)
}

// client points twilio-go at the fake: a transport that rewrites scheme and host.
func (f *fakeTwilio) client() *http.Client {
	target, _ := url.Parse(f.srv.URL)
	return &http.Client{Timeout: 10 * time.Second, Transport: rewriteTransport{target: target}}
}

type rewriteTransport struct{ target *url.URL }

func (rt rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = rt.target.Scheme, rt.target.Host, ""
	return http.DefaultTransport.RoundTrip(r)
}

func twilioError(status, code int) (int, string) {
	b, _ := json.Marshal(map[string]any{"code": code, "message": "canned error", "more_info": "https://www.twilio.com/docs/errors/" + fmt.Sprint(code), "status": status})
	return status, string(b)
}

// clock is a settable Store.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t.UTC().Truncate(time.Second)
	c.mu.Unlock()
}
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// fixture is a district with one school, guardians with phones and an open family SMS wave.
type fixture struct {
	st       *store.Store
	clock    *clock
	district int64
	school   int64
	wave     int64
	guardian []store.Person
	issued   []wave.Issued
	svc      *Service
	fake     *fakeTwilio
	sid      int // inbound message ids handed out by text
}

const testBase = "https://survey.example.org"

// phoneOf is guardian i's number: valid US numbers, 201-555-0000 upwards (201-556-… after 10,000).
func phoneOf(i int) string { return fmt.Sprintf("+1201%03d%04d", 555+i/10000, i%10000) }

// newFixture makes n guardians; edit may change each before it is stored. The clock starts at
// noon in the school's zone (UTC), inside the sending window.
func newFixture(t testing.TB, st *store.Store, n int, edit func(i int, p *store.Person)) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	clk.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	st.Now = clk.Now
	f := &fixture{st: st, clock: clk, district: testdb.NewDistrict(t, st), school: store.NewID(), wave: store.NewID()}
	now := st.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	db := st.DB.WithContext(ctx)
	must(db.Model(&store.District{}).Where("district_id = ?", f.district).Updates(map[string]any{"name": "Lincoln Unified", "settings": store.Attrs{"sms_contact": "555-0100"}}).Error)
	must(db.Create(&store.School{DistrictID: f.district, ID: f.school, SourcedID: "sch", Name: "Lincoln Elementary", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	var people []store.Person
	var ps []store.PersonSchool
	var links []store.GuardianLink
	for i := 0; i < n; i++ {
		stu := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: fmt.Sprintf("stu-%d", i), Kind: store.KindStudent, SchoolID: &f.school, Active: true, Attributes: store.Attrs{}, CreatedAt: now, UpdatedAt: now}
		g := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: fmt.Sprintf("g-%d", i), Kind: store.KindGuardian, Active: true, Attributes: store.Attrs{},
			Phone: phoneOf(i), PreferredLanguage: "en", CreatedAt: now, UpdatedAt: now}
		if edit != nil {
			edit(i, &g)
		}
		people = append(people, stu, g)
		f.guardian = append(f.guardian, g)
		ps = append(ps, store.PersonSchool{DistrictID: f.district, PersonID: stu.ID, SchoolID: f.school})
		links = append(links, store.GuardianLink{DistrictID: f.district, GuardianID: g.ID, StudentID: stu.ID})
	}
	if n > 0 {
		must(db.CreateInBatches(people, 1000).Error)
		must(db.CreateInBatches(ps, 2000).Error)
		must(db.CreateInBatches(links, 2000).Error)
	}
	must(db.Create(&store.Instrument{DistrictID: f.district, InstrumentID: "family-pulse", Version: 1, Audience: "family", CreatedAt: now}).Error)
	must(db.Create(&store.Wave{DistrictID: f.district, ID: f.wave, Name: "Spring", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family",
		AudienceFilter: store.Attrs{}, Mode: store.ModeConfidential, Channels: "link,sms", Status: store.StatusOpen, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(14 * 24 * time.Hour),
		ReminderDelayHours: 48, MaxReminders: 2, CreatedAt: now, UpdatedAt: now}).Error)
	must(db.Create(&store.WaveSchool{DistrictID: f.district, WaveID: f.wave, SchoolID: f.school}).Error)
	ws := &wave.Service{Store: st}
	issued, err := ws.Invite(ctx, f.district, f.wave)
	must(err)
	f.issued = issued
	f.fake = newFakeTwilio(t)
	f.svc = f.service(t, f.fake)
	return f
}

// service builds an SMS service on the fake Twilio, without pacing, with a short backoff.
func (f *fixture) service(t testing.TB, fake *fakeTwilio) *Service {
	cfg := config.Default()
	cfg.BaseURL = testBase
	cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioMessagingServiceSID = "AC0123456789abcdef0123456789abcdef", "authtoken0123", "MG0123456789abcdef0123456789abcdef"
	svc := New(cfg, f.st, loadCatalog(t), quietLog())
	svc.Sender = NewTwilioSender(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioMessagingServiceSID, "", fake.client())
	svc.Limiter = rate.NewLimiter(rate.Inf, 1)
	svc.Bucket = nil // unpaced; the shared bucket has its own tests (internal/throttle, cli)
	svc.Drain = 0    // a cancel here is a kill: the killed-worker tests rely on it
	svc.BatchSize = 50
	svc.PollInterval = 10 * time.Millisecond
	svc.Backoff = func(int) time.Duration { return time.Minute }
	svc.district = f.district // the package's tests share one PostgreSQL database
	return svc
}

// messages returns the fixture district's outbox by invitation+kind.
func (f *fixture) messages(t testing.TB) []store.SMSMessage {
	t.Helper()
	var out []store.SMSMessage
	if err := f.st.DB.Where("district_id = ?", f.district).Order("to_number, kind").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) sendAll(t testing.TB) {
	t.Helper()
	for i := 0; i < 100; i++ {
		n, err := f.svc.SendDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("SendDue never ran dry")
}

func countBy(msgs []store.SMSMessage, status string) int {
	n := 0
	for _, m := range msgs {
		if m.Status == status {
			n++
		}
	}
	return n
}
