package httpserver_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
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

const staffPassword = "staff password 2026"

// adminFixture is a running server over a district with schools A and B, a wave in each, and one
// account per role scoped to school A (plus a leader of B).
type adminFixture struct {
	*fixture
	auth         *auth.Service
	schoolB      int64
	waveA, waveB store.Wave
	users        map[string]store.User
	locales      *locale.Catalog
}

func newAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	ctx := context.Background()
	st := testdb.Open(t)
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	loc, err := locale.Load(locales.FS)
	must(t, err)
	f := &adminFixture{fixture: &fixture{t: t, st: st, waves: &wave.Service{Store: st, Surveys: cat}}, users: map[string]store.User{}}
	f.auth = auth.New(st, auth.Options{Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}})
	f.district = testdb.NewDistrict(t, st)
	now := st.Now()
	f.school, f.schoolB = store.NewID(), store.NewID()
	for i, id := range []int64{f.school, f.schoolB} {
		must(t, st.DB.Create(&store.School{DistrictID: f.district, ID: id, SourcedID: fmt.Sprintf("s%d", i), Name: []string{"Adams", "Baker"}[i],
			TimeZone: "America/Chicago", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
		for g := 0; g < 2; g++ {
			pid := store.NewID()
			sid := id
			must(t, st.DB.Create(&store.Person{DistrictID: f.district, ID: pid, SourcedID: fmt.Sprintf("p%d-%d", i, g), Kind: store.KindStudent,
				Grade: []string{"05", "06"}[g], SchoolID: &sid, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
			must(t, st.DB.Create(&store.PersonSchool{DistrictID: f.district, PersonID: pid, SchoolID: id}).Error)
		}
		cid := store.NewID()
		must(t, st.DB.Create(&store.Class{DistrictID: f.district, ID: cid, SourcedID: fmt.Sprintf("c%d", i), SchoolID: id, Title: "Room 1", ClassType: "homeroom", Active: true}).Error)
	}
	mk := func(school int64, name string) store.Wave {
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeAnonymous, SchoolIDs: []int64{school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link", "code"}})
		must(t, err)
		_, err = f.waves.Invite(ctx, f.district, w.ID)
		must(t, err)
		return w
	}
	f.waveA, f.waveB = mk(f.school, "Adams fall"), mk(f.schoolB, "Baker fall")
	for _, u := range []struct {
		key    string
		role   auth.Role
		school int64
	}{
		{"admin", auth.DistrictAdmin, 0}, {"leaderA", auth.SchoolLeader, f.school}, {"leaderB", auth.SchoolLeader, f.schoolB},
		{"counselorA", auth.Counselor, f.school}, {"staffA", auth.Staff, f.school}, {"analystA", auth.Analyst, f.school},
	} {
		nu := auth.NewUser{DistrictID: f.district, Email: f.email(u.key), Role: u.role, Password: staffPassword}
		if u.school != 0 {
			nu.Schools = []int64{u.school}
		}
		row, err := f.auth.CreateUser(ctx, nil, nu)
		must(t, err)
		f.users[u.key] = row
	}
	f.locales = loc
	srv, err := httpserver.New(httpserver.Deps{Config: f.cfg(), Store: st, Log: quietLog(), Surveys: cat, Locales: loc, Waves: f.waves, Auth: f.auth})
	must(t, err)
	f.serve(srv)
	return f
}

func (f *adminFixture) cfg() config.Config {
	cfg := config.Default()
	cfg.BaseURL = "http://example.test"
	return cfg
}

// serve (re)starts the fixture's test server with srv.
func (f *adminFixture) serve(srv *httpserver.Server) {
	if f.srv != nil {
		f.srv.Close()
	}
	f.srv = httptest.NewServer(srv)
	f.t.Cleanup(f.srv.Close)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// email is unique per fixture: one email may have accounts in several districts, and the tests'
// districts share a database.
func (f *adminFixture) email(key string) string { return fmt.Sprintf("%s@d%d.test", key, f.district) }

// signIn returns a browser signed in as the fixture user key.
func (f *adminFixture) signIn(key string) *browser {
	f.t.Helper()
	b := f.browser()
	code, page, _ := b.do("GET", "/login", nil)
	if code != http.StatusOK {
		f.t.Fatalf("GET /login: %d", code)
	}
	code, _, h := b.do("POST", "/login", url.Values{"_csrf": {csrfOf(f.t, page)}, "email": {f.email(key)}, "password": {staffPassword}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin" {
		f.t.Fatalf("sign in %s: %d to %q", key, code, h.Get("Location"))
	}
	return b
}

// TestAdminAccess checks every staff route for every role against the wave of the user's own
// school (A) and of another school (B): the rule must hold by id, not only in menus.
func TestAdminAccess(t *testing.T) {
	f := newAdminFixture(t)
	roles := []string{"admin", "leaderA", "counselorA", "staffA", "analystA"}
	browsers := map[string]*browser{}
	for _, r := range roles {
		browsers[r] = f.signIn(r)
	}
	wa, wb := fmt.Sprint(f.waveA.ID), fmt.Sprint(f.waveB.ID)
	type want map[string]int // role -> status
	all := func(code int) want {
		return want{"admin": code, "leaderA": code, "counselorA": code, "staffA": code, "analystA": code}
	}
	adminOnly := want{"admin": 200, "leaderA": 403, "counselorA": 403, "staffA": 403, "analystA": 403}
	tests := []struct {
		method, path string
		want         want
		noLeak       string     // text that must never appear in a non-200 answer
		form         url.Values // more form fields of a POST
	}{
		{"GET", "/admin", all(200), "", nil},
		{"GET", "/admin/password", all(200), "", nil},
		{"GET", "/admin/waves", want{"admin": 200, "leaderA": 200, "counselorA": 200, "staffA": 403, "analystA": 200}, "", nil},
		{"GET", "/admin/waves/new", want{"admin": 200, "leaderA": 200, "counselorA": 403, "staffA": 403, "analystA": 403}, "", nil},
		{"GET", "/admin/waves/" + wa, want{"admin": 200, "leaderA": 200, "counselorA": 200, "staffA": 403, "analystA": 200}, "", nil},
		{"GET", "/admin/waves/" + wb, want{"admin": 200, "leaderA": 404, "counselorA": 404, "staffA": 403, "analystA": 404}, "Baker", nil},
		{"GET", "/admin/waves/" + wa + "/codes", want{"admin": 200, "leaderA": 200, "counselorA": 403, "staffA": 403, "analystA": 403}, "", nil},
		{"GET", "/admin/waves/" + wb + "/codes", want{"admin": 200, "leaderA": 404, "counselorA": 403, "staffA": 403, "analystA": 403}, "Baker", nil},
		{"POST", "/admin/waves/" + wb + "/open", want{"admin": 303, "leaderA": 404, "counselorA": 403, "staffA": 403, "analystA": 403}, "", nil},
		// Closing asks first; a post without the confirmation only leads to that page.
		{"GET", "/admin/waves/" + wa + "/close", want{"admin": 200, "leaderA": 200, "counselorA": 403, "staffA": 403, "analystA": 403}, "", nil},
		{"GET", "/admin/waves/" + wb + "/close", want{"admin": 200, "leaderA": 404, "counselorA": 403, "staffA": 403, "analystA": 403}, "Baker", nil},
		{"POST", "/admin/waves/" + wa + "/close", want{"admin": 303, "leaderA": 303, "counselorA": 403, "staffA": 403, "analystA": 403}, "", nil},
		// The admin closes it first; the leader may too, but the lifecycle refuses closing it twice.
		{"POST", "/admin/waves/" + wa + "/close", want{"admin": 303, "leaderA": 422, "counselorA": 403, "staffA": 403, "analystA": 403}, "", url.Values{"confirm": {"yes"}}},
		{"GET", "/admin/waves/999", want{"admin": 404, "leaderA": 404, "counselorA": 404, "staffA": 403, "analystA": 404}, "", nil},
		{"GET", "/admin/roster", adminOnly, "", nil},
		{"GET", "/admin/users", adminOnly, "", nil},
		{"GET", "/admin/audit", adminOnly, "", nil},
		{"GET", "/admin/language-checks", adminOnly, "", nil},
		{"GET", "/admin/language-checks/export?locale=es", adminOnly, "", nil},
		{"GET", "/admin/results/settings", adminOnly, "", nil},
		{"GET", "/admin/sms/settings", adminOnly, "", nil},
		{"POST", "/admin/sms/settings", want{"admin": 303, "leaderA": 403, "counselorA": 403, "staffA": 403, "analystA": 403}, "", nil},
	}
	for _, tc := range tests {
		for _, role := range roles {
			t.Run(tc.method+" "+tc.path+" as "+role, func(t *testing.T) {
				b := browsers[role]
				var form url.Values
				if tc.method == "POST" {
					_, page, _ := b.do("GET", "/admin", nil)
					form = url.Values{"_csrf": {csrfOf(t, page)}}
					for k, v := range tc.form {
						form[k] = v
					}
				}
				code, body, _ := b.do(tc.method, tc.path, form)
				if code != tc.want[role] {
					t.Fatalf("status %d, want %d", code, tc.want[role])
				}
				if tc.noLeak != "" && code != 200 && strings.Contains(body, tc.noLeak) {
					t.Fatalf("refusal leaks %q: %s", tc.noLeak, body)
				}
			})
		}
	}
	// Lists are scoped too: leader A never sees school B's wave in the list.
	_, list, _ := browsers["leaderA"].do("GET", "/admin/waves", nil)
	if !strings.Contains(list, "Adams fall") || strings.Contains(list, "Baker fall") {
		t.Errorf("leader A's wave list:\n%s", list)
	}
	// Without a session: pages redirect to sign-in, posts are refused.
	anon := f.browser()
	if code, _, h := anon.do("GET", "/admin/waves", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Errorf("anonymous GET: %d %q", code, h.Get("Location"))
	}
}

// TestAdminWaveLifecycle creates, opens, extends and closes a wave through the pages, issues
// class codes, and checks the audit trail and sign-out.
func TestAdminWaveLifecycle(t *testing.T) {
	f := newAdminFixture(t)
	// The day before the wave below opens: opening and extending need a closing time to come.
	f.st.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	b := f.signIn("leaderA")
	_, page, _ := b.do("GET", "/admin/waves/new", nil)
	if strings.Contains(page, "Baker") {
		t.Fatal("leader A is offered school B")
	}
	form := url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Spring pulse"}, "instrument": {"student-pulse@1"}, "mode": {"anonymous"},
		"school": {fmt.Sprint(f.school)}, "grade": {"05"}, "channel": {"link", "code"}, "opens": {"2026-03-02T08:00"}, "closes": {"2026-03-13T16:00"}}
	// A leader may not add another school's id by hand.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad["school"] = []string{fmt.Sprint(f.school), fmt.Sprint(f.schoolB)}
	if code, _, _ := b.do("POST", "/admin/waves", bad); code != http.StatusForbidden {
		t.Fatalf("leader A created a wave over school B: %d", code)
	}
	code, body, h := b.do("POST", "/admin/waves", form)
	if code != http.StatusSeeOther {
		t.Fatalf("create: %d %s", code, body)
	}
	loc := strings.TrimSuffix(h.Get("Location"), "?notice=created")
	_, page, _ = b.do("GET", loc, nil)
	// 08:00 in Chicago on 2 March is 14:00 UTC; shown back in the school's zone.
	// A draft invites nobody: opening does.
	for _, want := range []string{"Spring pulse", "2026-03-02 08:00 CST", "0 invited.", "Draft", "Open wave now", "Schedule"} {
		if !strings.Contains(page, want) {
			t.Fatalf("wave page lacks %q:\n%s", want, page)
		}
	}
	var w store.Wave
	must(t, f.st.DB.Where("district_id = ? AND name = ?", f.district, "Spring pulse").First(&w).Error)
	if got := w.OpensAt.UTC().Format(time.RFC3339); got != "2026-03-02T14:00:00Z" {
		t.Errorf("opens_at %s", got)
	}
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{loc + "/open", nil}, {loc + "/extend", url.Values{"closes": {"2026-03-20T16:00"}}}, {loc + "/codes", nil}, {loc + "/close", url.Values{"confirm": {"yes"}}},
	} {
		_, page, _ := b.do("GET", loc, nil)
		fv := url.Values{"_csrf": {csrfOf(t, page)}}
		for k, v := range step.form {
			fv[k] = v
		}
		if code, _, _ := b.do("POST", step.path, fv); code != http.StatusSeeOther {
			t.Fatalf("POST %s: %d", step.path, code)
		}
	}
	must(t, f.st.DB.Where("district_id = ? AND id = ?", f.district, w.ID).First(&w).Error)
	if w.Status != store.StatusClosed || w.ClosesAt.UTC().Format(time.RFC3339) != "2026-03-20T21:00:00Z" {
		t.Errorf("after steps: status %s closes %s", w.Status, w.ClosesAt.UTC())
	}
	// A closed wave offers no "Open", and opening it by hand is refused with the reason.
	_, page, _ = b.do("GET", loc, nil)
	if strings.Contains(page, "Open wave now") || !strings.Contains(page, "the count is not shown") {
		t.Errorf("closed wave page:\n%s", page)
	}
	if code, body, _ := b.do("POST", loc+"/open", url.Values{"_csrf": {csrfOf(t, page)}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "reopened by extending") {
		t.Errorf("opening a closed wave: %d %s", code, body)
	}
	_, codes, _ := b.do("GET", loc+"/codes", nil)
	if !strings.Contains(codes, "Room 1") || !strings.Contains(codes, "http://example.test/j/") {
		t.Errorf("codes page:\n%s", codes)
	}
	// Each code comes with a QR code drawn inline as a PNG (no request to any other site).
	if m := regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`).FindStringSubmatch(codes); m == nil {
		t.Errorf("codes page has no inline QR code")
	} else if png, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1])); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("QR code is not a PNG: %v", err)
	}
	// A forged form without the CSRF token is refused.
	if code, _, _ := b.do("POST", loc+"/open", url.Values{}); code != http.StatusForbidden {
		t.Errorf("POST without CSRF: %d", code)
	}
	// Sign out ends the session server-side.
	_, page, _ = b.do("GET", "/admin", nil)
	if code, _, _ := b.do("POST", "/logout", url.Values{"_csrf": {csrfOf(t, page)}}); code != http.StatusSeeOther {
		t.Fatalf("logout: %d", code)
	}
	if code, _, _ := b.do("GET", "/admin", nil); code != http.StatusSeeOther {
		t.Errorf("after logout: %d", code)
	}
	// The admin sees it all in the audit log.
	a := f.signIn("admin")
	_, audit, _ := a.do("GET", "/admin/audit", nil)
	for _, want := range []string{"signin.success", "wave.create", "wave.status", "signout", strings.ToLower(f.email("leaderA"))} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}

// TestAdminLoginLimits checks cookie flags, wrong passwords, and the per-account wait after
// failures (for a browser the account has not signed in from; see auth_login_test.go for one it has).
func TestAdminLoginLimits(t *testing.T) {
	f := newAdminFixture(t)
	clk := &testClock{t: f.st.Now()} // stopped: the wait after the failures does not pass
	f.st.Now = clk.Now
	b := f.browser()
	_, page, _ := b.do("GET", "/login", nil)
	tok := csrfOf(t, page)
	try := func(pw string) int {
		code, _, _ := b.do("POST", "/login", url.Values{"_csrf": {tok}, "email": {f.email("staffA")}, "password": {pw}})
		return code
	}
	for i := 0; i < 10; i++ {
		if code := try("wrong"); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i, code)
		}
	}
	if code := try(staffPassword); code != http.StatusUnauthorized {
		t.Fatalf("account waiting after failures signed in from a new browser: %d", code)
	}
	// Another account from the same address still works: the wait is per account.
	c := f.browser()
	_, page, _ = c.do("GET", "/login", nil)
	code, _, h := c.do("POST", "/login", url.Values{"_csrf": {csrfOf(t, page)}, "email": {f.email("admin")}, "password": {staffPassword}})
	if code != http.StatusSeeOther {
		t.Fatalf("admin sign-in: %d", code)
	}
	var cookie string
	for _, v := range h.Values("Set-Cookie") {
		if strings.HasPrefix(v, "tp_session=") {
			cookie = v
		}
	}
	for _, flag := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, flag) {
			t.Errorf("session cookie %q lacks %s", cookie, flag)
		}
	}
	// Guessing across many emails from one address runs out of that address's budget (30).
	g := f.browser()
	_, page, _ = g.do("GET", "/login", nil)
	gt := csrfOf(t, page)
	last := 0
	for i := 0; i < 31; i++ {
		last, _, _ = g.do("POST", "/login", url.Values{"_csrf": {gt}, "email": {fmt.Sprintf("guess%d@x.test", i)}, "password": {"x"}})
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("31st failure from one address: %d, want 429", last)
	}
	// Open redirects are refused: next must stay under /admin.
	_, page, _ = c.do("GET", "/login?next=//evil.example/", nil)
	if strings.Contains(page, "evil.example") {
		t.Error("login page kept a foreign next")
	}
}

// TestWaveRefusalWorded (#16 line 6): a refused new-wave form and a refused lifecycle change say
// why in the page's language — the wave package's message from the staff catalog — and in
// English as they always have.
func TestWaveRefusalWorded(t *testing.T) {
	f := newAdminFixture(t)
	f.st.Now = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }
	b := f.signIn("leaderA")
	// ?lang= also keeps the choice for the next pages, so every case names its language.
	for _, tc := range []struct{ lang, name, mode, want string }{
		{"en", " ", "anonymous", "name is required"},
		{"es", " ", "anonymous", "Escriba un nombre para la ola."},
		{"en", "Spring", "confidential", "class codes are for anonymous waves only: a code cannot tell who answered"},
		{"ar", "Spring", "confidential", "رموز الفصول للجولات مجهولة الهوية فقط: لا يستطيع الرمز أن يخبر من أجاب."},
	} {
		_, page, _ := b.do("GET", "/admin/waves/new", nil)
		form := url.Values{"_csrf": {csrfOf(t, page)}, "name": {tc.name}, "instrument": {"student-pulse@1"}, "mode": {tc.mode},
			"school": {fmt.Sprint(f.school)}, "channel": {"link", "code"}, "opens": {"2026-03-02T08:00"}, "closes": {"2026-03-13T16:00"}}
		code, body, _ := b.do("POST", "/admin/waves?lang="+tc.lang, form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("lang %q: %d, want 422 with %q\n%.600s", tc.lang, code, tc.want, body)
		}
	}
	w, err := f.waves.Create(context.Background(), wave.Spec{DistrictID: f.district, Name: "Done", InstrumentID: "student-pulse", InstrumentVersion: 1,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school}, OpensAt: f.st.Now().Add(-48 * time.Hour), ClosesAt: f.st.Now().Add(-24 * time.Hour)})
	must(t, err)
	_, _, err = f.waves.Apply(context.Background(), f.district, w.ID, wave.Change{Action: wave.ActClose}, wave.System)
	must(t, err)
	for lang, want := range map[string]string{"en": "This wave is already closed.", "es": "Esta ola ya está cerrada."} {
		if code, body, _ := b.do("GET", fmt.Sprintf("/admin/waves/%d/close?lang=%s", w.ID, lang), nil); code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("close a closed wave, lang %q: %d, want %q\n%.600s", lang, code, want, body)
		}
	}
}
