package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/auth/authtest"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/demo"
	"github.com/trustpulse/trustpulse/internal/email"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// globalStatements are the statements on project tables that may name no district, each with
// why. Everything else the app sends must constrain district_id, so that on a database sharded by
// district (Citus) it goes to one shard (#19 line 4). A pattern matches the statement as
// districtCheck normalizes it (lower case, literals and numbers as ?).
var globalStatements = []struct{ pattern, reason string }{
	{`^select (districts\.)?district_id from districts order by district_id$`,
		"the one deployment-wide read of a background job: the district list it then walks (store.DistrictIDs)"},
	{`^select slug from districts where slug <> \? order by slug limit \?$`,
		"demo only: refuses a database holding real districts"},
	{`^select \* from districts where slug = \? order by`,
		"a district named by its slug (roster import --district, the demo): how an operator names a district"},
	{`^select status, count\(\*\) as n from sms_messages where status in \(\?,\?,\?\) group by status$`,
		"metrics scrape: the deployment's SMS queue depth, one read-only count (on Citus one parallel query over the shards, cheaper than one per district)"},
	{`^select count\(\*\) from ballots$`,
		"ballot-box sweep: compares the table's live rows with pg_class.reltuples after VACUUM FULL, a property of the table's file"},
	// #19 line 3: a credential starts with its district's route (internal/credential).
	{`^select district_id from districts where route = \? limit \?$`,
		"the district of a credential's route: districts is a reference table (local on every Citus node), read once per route and process"},
	{`^select coalesce\(max\(route\), \?\) \+ \? from districts$`,
		"a new district's route, the next free one (store.District.BeforeCreate)"},
	// A typed class code names no district: code_districts, a reference table, does.
	{`^select district_id from code_districts where code = \? limit \?$`,
		"the district of a typed class code: code_districts is a reference table (local on every Citus node), keyed by the code"},
	// A typed personal code (a printed slip's) likewise: slip_code_districts, by the code's hash.
	{`^select district_id from slip_code_districts where token_hash = \? limit \?$`,
		"the district of a typed personal code: slip_code_districts is a reference table (local on every Citus node), keyed by the code's hash"},
	{`^select token_hash from slip_code_districts where token_hash in \(\?(,\?)*\)$`,
		"printing slips: which drawn personal codes another district already holds (codes are unique across districts), in the reference table"},
	{`^select district_id from districts where slug = \? order by created_at limit \?$|^select district_id from districts order by district_id limit \?$`,
		"sign-in by email: the district of the host name (TRUSTPULSE_DISTRICT_HOSTS), else whether the deployment has one district only"},
	// A family's text arrives with only its phone number, which is no credential and may be a
	// family's in several districts (a STOP reaches all of them); once they are found, every
	// further statement names them.
	{`^select distinct district_id from (people|sms_opt_outs) where phone = \?$|^select distinct district_id from sms_messages where to_number = \?$`,
		"inbound text: which districts the sender's number belongs to"},
	{`^select \* from districts where district_id in \(\?(,\?)*\) order by district_id$`,
		"inbound text: the districts the sender's number belongs to, by id"},
	{`from sms_messages m join .* where \(?m\.to_number = \? and m\.status in`,
		"inbound text: the invitation a reply answers, found by the sender's number"},
	{`^select count\(\*\) from sms_inbound where message_sid = \?$`,
		"inbound text: Twilio's MessageSid makes a retried webhook a no-op in any district (a replay may match another district's invitation of the number)"},
}

const districtHookToken = "twilio-auth-token-district-check"

// statementRecorder is a GORM logger that keeps the SQL of every statement the app sends.
type statementRecorder struct {
	mu    sync.Mutex
	stmts []string
}

func (r *statementRecorder) LogMode(logger.LogLevel) logger.Interface { return r }
func (r *statementRecorder) Info(context.Context, string, ...any)     {}
func (r *statementRecorder) Warn(context.Context, string, ...any)     {}
func (r *statementRecorder) Error(context.Context, string, ...any)    {}
func (r *statementRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	sql, _ := fc()

	r.mu.Lock()
	r.stmts = append(r.stmts, sql)
	r.mu.Unlock()
}

func (r *statementRecorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.stmts) }

func (r *statementRecorder) since(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stmts[n:]...)
}

var (
	sqlLiteral   = regexp.MustCompile(`'(?:[^']|'')*'`)
	sqlNumber    = regexp.MustCompile(`\b\d+(?:\.\d+)?\b`)
	sqlParam     = regexp.MustCompile(`\$\d+`)
	sqlSpace     = regexp.MustCompile(`\s+`)
	sqlTableRef  = regexp.MustCompile(`\b(from|join|update|into)\s+([a-z_][a-z0-9_]*)(?:\s+(?:as\s+)?([a-z_][a-z0-9_]*))?`)
	sqlBound     = regexp.MustCompile(`(?:\b([a-z_][a-z0-9_]*)\.)?\bdistrict_id\s*=\s*\?`)
	sqlJoined    = regexp.MustCompile(`\b([a-z_][a-z0-9_]*)\.district_id\s*=\s*([a-z_][a-z0-9_]*)\.district_id\b`)
	sqlNotAlias  = map[string]bool{}
	sqlKeywords  = `where set on join left right inner outer full cross natural group order limit offset values returning select using union for having window default do`
	sqlIntoCols  = regexp.MustCompile(`\binto\s+([a-z_][a-z0-9_]*)\s*\(([^)]*)\)`)
	sqlTouchesDB = regexp.MustCompile(`\b(select|insert|update|delete)\b`)
)

func init() {
	for _, k := range strings.Fields(sqlKeywords) {
		sqlNotAlias[k] = true
	}
}

// normalizeSQL lowers a statement and replaces literals, numbers and parameters by ?.
func normalizeSQL(sql string) string {
	s := sqlLiteral.ReplaceAllString(sql, "?")
	s = strings.ToLower(strings.ReplaceAll(s, `"`, ""))
	s = sqlParam.ReplaceAllString(s, "?")
	s = sqlNumber.ReplaceAllString(s, "?")
	return strings.TrimSpace(sqlSpace.ReplaceAllString(s, " "))
}

// districtCheck says which project tables a normalized statement reads or writes without a
// district_id predicate. A reference is constrained by district_id = value on its alias (or, for
// references without an alias, an unqualified one each), by an equality of its district_id with
// a constrained reference's district_id, or, for an INSERT, by a district_id column. It is a
// text check, not a parser: the app's SQL is simple enough, and a false alarm shows here.
func districtCheck(s string, project map[string]bool) (unconstrained []string) {
	type ref struct {
		table, key string
		aliased    bool
		bound      bool
	}
	var refs []*ref
	for _, m := range sqlTableRef.FindAllStringSubmatch(s, -1) {
		if !project[m[2]] {
			continue
		}
		r := &ref{table: m[2], key: m[2]}
		if a := m[3]; a != "" && !sqlNotAlias[a] {
			r.key, r.aliased = a, true
		}
		if m[1] == "into" {
			for _, c := range sqlIntoCols.FindAllStringSubmatch(s, -1) {
				if c[1] == m[2] && regexp.MustCompile(`\bdistrict_id\b`).MatchString(c[2]) {
					r.bound = true
				}
			}
		}
		refs = append(refs, r)
	}
	if len(refs) == 0 {
		return nil
	}
	qualified, unqualified := map[string]bool{}, 0
	for _, m := range sqlBound.FindAllStringSubmatch(s, -1) {
		if m[1] == "" {
			unqualified++
		} else {
			qualified[m[1]] = true
		}
	}
	for _, r := range refs {
		if !r.bound && qualified[r.key] {
			r.bound = true
		}
	}
	for _, r := range refs {
		if !r.bound && !r.aliased && unqualified > 0 {
			r.bound, unqualified = true, unqualified-1
		}
	}
	edges := sqlJoined.FindAllStringSubmatch(s, -1)
	for changed := true; changed; {
		changed = false
		for _, e := range edges {
			for _, pair := range [][2]string{{e[1], e[2]}, {e[2], e[1]}} {
				from := false
				for _, r := range refs {
					from = from || (r.key == pair[0] && r.bound)
				}
				for _, r := range refs {
					if from && r.key == pair[1] && !r.bound {
						r.bound, changed = true, true
					}
				}
			}
		}
	}
	for _, r := range refs {
		if !r.bound {
			unconstrained = append(unconstrained, r.table)
		}
	}
	return unconstrained
}

// TestEveryStatementNamesItsDistrict runs the app's flows on PostgreSQL — the demo seed (roster
// import, waves, history), a student and a family survey answered over HTTP, a class code and a
// printed slip's personal code typed at /j, a student signed in to answer at /me, staff sign-in
// by password and by single sign-on (the host name naming the district), the dashboard, the SMS and email senders, the roster worker and every periodic job through the job
// runner — records every statement (a GORM logger on the store) and checks that each one on a
// project table constrains district_id, but for the few in globalStatements.
func TestEveryStatementNamesItsDistrict(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.DatabaseURL, cfg.Addr = testdb.Fresh(t), "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, s, err := openRuntime(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	project := map[string]bool{}
	var tables []string
	if err := s.DB.Raw(`SELECT DISTINCT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'district_id'`).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	for _, name := range tables {
		project[name] = true
	}
	if len(project) < 30 {
		t.Fatalf("only %d tables with district_id: %v", len(project), tables)
	}

	start := time.Now()
	stage := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	rec := &statementRecorder{}
	s.DB.Config.Logger = rec // every session made from here on records its statements
	svc := newServices(cfg, s, c, log)
	svc.waves.Mixing.MinBatch = 1
	links, err := demo.Seed(ctx, s, svc.waves, svc.measures, svc.results, cfg.BaseURL, log)
	if err != nil {
		t.Fatal(err)
	}
	stage("demo seeded")
	svc.sms.AuthToken = districtHookToken // the Twilio webhooks answer (signed requests below)
	// Sign-in by email (password and single sign-on) finds the district from the host name.
	var slug []string
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Model(&store.District{}).Order("district_id").Pluck("slug", &slug).Error; err != nil || len(slug) == 0 {
		t.Fatalf("demo district: %v %v", slug, err)
	}
	cfg.DistrictHosts = map[string]string{"127.0.0.1": slug[0]}
	fp := authtest.NewProvider(t)
	staffAuth := auth.New(s, auth.Options{Log: log, DistrictHosts: cfg.DistrictHosts})
	sso := auth.NewOIDC(staffAuth, auth.OIDCConfig{Provider: auth.ProviderGeneric, Issuer: fp.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, RedirectURL: cfg.BaseURL + "/login/oidc/callback", AllowedDomains: []string{"staff.district.test"},
		RespondentDomains: []string{"students.district.test"}, RespondentRedirectURL: cfg.BaseURL + "/me/callback"})
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: s, Log: log, Surveys: c.surveys, Locales: c.locales,
		Waves: svc.waves, SMS: svc.sms, Email: svc.email, Results: svc.results, Auth: staffAuth, OIDC: sso})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	perRequest := map[string][]int{}
	newBrowser := func() *districtBrowser {
		jar, _ := cookiejar.New(nil)
		return &districtBrowser{t: t, base: ts.URL, rec: rec, counts: perRequest,
			c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	for _, link := range []string{links.StudentSurvey, links.FamilySurvey} {
		u, err := url.Parse(link)
		if err != nil || u.Path == "" {
			t.Fatalf("demo survey link %q", link)
		}
		newBrowser().answerSurvey(u.Path)
	}
	// A class code, typed on the code page, then the survey it opens.
	var ws store.WaveSchool
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Table("wave_schools ws").Select("ws.*").
		Joins("JOIN waves w ON w.district_id = ws.district_id AND w.id = ws.wave_id").
		Where("w.mode = ? AND w.status = ?", store.ModeAnonymous, store.StatusOpen).Order("ws.wave_id, ws.school_id").Take(&ws).Error; err != nil {
		t.Fatal(err)
	}
	code, err := svc.waves.IssueCode(ctx, ws.DistrictID, ws.WaveID, ws.SchoolID, nil)
	if err != nil {
		t.Fatal(err)
	}
	typist := newBrowser()
	_, form, _ := typist.do("GET", "/j", nil, "respondent")
	_, _, h := typist.do("POST", "/j", url.Values{"_csrf": {csrfIn(t, form)}, "code": {code}}, "respondent")
	if loc := h.Get("Location"); !strings.HasPrefix(loc, "/j/") {
		t.Fatalf("typed class code: to %q", loc)
	}
	typist.answerSurvey("/j/" + code)

	staff := newBrowser()
	_, page, _ := staff.do("GET", "/login", nil, "")
	if code, _, h := staff.do("POST", "/login", url.Values{"_csrf": {csrfIn(t, page)}, "email": {links.LoginUser}, "password": {links.LoginPassword}}, ""); code != http.StatusSeeOther {
		t.Fatalf("staff sign-in: %d to %q", code, h.Get("Location"))
	}
	if d, err := url.Parse(links.Dashboard); err == nil {
		if code, _, _ := staff.do("GET", d.RequestURI(), nil, "staff page"); code != http.StatusOK {
			t.Fatalf("dashboard %s: %d", d.RequestURI(), code)
		}
	}
	var waveIDs []int64
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Model(&store.Wave{}).Order("id").Pluck("id", &waveIDs).Error; err != nil {
		t.Fatal(err)
	}
	pages := []string{"/admin", "/admin/waves", "/admin/results", "/admin/results/schools/0", "/admin/roster", "/admin/users",
		"/admin/audit", "/admin/results/settings", "/admin/language-checks", "/admin/help-texts", "/admin/sms/settings", "/admin/tokens", "/admin/goals", "/admin/goals?school=0"}
	for _, id := range waveIDs {
		pages = append(pages, "/admin/waves/"+strconv.FormatInt(id, 10), "/admin/waves/"+strconv.FormatInt(id, 10)+"/codes")
	}
	for _, p := range pages {
		if code, _, _ := staff.do("GET", p, nil, "staff page"); code != http.StatusOK {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	// The API with a token made on the tokens page.
	_, page, _ = staff.do("GET", "/admin/tokens", nil, "")
	_, made, _ := staff.do("POST", "/admin/tokens", url.Values{"_csrf": {csrfIn(t, page)}, "name": {"district check"}}, "")
	token := regexp.MustCompile(`Bearer ([^ "<]+)`).FindStringSubmatch(made)
	if token == nil {
		t.Fatalf("no API token on the page:\n%.3000s", made)
	}
	api := newBrowser()
	for _, p := range []string{"/api/v1/schools", "/api/v1/waves"} {
		if code, body, _ := api.do("GET", p, nil, "api", "Authorization", "Bearer "+token[1]); code != http.StatusOK {
			t.Errorf("GET %s: %d %.300s", p, code, body)
		}
	}

	// Printed slips: a leader prints a school's slips, and a student types the personal code at /j.
	var slipWave store.WaveSchool
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Table("wave_schools ws").Select("ws.*").
		Joins("JOIN waves w ON w.district_id = ws.district_id AND w.id = ws.wave_id").
		Where("w.audience = ? AND w.status = ? AND EXISTS (SELECT 1 FROM invitations i WHERE i.district_id = ws.district_id AND i.wave_id = ws.wave_id AND i.school_id = ws.school_id AND i.completed_at IS NULL)",
			"student", store.StatusOpen).Order("ws.wave_id, ws.school_id").Take(&slipWave).Error; err != nil {
		t.Fatal(err)
	}
	slipsPage := fmt.Sprintf("/admin/waves/%d/slips", slipWave.WaveID)
	_, page, _ = staff.do("GET", slipsPage+"?school="+strconv.FormatInt(slipWave.SchoolID, 10), nil, "staff page")
	status, printed, _ := staff.do("POST", slipsPage, url.Values{"_csrf": {csrfIn(t, page)}, "school": {strconv.FormatInt(slipWave.SchoolID, 10)},
		"all": {"1"}, "format": {"html"}}, "staff page")
	personal := regexp.MustCompile(`\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b`).FindString(printed)
	if status != http.StatusOK || personal == "" {
		t.Fatalf("print slips: %d, no personal code on the page:\n%.2000s", status, printed)
	}
	slipper := newBrowser()
	_, form, _ = slipper.do("GET", "/j", nil, "respondent")
	_, _, h = slipper.do("POST", "/j", url.Values{"_csrf": {csrfIn(t, form)}, "code": {personal}}, "respondent")
	if loc := h.Get("Location"); !strings.HasPrefix(loc, "/s/") {
		t.Fatalf("typed personal code: to %q", loc)
	}
	slipper.answerSurvey(strings.SplitN(h.Get("Location"), "?", 2)[0])

	// Sign in to answer: a student with a school account signs in at /me, starts and answers.
	var pupil struct{ DistrictID, PersonID int64 }
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Table("invitations i").Select("i.district_id, i.person_id").
		Joins("JOIN waves w ON w.district_id = i.district_id AND w.id = i.wave_id").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("w.status = ? AND w.opens_at <= ? AND w.closes_at > ? AND i.completed_at IS NULL AND p.kind = ? AND NOT p.survey_opt_out",
			store.StatusOpen, s.Now(), s.Now(), store.KindStudent).Order("i.district_id, i.id").Take(&pupil).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Model(&store.Person{}).Where("district_id = ? AND id = ?", pupil.DistrictID, pupil.PersonID).
		Update("email", "pupil@students.district.test").Error; err != nil {
		t.Fatal(err)
	}
	me := newBrowser()
	_, _, h = me.do("GET", "/me/signin", nil, "respondent")
	state, authCode := fp.Authorize(h.Get("Location"), map[string]any{"email": "pupil@students.district.test", "email_verified": true})
	if code, _, h := me.do("GET", "/me/callback?"+url.Values{"state": {state}, "code": {authCode}}.Encode(), nil, "respondent"); code != http.StatusSeeOther {
		t.Fatalf("respondent sign-in: %d to %q", code, h.Get("Location"))
	}
	_, mine, _ := me.do("GET", "/me", nil, "respondent")
	mineID := regexp.MustCompile(`name="invitation" value="(\d+)"`).FindStringSubmatch(mine)
	if mineID == nil {
		t.Fatalf("no survey to start on /me:\n%.2000s", mine)
	}
	_, _, h = me.do("POST", "/me/start", url.Values{"_csrf": {csrfIn(t, mine)}, "invitation": {mineID[1]}}, "respondent")
	if loc := h.Get("Location"); !strings.HasPrefix(loc, "/s/") {
		t.Fatalf("start from /me: to %q", loc)
	}
	me.answerSurvey(strings.SplitN(h.Get("Location"), "?", 2)[0])
	// Staff single sign-on, for a staff member of the roster (an account is made on first sign-in).
	var teacher store.Person
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Where("kind = ? AND active AND school_id IS NOT NULL", store.KindStaff).Order("district_id, id").Take(&teacher).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.DB.Session(&gorm.Session{Logger: logger.Discard}).Model(&teacher).Update("email", "teacher@staff.district.test").Error; err != nil {
		t.Fatal(err)
	}
	ssoStaff := newBrowser()
	_, _, h = ssoStaff.do("GET", "/login/oidc", nil, "")
	state, authCode = fp.Authorize(h.Get("Location"), map[string]any{"email": "teacher@staff.district.test", "email_verified": true})
	if code, _, h := ssoStaff.do("GET", "/login/oidc/callback?"+url.Values{"state": {state}, "code": {authCode}}.Encode(), nil, "staff page"); code != http.StatusSeeOther || h.Get("Location") != "/admin" {
		t.Fatalf("staff single sign-on: %d to %q", code, h.Get("Location"))
	}

	stage("surveys answered, dashboard read")
	// Something for each queue to claim: a text and a mail of one invitation, an upload that is not
	// a zip (its import fails, which is an outcome like any other). Set up without recording.
	quiet := s.DB.Session(&gorm.Session{Logger: logger.Discard})
	var inv store.Invitation
	if err := quiet.Where(`NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.district_id = invitations.district_id AND m.invitation_id = invitations.id)
		AND NOT EXISTS (SELECT 1 FROM email_messages m WHERE m.district_id = invitations.district_id AND m.invitation_id = invitations.id)`).
		Order("district_id, id").First(&inv).Error; err != nil {
		t.Fatal(err)
	}
	now := s.Now()
	if err := quiet.Create(&store.SMSMessage{DistrictID: inv.DistrictID, ID: store.NewID(), InvitationID: inv.ID, Kind: sms.KindInvite,
		WaveID: inv.WaveID, SchoolID: inv.SchoolID, PersonID: inv.PersonID, ToNumber: "+15005550006", Language: "en", TimeZone: "UTC",
		Body: "hello", Status: store.SMSQueued, NotBefore: now.Add(-time.Minute), CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	if err := quiet.Create(&store.EmailMessage{DistrictID: inv.DistrictID, ID: store.NewID(), InvitationID: inv.ID, Kind: email.KindInvite,
		WaveID: inv.WaveID, PersonID: inv.PersonID, ToAddress: "family@example.org", Language: "en", Subject: "hello", Body: "hello",
		Status: store.EmailQueued, NextAttemptAt: now.Add(-time.Minute), CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	quietStore := *s
	quietStore.DB = quiet
	if _, err := roster.Enqueue(ctx, &quietStore, roster.Upload{DistrictID: inv.DistrictID, Source: "upload.zip", Audit: roster.Actor{Actor: "test"}},
		strings.NewReader("not a zip"), 1<<20); err != nil {
		t.Fatal(err)
	}

	// The workers and every periodic job, through the runner (its lease statements included).
	if _, err := svc.sms.SealLegacy(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.sms.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.email.SendDue(ctx); err != nil {
		t.Fatal(err)
	}
	if ran, err := svc.roster.RunOnce(ctx); err != nil || !ran {
		t.Fatalf("roster worker: ran %v, %v", ran, err)
	}
	if _, err := svc.sms.QueueDepths(ctx); err != nil { // the metrics scrape
		t.Fatal(err)
	}
	stage("senders and roster worker ran")
	// Twilio's webhooks: a delivery status for the text just sent, and a family's keywords.
	hooks := newBrowser()
	var smsID []int64
	if err := quiet.Model(&store.SMSMessage{}).Where("district_id = ? AND invitation_id = ?", inv.DistrictID, inv.ID).Pluck("id", &smsID).Error; err != nil || len(smsID) == 0 {
		t.Fatalf("the seeded text: %v %v", smsID, err)
	}
	hook := func(path string, form url.Values) {
		t.Helper()
		mac := hmac.New(sha1.New, []byte(districtHookToken))
		keys := make([]string, 0, len(form))
		for k := range form {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		mac.Write([]byte(cfg.BaseURL + path))
		for _, k := range keys {
			mac.Write([]byte(k + form.Get(k)))
		}
		sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if code, body, _ := hooks.do("POST", path, form, "twilio webhook", "X-Twilio-Signature", sig); code >= 300 {
			t.Errorf("POST %s: %d %.300s", path, code, body)
		}
	}
	hook(strings.TrimPrefix(sms.StatusCallbackURL(cfg.BaseURL, inv.DistrictID, smsID[0]), cfg.BaseURL), url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}})
	for i, body := range []string{"HELP", "STOP", "START", "1"} {
		hook("/webhooks/twilio/inbound", url.Values{"From": {"+15005550006"}, "Body": {body}, "MessageSid": {"SMin" + strconv.Itoa(i)}})
	}

	runCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	runner := &jobs.Runner{Store: s, Log: log}
	ran := map[string]error{}
	var mu sync.Mutex
	runner.Observe = func(job string, _ time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		ran[job] = err
		if len(ran) == len(PeriodicJobNames()) {
			cancel() // each ran once
		}
	}
	if err := runner.Run(runCtx, periodicJobs(svc, log)); err != nil {
		t.Fatal(err)
	}
	for _, name := range PeriodicJobNames() {
		if err, ok := ran[name]; !ok || err != nil {
			t.Errorf("periodic job %s: ran %v, err %v", name, ok, err)
		}
	}

	stage("periodic jobs ran")
	all := rec.since(0)
	bad := map[string]int{}
	allowed := map[string]int{}
	checked := 0
	for _, raw := range all {
		n := normalizeSQL(raw)
		if !sqlTouchesDB.MatchString(n) {
			continue
		}
		miss := districtCheck(n, project)
		if len(miss) == 0 {
			checked++
			continue
		}
		ok := false
		for _, a := range globalStatements {
			if regexp.MustCompile(a.pattern).MatchString(n) {
				ok = true
				allowed[a.reason]++
				break
			}
		}
		if !ok {
			bad[strings.Join(miss, ",")+": "+n]++
		}
	}
	for _, want := range []string{"update sms_messages set status = ?, attempts", "update email_messages set status = ?, attempts",
		"update roster_jobs set status = ?, attempts", "update job_leases set holder"} {
		seen := false
		for _, raw := range all {
			seen = seen || strings.HasPrefix(normalizeSQL(raw), want)
		}
		if !seen {
			t.Errorf("the flows never ran %q…: the check does not cover it", want)
		}
	}
	var shapes []string
	for k := range bad {
		shapes = append(shapes, k)
	}
	sort.Strings(shapes)
	for _, k := range shapes {
		t.Errorf("no district_id predicate on %s (%d times)", k, bad[k])
	}
	t.Logf("%d statements recorded, %d constrained by district_id; allowed without: %v", len(all), checked, allowed)
	for what, ns := range perRequest {
		t.Logf("statements per %s request: %v", what, ns)
	}
}

// districtBrowser walks the app over HTTP and counts the statements each request sends.
type districtBrowser struct {
	t      *testing.T
	base   string
	c      *http.Client
	rec    *statementRecorder
	counts map[string][]int
}

func (b *districtBrowser) do(method, path string, form url.Values, what string, header ...string) (int, string, http.Header) {
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
	before := b.rec.count()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if what != "" {
		b.counts[what] = append(b.counts[what], b.rec.count()-before)
	}
	return resp.StatusCode, string(raw), resp.Header
}

var (
	districtCSRF  = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	districtItems = regexp.MustCompile(`name="q_([a-z0-9_-]+)" value="0"`)
)

func csrfIn(t *testing.T, page string) string {
	t.Helper()
	m := districtCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in page:\n%.2000s", page)
	}
	return m[1]
}

// answerSurvey opens a survey link, answers every page and submits.
func (b *districtBrowser) answerSurvey(base string) {
	b.t.Helper()
	if code, _, _ := b.do("GET", base, nil, "respondent"); code != http.StatusOK {
		b.t.Fatalf("GET %s: %d", base, code)
	}
	for p := 1; p < 40; p++ {
		path := base + "/p/" + strconv.Itoa(p)
		code, page, _ := b.do("GET", path, nil, "respondent")
		if code != http.StatusOK {
			break
		}
		form := url.Values{"_csrf": {csrfIn(b.t, page)}, "nav": {"next"}}
		for _, m := range districtItems.FindAllStringSubmatch(page, -1) {
			form.Set("q_"+m[1], "0")
		}
		code, _, h := b.do("POST", path, form, "respondent")
		if code != http.StatusSeeOther {
			b.t.Fatalf("save %s: %d", path, code)
		}
		if !strings.Contains(h.Get("Location"), "/p/") {
			break
		}
	}
	code, review, _ := b.do("GET", base+"/review", nil, "respondent")
	if code != http.StatusOK {
		b.t.Fatalf("review %s: %d", base, code)
	}
	if code, _, _ := b.do("POST", base+"/submit", url.Values{"_csrf": {csrfIn(b.t, review)}}, "respondent"); code != http.StatusSeeOther {
		b.t.Fatalf("submit %s: %d", base, code)
	}
}

// The check itself: what it must catch and what it must let through.
func TestDistrictCheck(t *testing.T) {
	project := map[string]bool{"sms_messages": true, "invitations": true, "people": true, "waves": true, "drafts": true}
	cases := []struct {
		sql  string
		miss string
	}{
		// The SMS claim before #19 line 4, which Citus refuses: neither part names the district.
		{`UPDATE sms_messages SET status = $1 WHERE (district_id, id) IN (SELECT district_id, id FROM sms_messages WHERE status = $2 LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *`, "sms_messages,sms_messages"},
		// The subquery alone is not enough.
		{`UPDATE sms_messages SET status = $1 WHERE (district_id, id) IN (SELECT district_id, id FROM sms_messages WHERE status = $2 AND district_id = $3 LIMIT $4) RETURNING *`, "sms_messages"},
		{`UPDATE sms_messages SET status = $1 WHERE district_id = $2 AND id = ANY(ARRAY(SELECT id FROM sms_messages WHERE district_id = $3 AND status = $4 LIMIT $5 FOR UPDATE SKIP LOCKED)) RETURNING *`, ""},
		// A join is constrained through district_id = district_id.
		{`SELECT i.* FROM invitations i JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id WHERE i.district_id = 7 AND i.id = 9`, ""},
		{`SELECT i.* FROM invitations i JOIN people p ON p.id = i.person_id WHERE i.district_id = 7`, "people"},
		{`SELECT * FROM "waves" WHERE "waves"."district_id" = 5 AND status = 'open'`, ""},
		{`SELECT * FROM waves WHERE status = 'district_id = 1'`, "waves"},
		{`DELETE FROM drafts WHERE district_id = 1 AND wave_id IN (SELECT id FROM waves WHERE status = 'closed')`, "waves"},
		{`INSERT INTO "drafts" ("district_id","owner") VALUES (1,'x') ON CONFLICT DO NOTHING`, ""},
		{`INSERT INTO drafts (owner) VALUES ('x')`, "drafts"},
		{`SELECT 1`, ""},
	}
	for _, c := range cases {
		if got := strings.Join(districtCheck(normalizeSQL(c.sql), project), ","); got != c.miss {
			t.Errorf("%s\n  unconstrained %q, want %q", c.sql, got, c.miss)
		}
	}
}
