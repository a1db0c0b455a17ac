package httpserver_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/auth/authtest"
	"github.com/trustpulse/trustpulse/internal/credential"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// syncBuffer is a log sink the server's goroutines write to while the test reads it.
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

// meFixture is the admin fixture with sign in to answer on (Google rules, the fake provider):
// students of school A with emails in the respondent domain s<district>.test, wave A open.
type meFixture struct {
	*adminFixture
	fp      *authtest.Provider
	domain  string // the students' email domain
	alice   store.Person
	other   store.Person // another student of the same school and wave
	logs    *syncBuffer
	aliceIn int64 // alice's invitation in wave A
}

func newMeFixture(t *testing.T, limits httpserver.Limits) *meFixture {
	t.Helper()
	f := &meFixture{adminFixture: newAdminFixture(t), fp: authtest.NewProvider(t), logs: &syncBuffer{}}
	f.domain = "s" + itoa64(f.district) + ".test"
	var people []store.Person
	must(t, f.st.DB.Where("district_id = ? AND school_id = ?", f.district, f.school).Order("grade").Find(&people).Error)
	f.alice, f.other = people[0], people[1]
	for i, p := range []*store.Person{&f.alice, &f.other} {
		p.GivenName, p.Email = []string{"Alice", "Omar"}[i], []string{"Alice", "omar"}[i]+"@"+f.domain
		must(t, f.st.DB.Model(p).Updates(map[string]any{"given_name": p.GivenName, "email": p.Email}).Error)
	}
	must(t, f.waves.SetStatus(context.Background(), f.district, f.waveA.ID, store.StatusOpen))
	must(t, f.st.DB.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ? AND person_id = ?", f.district, f.waveA.ID, f.alice.ID).Pluck("id", &f.aliceIn).Error)
	f.serve(f.server(t, []string{f.domain, "d" + itoa64(f.district) + ".test"}, "http://example.test", limits))
	return f
}

func (f *meFixture) server(t *testing.T, respondentDomains []string, base string, limits httpserver.Limits) *httpserver.Server {
	t.Helper()
	oidc := auth.NewOIDC(f.auth, auth.OIDCConfig{Provider: auth.ProviderGoogle, Issuer: f.fp.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, RedirectURL: base + "/login/oidc/callback", AllowedDomains: []string{"d" + itoa64(f.district) + ".test"},
		RespondentDomains: respondentDomains, RespondentRedirectURL: base + "/me/callback"})
	cfg := f.cfg()
	cfg.BaseURL = base
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: f.st, Log: slog.New(slog.NewTextHandler(f.logs, nil)), Surveys: f.waves.Surveys,
		Locales: f.locales, Waves: f.waves, Auth: f.auth, OIDC: oidc, Limits: limits})
	must(t, err)
	return srv
}

// googleClaims are what Google puts in the ID token of a verified Workspace account.
func googleClaims(email string) map[string]any {
	return map[string]any{"email": email, "email_verified": true, "hd": email[strings.IndexByte(email, '@')+1:]}
}

// signInAs plays the whole respondent sign-in in b and returns the callback's answer.
func (f *meFixture) signInAs(b *browser, claims map[string]any) (int, string, http.Header) {
	f.t.Helper()
	code, _, h := b.do("GET", "/me/signin?lang=en", nil)
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, f.fp.URL+"/auth?") {
		f.t.Fatalf("start: %d %q", code, loc)
	}
	u, _ := url.Parse(loc)
	if got := u.Query().Get("redirect_uri"); got != "http://example.test/me/callback" {
		f.t.Fatalf("respondent flow redirects to %q, want the respondent callback", got)
	}
	state, authCode := f.fp.Authorize(loc, claims)
	return b.do("GET", "/me/callback?"+url.Values{"state": {state}, "code": {authCode}}.Encode(), nil)
}

var invitationFieldRE = regexp.MustCompile(`name="invitation" value="(\d+)"`)

// TestSignInToAnswer is the whole flow: a student signs in, sees their open survey, starts it,
// answers it through the ordinary link pages, and sees it Done; the anonymous response keeps
// no person or invitation, and neither the session table nor the log says what was started.
func TestSignInToAnswer(t *testing.T) {
	f := newMeFixture(t, httpserver.Limits{})
	b := f.browser()
	if code, page, _ := b.do("GET", "/me?lang=en", nil); code != 200 || !strings.Contains(page, "Sign in with your school account") || !strings.Contains(page, `lang="en"`) {
		t.Fatalf("signed-out /me: %d\n%s", code, page)
	}
	code, _, h := f.signInAs(b, googleClaims(f.alice.Email))
	if code != http.StatusSeeOther || h.Get("Location") != "/me?lang=en" {
		t.Fatalf("callback: %d %q", code, h.Get("Location"))
	}
	// The cookie: a random token only, HttpOnly, SameSite=Lax, scoped to /me, two hours.
	var meCookie string
	for _, sc := range h.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "tp_session=") {
			t.Fatalf("respondent sign-in set a staff session cookie: %s", sc)
		}
		if strings.HasPrefix(sc, "tp_me=") {
			meCookie = sc
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/me", "Max-Age=7200"} {
		if !strings.Contains(meCookie, want) {
			t.Fatalf("respondent cookie %q lacks %s", meCookie, want)
		}
	}
	token := strings.TrimPrefix(strings.SplitN(meCookie, ";", 2)[0], "tp_me=")
	// The district's route (#19 line 3), then the secret.
	route, secret, ok := credential.Split(token, 43)
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if !ok || route == credential.Legacy || err != nil || len(raw) < 16 {
		t.Fatalf("respondent token %q is not >= 128 random bits", token)
	}
	// Stored hashed, with an expiry, and nothing else: no wave, no invitation, no address.
	var rows []map[string]any
	must(t, f.st.DB.Raw("SELECT * FROM respondent_sessions WHERE district_id = ?", f.district).Scan(&rows).Error)
	sum := sha256.Sum256(raw)
	if len(rows) != 1 || !bytes.Equal(rows[0]["token_hash"].([]byte), sum[:]) || len(rows[0]) != 4 {
		t.Fatalf("respondent_sessions rows: %v", rows)
	}
	if exp := rows[0]["expires_at"].(time.Time); exp.Sub(f.st.Now()) > 2*time.Hour+time.Minute || exp.Before(f.st.Now()) {
		t.Fatalf("respondent session expires %v", exp)
	}

	code, page, _ := b.do("GET", "/me?lang=en", nil)
	if code != 200 || !strings.Contains(page, "Adams fall") || !strings.Contains(page, "Adams") || !strings.Contains(page, ">Start<") || !strings.Contains(page, "Signed in as Alice") {
		t.Fatalf("signed-in /me: %d\n%s", code, page)
	}
	if strings.Contains(page, "Baker fall") {
		t.Fatal("another school's wave listed")
	}
	m := invitationFieldRE.FindAllStringSubmatch(page, -1)
	if len(m) != 1 || m[0][1] != itoa64(f.aliceIn) {
		t.Fatalf("invitations offered: %v, want only alice's %d", m, f.aliceIn)
	}
	code, _, h = b.do("POST", "/me/start?lang=en", url.Values{"_csrf": {csrfOf(t, page)}, "invitation": {m[0][1]}})
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/s/") {
		t.Fatalf("start: %d %q", code, loc)
	}
	first := strings.SplitN(loc, "?", 2)[0]
	// Starting again (another device) replaces the sign-in link: the first one stops.
	code, _, h = b.do("POST", "/me/start?lang=en", url.Values{"_csrf": {csrfOf(t, page)}, "invitation": {m[0][1]}})
	base := strings.SplitN(h.Get("Location"), "?", 2)[0]
	if code != http.StatusSeeOther || base == first {
		t.Fatalf("second start: %d %q", code, base)
	}
	if code, _, _ := f.browser().do("GET", first, nil); code != http.StatusNotFound {
		t.Fatalf("replaced sign-in link: %d, want 404", code)
	}
	var n int64
	must(t, f.st.DB.Model(&store.InvitationToken{}).Where("district_id = ? AND invitation_id = ? AND kind = ?", f.district, f.aliceIn, wave.KindSignIn).Count(&n).Error)
	if n != 1 {
		t.Fatalf("%d sign-in tokens for the invitation, want 1", n)
	}
	// The link's own pages: part-answered, /me says Continue; submitted, Done.
	_, p1, _ := b.do("GET", base+"/p/1?lang=en", nil)
	form := url.Values{"_csrf": {csrfOf(t, p1)}, "nav": {"next"}}
	for _, q := range regexp.MustCompile(`name="q_([a-z0-9_-]+)" value="0"`).FindAllStringSubmatch(p1, -1) {
		form.Set("q_"+q[1], "3")
	}
	if code, _, _ := b.do("POST", base+"/p/1", form); code != http.StatusSeeOther {
		t.Fatalf("save page 1: %d", code)
	}
	if _, page, _ := b.do("GET", "/me?lang=en", nil); !strings.Contains(page, ">Continue<") {
		t.Fatalf("part-answered survey not offered as Continue:\n%s", page)
	}
	b.answerAll(base, 4, func(string) string { return "2" })
	if _, page, _ := b.do("GET", "/me?lang=en", nil); !strings.Contains(page, "Done. Thank you!") || invitationFieldRE.MatchString(page) {
		t.Fatalf("answered survey not Done:\n%s", page)
	}
	f.waves.Mixing.MinBatch = 1 // anonymous answers reach responses through the ballot box
	_, err = f.waves.Mix(context.Background())
	must(t, err)
	var resp store.Response
	must(t, f.st.DB.Where("district_id = ? AND wave_id = ?", f.district, f.waveA.ID).First(&resp).Error)
	if resp.PersonID != nil || resp.InvitationID != nil || resp.SubmittedAt != nil {
		t.Fatalf("anonymous response links to the person: %+v", resp)
	}
	// Start of an answered survey changes nothing and goes back to the list.
	if code, _, h := b.do("POST", "/me/start?lang=en", url.Values{"_csrf": {csrfOf(t, page)}, "invitation": {m[0][1]}}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/me") {
		t.Fatalf("start after answering: %d %q", code, h.Get("Location"))
	}
	// Nothing in the log names the person, the invitation or the wave started.
	logs := f.logs.String()
	for _, secret := range []string{f.alice.Email, "Alice", itoa64(f.aliceIn), itoa64(f.alice.ID), token, strings.TrimPrefix(base, "/s/")} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log names %q:\n%s", secret, logs)
		}
	}
	// Signing in again on the same browser (the next student on a shared device) ends the
	// session before it: one respondent session for this browser.
	f.signInAs(b, googleClaims(f.alice.Email))
	must(t, f.st.DB.Model(&store.RespondentSession{}).Where("district_id = ?", f.district).Count(&n).Error)
	if n != 1 {
		t.Fatalf("%d respondent sessions after signing in twice in one browser, want 1", n)
	}
	// Sign out: the session is gone from the database, /me shows the button again.
	_, page, _ = b.do("GET", "/me?lang=en", nil)
	if code, _, _ := b.do("POST", "/me/signout?lang=en", url.Values{"_csrf": {csrfOf(t, page)}}); code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", code)
	}
	must(t, f.st.DB.Model(&store.RespondentSession{}).Where("district_id = ?", f.district).Count(&n).Error)
	if _, page, _ := b.do("GET", "/me?lang=en", nil); n != 0 || !strings.Contains(page, "Sign in with your school account") {
		t.Fatalf("after sign out: %d sessions\n%s", n, page)
	}
}

// TestSignInToAnswerRefusals: each refusal is a 403 with its own localized reason, and no session.
func TestSignInToAnswerRefusals(t *testing.T) {
	f := newMeFixture(t, httpserver.Limits{})
	now := f.st.Now()
	addPerson := func(district int64, email string, active bool) {
		must(t, f.st.DB.Create(&store.Person{DistrictID: district, ID: store.NewID(), SourcedID: "x" + itoa64(store.NewID()), Kind: store.KindStudent,
			Email: email, Active: active, CreatedAt: now, UpdatedAt: now}).Error)
	}
	addPerson(f.district, "gone@"+f.domain, false)
	addPerson(f.district, "Twin@"+f.domain, true)
	addPerson(testdb.NewDistrict(t, f.st), "twin@"+f.domain, true)
	unverified := googleClaims(f.alice.Email)
	unverified["email_verified"] = false
	otherHD := googleClaims(f.alice.Email)
	otherHD["hd"] = "elsewhere.test"
	tests := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"wrong domain", googleClaims("alice@elsewhere.test"), "This account cannot be used here"},
		{"hd not in the respondent list", otherHD, "This account cannot be used here"},
		{"unverified email", unverified, "This account cannot be used here"},
		{"no such person", googleClaims("nobody@" + f.domain), "We could not find you"},
		{"inactive person", googleClaims("gone@" + f.domain), "We could not find you"},
		{"email in two districts", googleClaims("twin@" + f.domain), "more than one person"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := f.browser()
			code, page, h := f.signInAs(b, tc.claims)
			if code != http.StatusForbidden || !strings.Contains(page, tc.want) || !strings.Contains(page, `role="alert"`) {
				t.Fatalf("%d, want 403 with %q:\n%s", code, tc.want, page)
			}
			if sc := strings.Join(h.Values("Set-Cookie"), "\n"); strings.Contains(sc, "tp_me=") && !strings.Contains(sc, "tp_me=;") || strings.Contains(sc, "tp_session=") {
				t.Fatalf("a refused sign-in set a session cookie:\n%s", sc)
			}
		})
	}
	var n int64
	must(t, f.st.DB.Model(&store.RespondentSession{}).Where("district_id = ?", f.district).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d respondent sessions after refusals", n)
	}
	// A callback from a browser that never started (no flow cookie) is refused.
	state, code := f.fp.Authorize(mustStartURL(t, f), googleClaims(f.alice.Email))
	if c, _, _ := f.browser().do("GET", "/me/callback?"+url.Values{"state": {state}, "code": {code}}.Encode(), nil); c != http.StatusForbidden {
		t.Fatalf("callback without flow cookie: %d", c)
	}
}

func mustStartURL(t *testing.T, f *meFixture) string {
	t.Helper()
	_, _, h := f.browser().do("GET", "/me/signin", nil)
	return h.Get("Location")
}

// TestSignInToAnswerIsNoStaffSignIn: the respondent flow of a district admin's own email makes a
// respondent session only; a respondent token is no staff session; a respondent flow's code is
// refused at the staff callback.
func TestSignInToAnswerIsNoStaffSignIn(t *testing.T) {
	f := newMeFixture(t, httpserver.Limits{})
	now := f.st.Now()
	must(t, f.st.DB.Create(&store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: "staff-admin", Kind: store.KindStaff,
		Email: f.email("admin"), SchoolID: &f.school, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	b := f.browser()
	code, _, h := f.signInAs(b, googleClaims(f.email("admin")))
	if code != http.StatusSeeOther {
		t.Fatalf("admin's email at /me: %d", code)
	}
	for _, sc := range h.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "tp_session=") {
			t.Fatalf("respondent flow minted a staff session: %s", sc)
		}
	}
	var n int64
	must(t, f.st.DB.Model(&store.Session{}).Where("district_id = ?", f.district).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d staff sessions after a respondent sign-in", n)
	}
	if code, _, h := b.do("GET", "/admin", nil); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Fatalf("/admin after respondent sign-in: %d %q", code, h.Get("Location"))
	}
	// The respondent token presented as a staff session cookie opens nothing.
	var meToken string
	_, _, h = f.signInAs(f.browser(), googleClaims(f.alice.Email))
	for _, sc := range h.Values("Set-Cookie") {
		if strings.HasPrefix(sc, "tp_me=") {
			meToken = strings.TrimPrefix(strings.SplitN(sc, ";", 2)[0], "tp_me=")
		}
	}
	req, _ := http.NewRequest("GET", f.srv.URL+"/admin", nil)
	req.AddCookie(&http.Cookie{Name: "tp_session", Value: meToken})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	must(t, err)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("respondent token as staff cookie: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	// A code from the respondent flow, brought to the staff callback, signs nobody in.
	b2 := f.browser()
	_, _, h = b2.do("GET", "/me/signin", nil)
	state, authCode := f.fp.Authorize(h.Get("Location"), googleClaims(f.email("admin")))
	if code, _, _ := b2.do("GET", "/login/oidc/callback?"+url.Values{"state": {state}, "code": {authCode}}.Encode(), nil); code != http.StatusForbidden {
		t.Fatalf("respondent code at the staff callback: %d", code)
	}
}

// TestSignInToAnswerStart: someone else's invitation is 404, Start needs the CSRF token and a
// session, and respondent sign-in does not exist without respondent domains.
func TestSignInToAnswerStart(t *testing.T) {
	f := newMeFixture(t, httpserver.Limits{})
	b := f.browser()
	f.signInAs(b, googleClaims(f.alice.Email))
	_, page, _ := b.do("GET", "/me?lang=en", nil)
	csrf := csrfOf(t, page)
	var otherInv int64
	must(t, f.st.DB.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ? AND person_id = ?", f.district, f.waveA.ID, f.other.ID).Pluck("id", &otherInv).Error)
	for _, id := range []string{itoa64(otherInv), "999", "x"} {
		if code, body, _ := b.do("POST", "/me/start", url.Values{"_csrf": {csrf}, "invitation": {id}}); code != http.StatusNotFound || strings.Contains(body, "Omar") {
			t.Fatalf("start invitation %s: %d", id, code)
		}
	}
	var n int64
	must(t, f.st.DB.Model(&store.InvitationToken{}).Where("district_id = ? AND kind = ?", f.district, wave.KindSignIn).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d sign-in tokens after refused starts", n)
	}
	if code, _, _ := b.do("POST", "/me/start", url.Values{"invitation": {itoa64(f.aliceIn)}}); code != http.StatusForbidden {
		t.Fatalf("start without CSRF: %d, want 403", code)
	}
	// Without a session, Start goes back to the sign-in page.
	gone := f.browser()
	f.signInAs(gone, googleClaims(f.alice.Email))
	_, page, _ = gone.do("GET", "/me", nil)
	csrf = csrfOf(t, page)
	gone.do("POST", "/me/signout", url.Values{"_csrf": {csrf}})
	if code, _, h := gone.do("POST", "/me/start", url.Values{"_csrf": {csrf}, "invitation": {itoa64(f.aliceIn)}}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/me") {
		t.Fatalf("start without session: %d %q", code, h.Get("Location"))
	}
	// Without ?lang, /me speaks the person's language from the roster.
	must(t, f.st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.alice.ID).Update("preferred_language", "es").Error)
	if _, page, _ := b.do("GET", "/me", nil); !strings.Contains(page, `lang="es"`) || !strings.Contains(page, "Empezar") {
		t.Fatalf("/me not in the person's language:\n%s", page)
	}
	// A person with nothing open sees a friendly message.
	must(t, f.waves.SetStatus(context.Background(), f.district, f.waveA.ID, store.StatusClosed))
	if _, page, _ := b.do("GET", "/me?lang=en", nil); !strings.Contains(page, "You have no surveys to answer right now") {
		t.Fatalf("nothing open:\n%s", page)
	}
	// Off without respondent domains.
	f.serve(f.server(t, nil, "http://example.test", httpserver.Limits{}))
	for _, p := range []string{"/me", "/me/signin", "/me/callback"} {
		if code, _, _ := f.browser().do("GET", p, nil); code != http.StatusNotFound {
			t.Fatalf("%s without respondent domains: %d, want 404", p, code)
		}
	}
	// Behind https the cookies are Secure.
	f.serve(f.server(t, []string{f.domain}, "https://example.test", httpserver.Limits{}))
	_, _, h := f.browser().do("GET", "/me/signin", nil)
	sc := ""
	for _, v := range h.Values("Set-Cookie") {
		if strings.HasPrefix(v, "tp_me_oidc=") {
			sc = v
		}
	}
	if !strings.Contains(sc, "tp_me_oidc=") || !strings.Contains(sc, "Secure") || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "Path=/me/callback") {
		t.Fatalf("flow cookie over https: %q", sc)
	}
}

// TestSignInToAnswerIsRateLimited: the callback and Start share the respondent per-address budget.
func TestSignInToAnswerIsRateLimited(t *testing.T) {
	f := newMeFixture(t, httpserver.Limits{LookupsPerSecond: 0.001, LookupBurst: 3, FailuresPerMin: 10, FailureBurst: 20})
	b := f.browser()
	last := 0
	for i := 0; i < 5; i++ {
		last, _, _ = b.do("GET", "/me/callback?state=x&code=y", nil)
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("callback after the budget: %d, want 429", last)
	}
	if code, _, _ := b.do("POST", "/me/start", url.Values{"invitation": {"1"}}); code != http.StatusTooManyRequests {
		t.Fatalf("start after the budget: %d, want 429", code)
	}
}
