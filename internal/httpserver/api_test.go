package httpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// apiFixture adds to the admin fixture an open wave over both schools with scored responses:
// in Adams 15 of grade 05, 15 of grade 06 and 3 of grade 07 (too few to show); in Baker 12 of
// grade 05. School B's own wave is open too, so scope has something to hide.
type apiFixture struct {
	*adminFixture
	waveAB  store.Wave
	tokens  map[string]string // user key -> API token
	measure []string          // the instrument's measures, in order
}

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	ctx := context.Background()
	f := &apiFixture{adminFixture: newAdminFixture(t), tokens: map[string]string{}}
	now := f.st.Now()
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "District spring", InstrumentID: "student-pulse", InstrumentVersion: 1,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school, f.schoolB}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link"}})
	must(t, err)
	f.waveAB = w
	must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	must(t, f.waves.SetStatus(ctx, f.district, f.waveB.ID, store.StatusOpen))
	in, ok := f.waves.Surveys.Get("student-pulse", 1)
	if !ok {
		t.Fatal("no student-pulse v1")
	}
	for _, m := range in.Measures {
		f.measure = append(f.measure, m.ID)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	add := func(school int64, grade string, n int) {
		for range n {
			ans := make([]byte, len(in.Items))
			for i := range ans {
				ans[i] = byte('0' + rng.IntN(in.Scale.Points))
			}
			at := now
			r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: string(ans),
				Subgroups: store.Attrs{"grade": grade, "response_language": "en"}, SubmittedAt: &at}
			must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&r).Error; err != nil {
					return err
				}
				return sc.ScoreResponse(ctx, tx, in, &r)
			}))
		}
	}
	add(f.school, "05", 15)
	add(f.school, "06", 15)
	add(f.school, "07", 3)
	add(f.schoolB, "05", 12)
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err = rs.Refresh(ctx)
	must(t, err)
	for _, key := range []string{"admin", "leaderA", "leaderB", "counselorA", "analystA"} {
		tok, _, err := f.auth.CreateAPITokenFor(ctx, f.district, f.email(key), "test")
		must(t, err)
		f.tokens[key] = tok
	}
	return f
}

// api calls the API with a bearer token ("" for none) and decodes the JSON answer.
func (f *apiFixture) api(token, path string) (int, map[string]any, http.Header) {
	f.t.Helper()
	var h []string
	if token != "" {
		h = []string{"Authorization", "Bearer " + token}
	}
	code, body, hdr := f.browser().do("GET", path, nil, h...)
	return code, decodeJSON(f.t, path, body, hdr), hdr
}

var badNumber = regexp.MustCompile(`[:\[,]\s*[-+]?(NaN|Inf)`)

func decodeJSON(t *testing.T, path, body string, h http.Header) map[string]any {
	t.Helper()
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, body %s", path, ct, body)
	}
	if badNumber.MatchString(body) {
		t.Fatalf("%s: NaN or Inf in %s", path, body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", path, err, body)
	}
	return m
}

func itemsOf(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	return listOf(t, m, "items")
}

func listOf(t *testing.T, m map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := m[key].([]any)
	if !ok {
		t.Fatalf("no %q list in %v", key, m)
	}
	out := make([]map[string]any, len(raw))
	for i, r := range raw {
		out[i] = r.(map[string]any)
	}
	return out
}

func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// TestAPIAuth: a bearer token or the session cookie gets in; nothing else does, and each refusal
// is JSON with the right status.
func TestAPIAuth(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()

	// No credentials: 401 with a Bearer challenge.
	code, body, h := f.api("", "/api/v1/schools")
	if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") || body["error"] == nil {
		t.Fatalf("anonymous: %d %q %v", code, h.Get("WWW-Authenticate"), body)
	}
	if code, _, _ := f.api("", "/api/v1/waves"); code != http.StatusUnauthorized {
		t.Errorf("anonymous waves: %d", code)
	}
	// An unknown token, or a token in another scheme: 401 (invalid_token for the unknown one).
	code, _, h = f.api("tp_"+strings.Repeat("A", 43), "/api/v1/schools")
	if code != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("unknown token: %d %q", code, h.Get("WWW-Authenticate"))
	}
	if code, _, _ := f.browser().do("GET", "/api/v1/schools", nil, "Authorization", "Basic "+f.tokens["leaderA"]); code != http.StatusUnauthorized {
		t.Errorf("Basic scheme: %d", code)
	}

	// A valid token: the schools of the user's scope, ids as strings.
	code, body, h = f.api(f.tokens["leaderA"], "/api/v1/schools")
	if code != http.StatusOK || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("leader A: %d %v", code, body)
	}
	items := itemsOf(t, body)
	if len(items) != 1 || items[0]["id"] != itoa64(f.school) || items[0]["name"] != "Adams" || len(items[0]) != 2 {
		t.Errorf("leader A's schools: %v", items)
	}
	if _, body, _ := f.api(f.tokens["admin"], "/api/v1/schools"); len(itemsOf(t, body)) != 2 {
		t.Errorf("admin's schools: %v", body)
	}

	// Staff may not read results: by session, and by a token whose owner became staff.
	staff := f.signIn("staffA")
	if code, body, h := staff.do("GET", "/api/v1/schools", nil); code != http.StatusForbidden {
		t.Errorf("staff session: %d %s", code, body)
	} else {
		decodeJSON(t, "staff", body, h)
	}
	must(t, f.auth.SetRole(ctx, nil, f.district, f.users["counselorA"].ID, auth.Staff, []int64{f.school}))
	if code, _, _ := f.api(f.tokens["counselorA"], "/api/v1/schools"); code != http.StatusForbidden {
		t.Errorf("token of a user now staff: %d", code)
	}

	// The session cookie works as well as a token.
	b := f.signIn("leaderA")
	code, raw, h := b.do("GET", "/api/v1/schools", nil)
	if code != http.StatusOK || len(itemsOf(t, decodeJSON(t, "session", raw, h))) != 1 {
		t.Errorf("session cookie: %d %s", code, raw)
	}

	// An inactive account's token stops at once.
	must(t, f.st.DB.Model(&store.User{}).Where("district_id = ? AND id = ?", f.district, f.users["analystA"].ID).Update("active", false).Error)
	if code, _, _ := f.api(f.tokens["analystA"], "/api/v1/schools"); code != http.StatusUnauthorized {
		t.Errorf("inactive user's token: %d", code)
	}

	// Unknown API paths answer JSON too.
	if code, body, _ := f.api(f.tokens["leaderA"], "/api/v1/nothing"); code != http.StatusNotFound || body["error"] == nil {
		t.Errorf("unknown path: %d %v", code, body)
	}

	// The API is read-only: other methods are 405, in JSON.
	code, raw, h = f.browser().do("POST", "/api/v1/schools", url.Values{}, "Authorization", "Bearer "+f.tokens["leaderA"])
	if code != http.StatusMethodNotAllowed || h.Get("Allow") != "GET" {
		t.Errorf("POST: %d %q %s", code, h.Get("Allow"), raw)
	}
	decodeJSON(t, "POST", raw, h)

	// Guessing tokens spends the address's failure budget: then even a good token waits.
	for i := 0; i < 40; i++ {
		f.api(fmt.Sprintf("tp_%043d", i), "/api/v1/schools")
	}
	if code, _, h := f.api(f.tokens["leaderA"], "/api/v1/schools"); code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Errorf("after 40 failed lookups: %d", code)
	}

	// Tokens never reach the log, whether they work or not.
	var logged bytes.Buffer
	srv, err := httpserver.New(httpserver.Deps{Config: f.cfg(), Store: f.st, Log: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Surveys: f.waves.Surveys, Locales: f.locales, Waves: f.waves, Auth: f.auth})
	must(t, err)
	f.serve(srv)
	bad := "tp_" + strings.Repeat("B", 43)
	for _, tok := range []string{f.tokens["leaderA"], bad} {
		f.api(tok, "/api/v1/results?wave=1&school="+itoa64(f.school))
	}
	if !strings.Contains(logged.String(), "/api/v1/results") {
		t.Fatalf("no access log: %s", logged.String())
	}
	if strings.Contains(logged.String(), f.tokens["leaderA"]) || strings.Contains(logged.String(), bad) || strings.Contains(logged.String(), "Bearer") {
		t.Errorf("token in the log:\n%s", logged.String())
	}
}

// TestAPIWaves lists only non-draft waves that touch the caller's schools, with only those schools.
func TestAPIWaves(t *testing.T) {
	f := newAPIFixture(t)
	_, body, _ := f.api(f.tokens["leaderA"], "/api/v1/waves")
	items := itemsOf(t, body)
	if len(items) != 1 || items[0]["id"] != itoa64(f.waveAB.ID) || items[0]["name"] != "District spring" {
		t.Fatalf("leader A's waves (wave A is a draft, wave B another school's): %v", items)
	}
	w := items[0]
	if fmt.Sprint(w["schools"]) != fmt.Sprint([]any{itoa64(f.school)}) || w["status"] != "open" || w["audience"] != "student" ||
		w["instrument"] != "student-pulse" || !slices.Contains(w["attributes"].([]any), any("grade")) {
		t.Errorf("wave item: %v", w)
	}
	if _, err := time.Parse(time.RFC3339, w["opens_at"].(string)); err != nil {
		t.Errorf("opens_at: %v", err)
	}
	_, body, _ = f.api(f.tokens["admin"], "/api/v1/waves")
	ids := map[any]int{}
	for _, it := range itemsOf(t, body) {
		ids[it["id"]] = len(it["schools"].([]any))
	}
	if len(ids) != 2 || ids[itoa64(f.waveAB.ID)] != 2 || ids[itoa64(f.waveB.ID)] != 1 {
		t.Errorf("admin's waves: %v", body)
	}
}

var oneDecimal = regexp.MustCompile(`^-?\d+(\.\d)?$`)

// TestAPIResults checks the results contract: shown rows carry their numbers, rounded; hidden rows
// are exactly {measure, group, suppressed}; scope and parameters are checked.
func TestAPIResults(t *testing.T) {
	f := newAPIFixture(t)
	wab := itoa64(f.waveAB.ID)
	results := func(key, query string) (int, map[string]any) {
		t.Helper()
		code, body, _ := f.api(f.tokens[key], "/api/v1/results?"+query)
		return code, body
	}

	// Overall: one shown row per measure, in the instrument's order.
	code, body := results("leaderA", "wave="+wab+"&school="+itoa64(f.school))
	if code != http.StatusOK {
		t.Fatalf("overall: %d %v", code, body)
	}
	// Besides the rows, the rest of the district (#16 line 3): here Baker alone, so every row of
	// it is hidden, with no number.
	if len(body) != 2 || body["rest_of_district"] == nil {
		t.Errorf("top-level keys %v, want rows and rest_of_district", keysOf(body))
	} else if rest := body["rest_of_district"].(map[string]any); rest["schools"] != float64(1) {
		t.Errorf("rest of the district: %v", rest)
	} else {
		for _, r := range rest["rows"].([]any) {
			if r := r.(map[string]any); len(r) != 4 || r["suppressed"] != true || r["hidden"] != "few_schools" || r["group"] != "rest_of_district" {
				t.Errorf("rest of the district row (Baker alone): %v", r)
			}
		}
	}
	rows := listOf(t, body, "rows")
	if len(rows) != len(f.measure) {
		t.Fatalf("%d rows, want one per measure (%d): %v", len(rows), len(f.measure), rows)
	}
	for i, r := range rows {
		if r["measure"] != f.measure[i] || r["group"] != "all" || r["suppressed"] != false || r["n"] != float64(33) {
			t.Errorf("overall row %d: %v", i, r)
		}
		for _, k := range []string{"mean", "ci_low", "ci_high", "favorable"} {
			v, ok := r[k].(float64)
			if !ok || !oneDecimal.MatchString(fmt.Sprint(v)) || v < 0 || v > 100 {
				t.Errorf("row %d %s = %v: want a number rounded to one decimal", i, k, r[k])
			}
		}
		if lo, m, hi := r["ci_low"].(float64), r["mean"].(float64), r["ci_high"].(float64); !(lo <= m && m <= hi) {
			t.Errorf("row %d: interval %v..%v around %v", i, lo, hi, m)
		}
	}

	// By grade: grade 07 (3 students) is pooled with grade 05 (the next smallest) into one combined
	// group, and not listed (#16 line 2); nothing is under the floor.
	code, body = results("leaderA", "wave="+wab+"&school="+itoa64(f.school)+"&by=grade")
	if code != http.StatusOK {
		t.Fatalf("by grade: %d %v", code, body)
	}
	shown, hidden := 0, 0
	groups := map[string]bool{}
	for _, r := range listOf(t, body, "rows") {
		groups[r["group"].(string)] = true
		switch r["suppressed"] {
		case true:
			hidden++
			if got := keysOf(r); !slices.Equal(got, []string{"group", "hidden", "measure", "suppressed"}) {
				t.Errorf("hidden row has keys %v: %v", got, r)
			}
		case false:
			shown++
			for _, k := range []string{"measure", "group", "n", "mean", "ci_low", "ci_high", "favorable"} {
				if _, ok := r[k]; !ok {
					t.Errorf("shown row lacks %s: %v", k, r)
				}
			}
			if n := r["n"].(float64); n < 10 {
				t.Errorf("shown row under the floor: %v", r)
			}
		default:
			t.Errorf("row without suppressed: %v", r)
		}
		if r["group"] == report.Combined && (r["n"] != float64(18) || r["combines"] != nil) {
			t.Errorf("combined row %v, want 18 (3 + 15), its groups not named", r)
		}
	}
	if groups["05"] || !groups["06"] || groups["07"] || !groups[report.Combined] || hidden != 0 || shown != 2*len(f.measure) {
		t.Errorf("by grade: groups %v, %d shown, %d hidden", groups, shown, hidden)
	}

	// Parameters.
	code, body = results("leaderA", "wave="+wab+"&school="+itoa64(f.school)+"&by=shoe_size")
	if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "grade") || !slices.Contains(body["allowed"].([]any), any("grade")) {
		t.Errorf("unknown by: %d %v", code, body)
	}
	for _, tc := range []struct {
		key, query string
		want       int
	}{
		{"leaderA", "school=" + itoa64(f.school), 400},                                  // no wave
		{"leaderA", "wave=abc&school=" + itoa64(f.school), 400},                         // malformed wave
		{"leaderA", "wave=" + wab + "&school=abc", 400},                                 // malformed school
		{"leaderA", "wave=999&school=" + itoa64(f.school), 404},                         // unknown wave
		{"leaderA", "wave=" + itoa64(f.waveA.ID) + "&school=" + itoa64(f.school), 404},  // a draft
		{"leaderA", "wave=" + itoa64(f.waveB.ID) + "&school=" + itoa64(f.schoolB), 404}, // another school's wave
		{"leaderA", "wave=" + wab + "&school=" + itoa64(f.schoolB), 404},                // out of scope: as if unknown
		{"leaderA", "wave=" + wab + "&school=12345", 404},                               // unknown school
		{"admin", "wave=" + itoa64(f.waveB.ID) + "&school=" + itoa64(f.school), 404},    // school not in the wave
		{"leaderA", "wave=" + wab, 403},                                                 // district rows need every school of the wave
		{"leaderB", "wave=" + wab + "&school=" + itoa64(f.schoolB), 200},
		{"analystA", "wave=" + wab + "&school=" + itoa64(f.school) + "&by=gender", 200},
	} {
		if code, body := results(tc.key, tc.query); code != tc.want || (code != 200 && body["error"] == nil) {
			t.Errorf("%s %s: %d %v, want %d", tc.key, tc.query, code, body, tc.want)
		}
	}
	// Out of scope and unknown read the same, so a refusal does not confirm that a school exists.
	_, out := results("leaderA", "wave="+wab+"&school="+itoa64(f.schoolB))
	_, unknown := results("leaderA", "wave="+wab+"&school=12345")
	if fmt.Sprint(out) != fmt.Sprint(unknown) {
		t.Errorf("out of scope %v differs from unknown %v", out, unknown)
	}

	// District-wide rows for the admin: both schools together.
	for _, q := range []string{"wave=" + wab, "wave=" + wab + "&school=district"} {
		code, body = results("admin", q)
		if code != http.StatusOK {
			t.Fatalf("district %s: %d %v", q, code, body)
		}
		if r := listOf(t, body, "rows")[0]; r["n"] != float64(45) || r["group"] != "all" {
			t.Errorf("district row: %v", r)
		}
	}

	// Participation: respondents per group under the same floor.
	code, raw, h := f.browser().do("GET", "/api/v1/participation?wave="+wab+"&school="+itoa64(f.school)+"&by=grade", nil,
		"Authorization", "Bearer "+f.tokens["leaderA"])
	if code != http.StatusOK {
		t.Fatalf("participation: %d %s", code, raw)
	}
	for _, r := range listOf(t, decodeJSON(t, "participation", raw, h), "rows") {
		if r["suppressed"] == true && !slices.Equal(keysOf(r), []string{"group", "hidden", "suppressed"}) {
			t.Errorf("hidden participation row: %v", r)
		}
		if r["group"] == "07" && r["suppressed"] != true {
			t.Errorf("grade 07 shown: %v", r)
		}
		if n, ok := r["n"].(float64); ok && (n < 10 || math.Trunc(n) != n) {
			t.Errorf("participation row: %v", r)
		}
	}

	// The session cookie reads results too.
	b := f.signIn("leaderA")
	if code, raw, _ := b.do("GET", "/api/v1/results?wave="+wab+"&school="+itoa64(f.school), nil); code != http.StatusOK {
		t.Errorf("results by session: %d %s", code, raw)
	}
}

// TestAPIOpenAPI: the document is public, parses, is OpenAPI 3, and describes every endpoint and
// both ways to authenticate.
func TestAPIOpenAPI(t *testing.T) {
	f := newAdminFixture(t)
	code, raw, h := f.browser().do("GET", "/api/v1/openapi.json", nil)
	if code != http.StatusOK {
		t.Fatalf("openapi.json: %d %s", code, raw)
	}
	doc := decodeJSON(t, "openapi", raw, h)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range []string{"/api/v1/schools", "/api/v1/waves", "/api/v1/results", "/api/v1/participation", "/api/v1/openapi.json"} {
		op, _ := paths[p].(map[string]any)
		if op["get"] == nil {
			t.Errorf("path %s missing", p)
		}
	}
	if len(paths) != 5 {
		t.Errorf("paths %v", keysOf(paths))
	}
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	bearer, _ := schemes["bearer"].(map[string]any)
	cookie, _ := schemes["session"].(map[string]any)
	if bearer["type"] != "http" || bearer["scheme"] != "bearer" || cookie["type"] != "apiKey" || cookie["in"] != "cookie" {
		t.Errorf("security schemes: %v", schemes)
	}
	// Every $ref points at a schema that exists.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, m := range regexp.MustCompile(`"\$ref": "#/components/schemas/(\w+)"`).FindAllStringSubmatch(raw, -1) {
		if schemas[m[1]] == nil {
			t.Errorf("dangling $ref %s", m[1])
		}
	}
}

var tokenRE = regexp.MustCompile(`<code>(tp_[A-Za-z0-9_-]+)</code>`)

// TestAdminTokens: a reader creates a token (shown once), uses it, sees it listed without the
// secret, and revokes it; others cannot revoke it; both steps are audited; forms need CSRF.
func TestAdminTokens(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	b := f.signIn("leaderA")
	code, page, _ := b.do("GET", "/admin/tokens", nil)
	if code != http.StatusOK || !strings.Contains(page, `href="/admin/tokens"`) {
		t.Fatalf("tokens page: %d\n%s", code, page)
	}
	if code, _, _ := f.signIn("staffA").do("GET", "/admin/tokens", nil); code != http.StatusForbidden {
		t.Errorf("staff tokens page: %d", code)
	}
	if code, _, _ := b.do("POST", "/admin/tokens", url.Values{"name": {"no csrf"}}); code != http.StatusForbidden {
		t.Errorf("create without CSRF: %d", code)
	}
	if code, _, _ := b.do("POST", "/admin/tokens", url.Values{"_csrf": {csrfOf(t, page)}, "name": {"  "}}); code != http.StatusUnprocessableEntity {
		t.Errorf("empty name: %d", code)
	}
	code, page, _ = b.do("POST", "/admin/tokens", url.Values{"_csrf": {csrfOf(t, page)}, "name": {"Power BI"}})
	m := tokenRE.FindStringSubmatch(page)
	if code != http.StatusOK || m == nil {
		t.Fatalf("create: %d\n%s", code, page)
	}
	token := m[1]
	api := func() int {
		code, _, _ := f.browser().do("GET", "/api/v1/schools", nil, "Authorization", "Bearer "+token)
		return code
	}
	if got := api(); got != http.StatusOK {
		t.Fatalf("new token: %d", got)
	}
	// Listed by name with its last use; the secret is never shown again.
	_, page, _ = b.do("GET", "/admin/tokens", nil)
	if !strings.Contains(page, "Power BI") || strings.Contains(page, token) || strings.Contains(page, "never") {
		t.Errorf("list after use:\n%s", page)
	}
	tokens, err := f.auth.APITokens(ctx, &auth.Principal{User: f.users["leaderA"]})
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens: %v %v", tokens, err)
	}
	revoke := "/admin/tokens/" + itoa64(tokens[0].ID) + "/revoke"
	other := f.signIn("leaderB")
	_, otherPage, _ := other.do("GET", "/admin/tokens", nil)
	if code, _, _ := other.do("POST", revoke, url.Values{"_csrf": {csrfOf(t, otherPage)}}); code != http.StatusNotFound {
		t.Errorf("revoke by another user: %d", code)
	}
	if got := api(); got != http.StatusOK {
		t.Errorf("token after another user's attempt: %d", got)
	}
	code, _, h := b.do("POST", revoke, url.Values{"_csrf": {csrfOf(t, page)}})
	if code != http.StatusSeeOther || h.Get("Location") != "/admin/tokens?notice=revoked" {
		t.Fatalf("revoke: %d %q", code, h.Get("Location"))
	}
	if got := api(); got != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", got)
	}
	log, err := f.auth.AuditLog(ctx, f.district, 100)
	must(t, err)
	count := map[string]int{}
	for _, e := range log {
		count[e.Action]++
		if strings.Contains(e.Detail+e.Target, token) {
			t.Errorf("token in the audit log: %+v", e)
		}
	}
	if count[auth.ActionAPITokenCreate] != 1 || count[auth.ActionAPITokenRevoke] != 1 {
		t.Errorf("audit: %v", count)
	}
}

// TestAPITwoWay: a two-way breakdown the district enabled is answered whole where every
// combination clears the floor and hides nothing, and otherwise as one withheld row per measure
// that does not even say which combinations exist.
func TestAPITwoWay(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	must(t, rs.SetReporting(ctx, f.district, 10, nil, []string{"grade,gender"}))
	_, err := rs.Refresh(ctx)
	must(t, err)
	wab := itoa64(f.waveAB.ID)

	_, body, _ := f.api(f.tokens["admin"], "/api/v1/waves")
	for _, w := range itemsOf(t, body) {
		if w["id"] == wab && !slices.Contains(w["attributes"].([]any), any("grade,gender")) {
			t.Errorf("wave attributes %v lack the enabled two-way breakdown", w["attributes"])
		}
	}
	// School B: 12 fifth graders, gender not recorded — one combination, 12 ≥ 10, margins shown.
	code, body, _ := f.api(f.tokens["leaderB"], "/api/v1/results?wave="+wab+"&school="+itoa64(f.schoolB)+"&by=grade,gender")
	rows := listOf(t, body, "rows")
	if code != http.StatusOK || len(rows) != len(f.measure) {
		t.Fatalf("school B two-way: %d %v", code, body)
	}
	for _, r := range rows {
		if r["group"] != "05,not_recorded" || r["suppressed"] != false || r["n"] != float64(12) {
			t.Errorf("school B two-way row %v, want group 05,not_recorded with n 12", r)
		}
	}
	// School A has 3 seventh graders: its table, and so the district's, is withheld whole.
	for _, q := range []struct{ key, school string }{{"leaderA", itoa64(f.school)}, {"admin", "district"}} {
		code, body, _ := f.api(f.tokens[q.key], "/api/v1/results?wave="+wab+"&school="+q.school+"&by=grade,gender")
		rows := listOf(t, body, "rows")
		if code != http.StatusOK || len(rows) != len(f.measure) {
			t.Fatalf("%s two-way: %d %v", q.school, code, body)
		}
		for i, r := range rows {
			if !slices.Equal(keysOf(r), []string{"group", "hidden", "measure", "suppressed"}) || r["group"] != "*" || r["suppressed"] != true ||
				r["hidden"] != "protect" || r["measure"] != f.measure[i] {
				t.Errorf("%s two-way row %v, want only {measure, group: *, suppressed: true, hidden: protect}", q.school, r)
			}
		}
	}
	// The dashboards say the same: school B's table by combination, school A's withheld whole.
	page := func(key string, school int64) string {
		t.Helper()
		code, out, _ := f.signIn(key).do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%s&by=grade,gender", school, wab), nil)
		if code != http.StatusOK {
			t.Fatalf("%s school page by grade × gender: %d", key, code)
		}
		return out
	}
	if out := page("leaderB", f.schoolB); !strings.Contains(out, "Grade 5 × Not recorded") || strings.Contains(out, "withheld") {
		t.Errorf("school B page does not show its two-way table:\n%s", out)
	}
	if out := page("leaderA", f.school); !strings.Contains(out, "withheld") || strings.Contains(out, "Grade 7 ×") || strings.Contains(out, "Grade 5 ×") {
		t.Errorf("school A page lists combinations of a withheld table:\n%s", out)
	}
	// A pair the district did not enable is refused like any unknown breakdown.
	if code, _, _ := f.api(f.tokens["admin"], "/api/v1/results?wave="+wab+"&by=grade,race_ethnicity"); code != http.StatusBadRequest {
		t.Errorf("a pair not enabled: %d, want 400", code)
	}
}
