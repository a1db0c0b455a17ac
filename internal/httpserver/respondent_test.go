package httpserver_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// fixture is a running server over a fresh district with one school, people and an open wave.
type fixture struct {
	t        *testing.T
	st       *store.Store
	waves    *wave.Service
	srv      *httptest.Server
	district int64
	school   int64
	students []int64
}

func newFixture(t *testing.T, limits httpserver.Limits) *fixture {
	t.Helper()
	return newFixtureDeps(t, limits, nil)
}

// newFixtureDeps is newFixture with edit applied to the server's Deps before it is built.
func newFixtureDeps(t *testing.T, limits httpserver.Limits, edit func(*httpserver.Deps)) *fixture {
	t.Helper()
	st := testdb.Open(t)
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := locale.Load(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	// MinBatch 1: each anonymous ballot is mixed on its own, so a test sees its one answer counted.
	f := &fixture{t: t, st: st, waves: &wave.Service{Store: st, Surveys: cat, Mixing: wave.MixPolicy{MinBatch: 1}}}
	f.district = testdb.NewDistrict(t, st)
	now := st.Now()
	f.school = store.NewID()
	must(t, st.DB.Create(&store.School{DistrictID: f.district, ID: f.school, SourcedID: "s1", Name: "Lincoln", TimeZone: "America/Chicago", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	for i := 0; i < 3; i++ {
		id := store.NewID()
		f.students = append(f.students, id)
		must(t, st.DB.Create(&store.Person{DistrictID: f.district, ID: id, SourcedID: "stu" + string(rune('a'+i)), Kind: store.KindStudent, Grade: "05",
			SchoolID: &f.school, Attributes: store.Attrs{"gender": "F", "home_language": "es"}, PreferredLanguage: "es", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
		must(t, st.DB.Create(&store.PersonSchool{DistrictID: f.district, PersonID: id, SchoolID: f.school}).Error)
	}
	cfg := config.Default()
	cfg.BaseURL = "http://example.test"
	deps := httpserver.Deps{Config: cfg, Store: st, Log: quietLog(), Surveys: cat, Locales: loc, Waves: f.waves, Limits: limits}
	if edit != nil {
		edit(&deps)
	}
	srv, err := httpserver.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(srv)
	t.Cleanup(f.srv.Close)
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// openWave creates and opens a student wave and returns the tokens by person.
func (f *fixture) openWave(mode string, channels ...string) (store.Wave, map[int64]string) {
	f.t.Helper()
	ctx := context.Background()
	now := f.st.Now()
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "Fall pulse", InstrumentID: "student-pulse", InstrumentVersion: 1,
		Mode: mode, SchoolIDs: []int64{f.school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), Channels: channels})
	must(f.t, err)
	must(f.t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	w.Status = store.StatusOpen
	issued, err := f.waves.Invite(ctx, f.district, w.ID)
	must(f.t, err)
	tokens := map[int64]string{}
	for _, is := range issued {
		tokens[is.PersonID] = is.Token
	}
	return w, tokens
}

// browser is a cookie-keeping client that does not follow redirects, so tests see each step.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, base: f.srv.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values, header ...string) (int, string, http.Header) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in page:\n%s", page)
	}
	return m[1]
}

// answerAll walks every page, answering each item with value (or "skip"), and submits.
func (b *browser) answerAll(base string, pages int, values func(item string) string) {
	b.t.Helper()
	for p := 1; p <= pages; p++ {
		code, page, _ := b.do("GET", base+"/p/"+itoa(p), nil)
		if code != 200 {
			b.t.Fatalf("page %d: %d", p, code)
		}
		form := url.Values{"_csrf": {csrfOf(b.t, page)}, "nav": {"next"}}
		for _, m := range regexp.MustCompile(`name="q_([a-z0-9_-]+)" value="0"`).FindAllStringSubmatch(page, -1) {
			form.Set("q_"+m[1], values(m[1]))
		}
		if code, body, _ := b.do("POST", base+"/p/"+itoa(p), form); code != http.StatusSeeOther {
			b.t.Fatalf("save page %d: %d %s", p, code, body)
		}
	}
	code, review, _ := b.do("GET", base+"/review", nil)
	if code != 200 {
		b.t.Fatalf("review: %d", code)
	}
	if code, _, h := b.do("POST", base+"/submit", url.Values{"_csrf": {csrfOf(b.t, review)}}); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "/thanks") {
		b.t.Fatalf("submit: %d -> %s", code, h.Get("Location"))
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// countResponses counts a wave's responses, once the mixer has moved any anonymous ballot.
func countResponses(t *testing.T, f *fixture, waveID int64) int64 {
	st := f.st
	_, err := f.waves.Mix(context.Background())
	must(t, err)
	var n int64
	must(t, st.DB.Model(&store.Response{}).Where("wave_id = ?", waveID).Count(&n).Error)
	return n
}

func TestRespondentFlowResumesSubmitsOnceAndKeepsAnonymity(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	f.waves.CohortK = 3 // the fixture's school has 3 students: at the default k = 5 no grade is stored
	w, tokens := f.openWave(store.ModeAnonymous, "link")
	tok := tokens[f.students[0]]
	b := f.browser()
	base := "/s/" + tok

	// The invitation's language (es) is chosen without any Accept-Language.
	code, intro, _ := b.do("GET", base, nil)
	if code != 200 || !strings.Contains(intro, `lang="es"`) || !strings.Contains(intro, "anónima") {
		t.Fatalf("intro: %d, want Spanish anonymous intro:\n%s", code, intro)
	}
	// Save page 1, then "close the tab": a fresh browser with the same link resumes at page 2.
	_, p1, _ := b.do("GET", base+"/p/1", nil)
	form := url.Values{"_csrf": {csrfOf(t, p1)}, "nav": {"next"}}
	for _, m := range regexp.MustCompile(`name="q_([a-z0-9_-]+)" value="0"`).FindAllStringSubmatch(p1, -1) {
		form.Set("q_"+m[1], "3")
	}
	if code, _, h := b.do("POST", base+"/p/1", form); code != 303 || !strings.HasSuffix(strings.Split(h.Get("Location"), "?")[0], "/p/2") {
		t.Fatalf("save page 1: %d %s", code, h.Get("Location"))
	}
	b2 := f.browser()
	_, intro2, _ := b2.do("GET", base, nil)
	if !strings.Contains(intro2, base+"/p/2") {
		t.Fatalf("reopened link does not offer to continue at page 2:\n%s", intro2)
	}
	_, p1again, _ := b2.do("GET", base+"/p/1", nil)
	if strings.Count(p1again, `value="3" checked`) != len(form)-2 {
		t.Fatalf("saved answers not shown again on page 1")
	}

	// An invalid value saves nothing and names the problem in the respondent's language.
	bad := url.Values{"_csrf": {csrfOf(t, p1again)}, "nav": {"next"}}
	for k := range form {
		if strings.HasPrefix(k, "q_") {
			bad.Set(k, "9")
		}
	}
	if code, body, _ := b2.do("POST", base+"/p/1", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("invalid answer: %d", code)
	}

	b2.answerAll(base, 4, func(string) string { return "2" })
	if n := countResponses(t, f, w.ID); n != 1 {
		t.Fatalf("%d responses after submit, want 1", n)
	}
	// Replays: a double tap (concurrent), a reload, a back-button POST never add or change anything.
	var before store.Response
	must(t, f.st.DB.Where("wave_id = ?", w.ID).First(&before).Error)
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b2.do("POST", base+"/submit", url.Values{"_csrf": {csrfOf(t, p1again)}})
		}()
	}
	wg.Wait()
	if code, _, _ := b.do("POST", base+"/p/1", form); code != http.StatusGone {
		t.Fatalf("saving a page after submission = %d, want 410", code)
	}
	if code, body, _ := b2.do("GET", base+"/p/2", nil); code != http.StatusGone || !strings.Contains(body, `lang="es"`) {
		t.Fatalf("used link = %d, want localized 410", code)
	}
	if code, _, _ := b2.do("GET", base+"/thanks", nil); code != 200 {
		t.Fatalf("thank-you after submission = %d", code)
	}
	var after store.Response
	must(t, f.st.DB.Where("wave_id = ?", w.ID).First(&after).Error)
	if n := countResponses(t, f, w.ID); n != 1 || after.Answers != before.Answers {
		t.Fatalf("replays changed the response: %d rows, %q -> %q", n, before.Answers, after.Answers)
	}
	// Anonymous: no link and no timestamp from the answer back to the person.
	if after.PersonID != nil || after.InvitationID != nil || after.SubmittedAt != nil {
		t.Fatalf("anonymous response keeps a path to the person: %+v", after)
	}
	if after.Answers != strings.Repeat("2", len(after.Answers)) || after.Subgroups["grade"] != "05" || after.Subgroups["response_language"] != "es" {
		t.Fatalf("response content: %+v", after)
	}
	var inv store.Invitation
	must(t, f.st.DB.Where("district_id = ? AND wave_id = ? AND person_id = ?", f.district, w.ID, f.students[0]).First(&inv).Error)
	if inv.CompletedAt == nil || !inv.CompletedAt.Equal(inv.CompletedAt.Truncate(24*time.Hour)) {
		t.Fatalf("anonymous completion time must be the day only: %v", inv.CompletedAt)
	}
	var drafts int64
	f.st.DB.Model(&store.Draft{}).Where("district_id = ? AND (NOT submitted OR answers <> '')", f.district).Count(&drafts)
	if drafts != 0 {
		t.Fatalf("%d drafts with answers remain after submission", drafts)
	}
}

func TestConfidentialResponseKeepsPerson(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	w, tokens := f.openWave(store.ModeConfidential, "link")
	b := f.browser()
	b.answerAll("/s/"+tokens[f.students[1]], 4, func(string) string { return "skip" })
	var r store.Response
	must(t, f.st.DB.Where("wave_id = ?", w.ID).First(&r).Error)
	if r.PersonID == nil || *r.PersonID != f.students[1] || r.SubmittedAt == nil || r.Answers != strings.Repeat("-", len(r.Answers)) {
		t.Fatalf("confidential response: %+v", r)
	}
}

func TestRespondentErrorPages(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	w, tokens := f.openWave(store.ModeAnonymous, "link")
	b := f.browser()
	if code, body, _ := b.do("GET", "/s/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", nil, "Accept-Language", "ar"); code != 404 || !strings.Contains(body, `dir="rtl"`) {
		t.Fatalf("unknown token: %d, want localized (ar, rtl) 404", code)
	}
	if code, _, _ := b.do("GET", "/s/short", nil); code != 404 {
		t.Fatalf("malformed token: %d", code)
	}
	// Closed wave: 410, localized, nothing about the person.
	must(t, f.waves.SetStatus(context.Background(), f.district, w.ID, store.StatusClosed))
	code, body, _ := b.do("GET", "/s/"+tokens[f.students[0]], nil)
	if code != 410 || strings.Contains(body, "stua") {
		t.Fatalf("closed wave: %d", code)
	}
	// Not yet open.
	ctx := context.Background()
	now := f.st.Now()
	later, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "Spring", InstrumentID: "student-pulse", InstrumentVersion: 1,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school}, OpensAt: now.Add(48 * time.Hour), ClosesAt: now.Add(96 * time.Hour)})
	must(t, err)
	must(t, f.waves.SetStatus(ctx, f.district, later.ID, store.StatusOpen))
	issued, err := f.waves.Invite(ctx, f.district, later.ID)
	must(t, err)
	chicago, err := time.LoadLocation("America/Chicago")
	must(t, err)
	if code, body, _ := b.do("GET", "/s/"+issued[0].Token, nil); code != 403 || !strings.Contains(body, later.OpensAt.In(chicago).Format("2006-01-02")) {
		t.Fatalf("not-yet-open wave: %d, want 403 naming the opening day", code)
	}
	// Opted out after the invitation was made.
	_, open := f.openWave(store.ModeAnonymous, "link")
	must(t, f.st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.students[2]).Update("survey_opt_out", true).Error)
	if code, _, _ := b.do("GET", "/s/"+open[f.students[2]], nil); code != 403 {
		t.Fatalf("opted-out respondent: %d", code)
	}
}

func TestCSRFIsRequired(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	b := f.browser()
	base := "/s/" + tokens[f.students[0]]
	b.do("GET", base+"/p/1", nil)
	if code, _, _ := b.do("POST", base+"/p/1", url.Values{"nav": {"next"}}); code != 403 {
		t.Fatalf("POST without CSRF token = %d, want 403", code)
	}
	if code, _, _ := b.do("POST", base+"/p/1", url.Values{"nav": {"next"}, "_csrf": {"forged"}}); code != 403 {
		t.Fatalf("POST with forged CSRF token = %d, want 403", code)
	}
}

func TestClassCodeFlowOneResponsePerBrowser(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	w, _ := f.openWave(store.ModeAnonymous, "link", "code")
	code, err := f.waves.IssueCode(context.Background(), f.district, w.ID, f.school, nil)
	must(t, err)
	b := f.browser()
	base := "/j/" + code
	if status, body, _ := b.do("GET", base, nil); status != 200 || !strings.Contains(body, `lang="en"`) {
		t.Fatalf("class code intro: %d", status)
	}
	b.answerAll(base, 4, func(string) string { return "1" })
	if status, _, _ := b.do("GET", base+"/p/1", nil); status != 410 {
		t.Fatalf("same browser after submitting: %d, want 410", status)
	}
	other := f.browser()
	other.answerAll(base, 4, func(string) string { return "0" })
	if n := countResponses(t, f, w.ID); n != 2 {
		t.Fatalf("%d responses from two browsers, want 2", n)
	}
	// Codes do not work for confidential waves: a code cannot say who answered.
	cw, _ := f.openWave(store.ModeConfidential, "link")
	if _, err := f.waves.IssueCode(context.Background(), f.district, cw.ID, f.school, nil); err == nil {
		t.Fatal("issued a class code for a confidential wave")
	}
}

func TestOneLinkIsRateLimited(t *testing.T) {
	g := newFixture(t, httpserver.Limits{LookupsPerSecond: 1, LookupBurst: 3, FailuresPerMin: 100, FailureBurst: 100})
	_, tokens := g.openWave(store.ModeAnonymous, "link")
	gb := g.browser()
	var last int
	for i := 0; i < 5; i++ {
		last, _, _ = gb.do("GET", "/s/"+tokens[g.students[0]], nil)
	}
	if last != 429 {
		t.Fatalf("requests beyond one link's rate: %d, want 429", last)
	}
	// Another link from the same address is not affected.
	if code, _, _ := gb.do("GET", "/s/"+tokens[g.students[1]], nil); code != 200 {
		t.Fatalf("another link from the same address: %d, want 200", code)
	}
}

func TestRespondentPagesAreSelfContained(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	b := f.browser()
	_, body, h := b.do("GET", "/s/"+tokens[f.students[0]]+"/p/1", nil)
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP too weak: %q", csp)
	}
	if regexp.MustCompile(`(?i)(src|href)="https?://`).MatchString(body) || strings.Contains(body, "<script") || strings.Contains(body, "style=") {
		t.Fatalf("page has third-party resources, inline script or inline style:\n%s", body)
	}
	if h.Get("Referrer-Policy") != "no-referrer" {
		t.Fatal("tokens could leak through Referer")
	}
}
