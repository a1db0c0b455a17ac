package httpserver_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/web"
)

// resultsSnapshot is everything a reader of school A's results can fetch: the API's results and
// participation for Adams, Baker and the district under every breakdown, and the school page's
// item table exported as CSV.
type resultsSnapshot struct {
	api   map[string]map[string]any // path -> answer
	items []string                  // CSV lines of Adams' item table
}

func (f *apiFixture) snapshot(t *testing.T) resultsSnapshot {
	t.Helper()
	wab := itoa64(f.waveAB.ID)
	s := resultsSnapshot{api: map[string]map[string]any{}}
	for _, school := range []string{itoa64(f.school), itoa64(f.schoolB), "district"} {
		for _, by := range []string{"", "grade", "gender", "response_language"} {
			for _, ep := range []string{"results", "participation"} {
				path := "/api/v1/" + ep + "?wave=" + wab + "&school=" + school + "&by=" + by
				code, body, _ := f.api(f.tokens["admin"], path)
				if code != 200 {
					t.Fatalf("%s: %d %v", path, code, body)
				}
				s.api[path] = body
			}
		}
	}
	b := f.signIn("admin")
	code, csv, _ := b.do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d&format=csv&table=items", f.school, f.waveAB.ID), nil)
	if code != 200 {
		t.Fatalf("items export: %d %s", code, csv)
	}
	s.items = strings.Split(strings.TrimSpace(csv), "\n")
	// The exports with response rates and subgroup tables, and the district overview.
	for _, path := range []string{
		fmt.Sprintf("/admin/results/schools/%d?wave=%d&format=csv&table=rates", f.school, f.waveAB.ID),
		fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=grade&format=csv&table=subgroups", f.school, f.waveAB.ID),
		fmt.Sprintf("/admin/results?wave=%d&format=csv", f.waveAB.ID),
	} {
		code, body, _ := b.do("GET", path, nil)
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		s.api[path] = map[string]any{"csv": body}
	}
	return s
}

// addOne stores and scores one response of Adams' grade 06, as whatever writes responses does.
func (f *apiFixture) addOne(t *testing.T, answer byte) {
	t.Helper()
	ctx := context.Background()
	in, _ := f.waves.Surveys.Get("student-pulse", 1)
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: f.waveAB.ID, SchoolID: f.school, Language: "en",
		Answers: strings.Repeat(string(answer), len(in.Items)), Subgroups: store.Attrs{"grade": "06", "response_language": "en"}}
	must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return sc.ScoreResponse(ctx, tx, in, &r)
	}))
}

// TestBeforeAfterAttackRecoversNothing is the time-differencing attack of issue 17: a reader
// snapshots everything before and after ONE student submits and the results refresh, and
// subtracts. Every measure whose n or mean moved gives the student's score (and so band) away;
// every item whose % favorable moved gives their answer away. With batched release nothing moves.
func TestBeforeAfterAttackRecoversNothing(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	before := f.snapshot(t)
	f.addOne(t, '3')
	_, err := rs.Refresh(ctx)
	must(t, err)
	after := f.snapshot(t)

	measures := map[string]bool{}
	for path, b := range before.api {
		a := after.api[path]
		if !strings.HasPrefix(path, "/api/v1/results?") {
			if fmt.Sprint(a) != fmt.Sprint(b) {
				measures["participation"] = true
			}
			continue
		}
		ra, rb := listOf(t, a, "rows"), listOf(t, b, "rows")
		for i := range rb {
			if i >= len(ra) || fmt.Sprint(ra[i]) != fmt.Sprint(rb[i]) {
				measures[fmt.Sprint(rb[i]["measure"])] = true
			}
		}
	}
	items := 0
	for i := range before.items {
		if i >= len(after.items) || after.items[i] != before.items[i] {
			items++
		}
	}
	delete(measures, "participation")
	if len(measures) > 0 || items > 0 || fmt.Sprint(before.api) != fmt.Sprint(after.api) {
		t.Errorf("one submission moved visible numbers: recovered %d/%d measures %v and %d/%d item lines",
			len(measures), len(f.measure), measures, items, len(before.items)-1)
	}

	// Four more of the same group make a batch of k = 5 in every cell they change: released.
	for range 4 {
		f.addOne(t, '0')
	}
	_, err = rs.Refresh(ctx)
	must(t, err)
	released := f.snapshot(t)
	if fmt.Sprint(released.api) == fmt.Sprint(after.api) {
		t.Error("a batch of 5 in every changed cell was not released")
	}
}

var completedCell = regexp.MustCompile(`<td>(\d+)</td><td>(\d+)</td><td>[^<]*</td></tr>`)

// TestWavePageCountsObeyTheFloor is the small-group participation attack: the wave page must not
// show a completed count below the floor for any school or grade ("grade 07: 3 completed of 64"
// says who answered), nor one that subtraction from shown counts recovers.
func TestWavePageCountsObeyTheFloor(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	must(t, f.waves.SetStatus(ctx, f.district, f.waveA.ID, store.StatusOpen))
	// One of Adams' two invited students answers.
	var inv store.Invitation
	must(t, f.st.DB.Where("district_id = ? AND wave_id = ?", f.district, f.waveA.ID).Order("id").First(&inv).Error)
	now := f.st.Now()
	must(t, f.st.DB.Model(&inv).Update("completed_at", now).Error)
	in, _ := f.waves.Surveys.Get("student-pulse", 1)
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	rng := rand.New(rand.NewPCG(1, 2))
	ans := make([]byte, len(in.Items))
	for i := range ans {
		ans[i] = byte('0' + rng.IntN(in.Scale.Points))
	}
	r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: f.waveA.ID, SchoolID: f.school, Language: "en", Answers: string(ans),
		Subgroups: store.Attrs{"grade": "05"}}
	must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		return sc.ScoreResponse(ctx, tx, in, &r)
	}))
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err := rs.Refresh(ctx)
	must(t, err)

	for _, key := range []string{"admin", "leaderA", "counselorA"} {
		_, page, _ := f.signIn(key).do("GET", fmt.Sprintf("/admin/waves/%d", f.waveA.ID), nil)
		for _, m := range completedCell.FindAllStringSubmatch(page, -1) {
			if m[2] != "0" && len(m[2]) < 2 { // a completed count from 1 to 9, under the floor of 10
				t.Errorf("%s: the wave page shows %s completed of %s invited", key, m[2], m[1])
			}
		}
		if strings.Contains(page, "1 of 4 invited") || strings.Contains(page, "1 of 2 invited") {
			t.Errorf("%s: the wave page's total shows one respondent", key)
		}
	}
}

// TestWavePageShowsReleasedCounts: the wave page's rates are the released results' respondent
// cells: Adams' 33 and Baker's 12 are shown, Adams' 3 seventh graders are not: they are combined
// with the next smallest grade (05) into one group of 18 (#16 line 2), and neither grade is
// listed on its own, so no subtraction gives the 3 away.
func TestWavePageShowsReleasedCounts(t *testing.T) {
	f := newAPIFixture(t)
	_, page, _ := f.signIn("admin").do("GET", fmt.Sprintf("/admin/waves/%d", f.waveAB.ID), nil)
	rows := regexp.MustCompile(`<tr><td>(Adams|Baker)</td><td>([^<]*)</td>(.*?)</tr>`).FindAllStringSubmatch(page, -1)
	got := map[string]string{}
	for _, r := range rows {
		got[r[1]+" "+r[2]] = r[3]
	}
	shown := func(key, n string) bool { return strings.Contains(got[key], "<td>"+n+"</td>") }
	hidden := func(key string) bool { return strings.Contains(got[key], "Not shown") }
	_, grade5 := got["Adams Grade 5"]
	_, grade7 := got["Adams Grade 7"]
	if !shown("Adams All grades", "33") || !shown("Baker All grades", "12") || !shown("Baker Grade 5", "12") || grade7 || grade5 ||
		!shown("Adams Grade 6", "15") || !shown("Adams Combined", "18") {
		t.Errorf("rows %v", got)
	}
	for k := range got {
		if hidden(k) {
			t.Errorf("%s hidden: %v", k, got)
		}
	}
	if !strings.Contains(page, "45 responses (open links") {
		t.Errorf("no total line:\n%s", page[strings.Index(page, "<h2>"):])
	}
}

// TestAdminReleaseSettings: the release rule is chosen on the results settings page; a bad batch
// size or time is refused with the field named and nothing saved; a valid choice is saved and
// audited.
func TestAdminReleaseSettings(t *testing.T) {
	f := newAdminFixture(t)
	b := f.signIn("admin")
	_, page, _ := b.do("GET", "/admin/results/settings", nil)
	if !strings.Contains(page, `name="release_mode" value="batch" checked`) || !strings.Contains(page, `id="release_k" name="release_k" type="number" min="3" value="5"`) {
		t.Fatalf("settings page lacks the release rule:\n%s", page)
	}
	csrf := csrfOf(t, page)
	post := func(mode, k, at string) (int, string) {
		code, page, _ := b.do("POST", "/admin/results/settings", url.Values{"_csrf": {csrf}, "floor": {"10"}, "release_mode": {mode}, "release_k": {k}, "release_at": {at}})
		return code, page
	}
	for _, tt := range []struct{ mode, k, at, want string }{
		{"batch", "2", "06:00", "release batch size 2: must be from 3 to 1000"},
		{"batch", "five", "06:00", "Release batch size: enter a whole number of at least 3."},
		{"daily", "5", "25:00", `daily release time &#34;25:00&#34;: enter a time as HH:MM, from 00:00 to 23:59`},
		{"hourly", "5", "06:00", `release of results: unknown choice &#34;hourly&#34;`},
	} {
		if code, page := post(tt.mode, tt.k, tt.at); code != 422 || !strings.Contains(page, tt.want) {
			t.Errorf("%s k=%s at=%s: %d, want 422 with %q\n%s", tt.mode, tt.k, tt.at, code, tt.want, page)
		}
	}
	var d store.District
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&d).Error)
	if d.Settings[report.SettingReleaseMode] != "" || d.Settings[report.SettingReleaseK] != "" {
		t.Fatalf("a refused change was saved: %v", d.Settings)
	}
	if code, _ := post("daily", "7", "14:30"); code != 303 {
		t.Fatalf("valid change: %d", code)
	}
	must(t, f.st.DB.Where("district_id = ?", f.district).First(&d).Error)
	if got := report.ReleasePolicyOf(d.Settings); got != (report.ReleasePolicy{Mode: report.ReleaseDaily, K: 7, At: "14:30"}) {
		t.Errorf("saved %+v", got)
	}
	var audits int64
	must(t, f.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ? AND detail LIKE ?", f.district, "results.settings",
		"%release daily k 7 at 14:30").Count(&audits).Error)
	if audits != 1 {
		t.Errorf("%d audit entries for the change", audits)
	}
}

// TestWavePageShowsABuildFailure: a wave whose results cannot be built says so on its page (the
// error itself to the district admin only) and on the settings page, while other waves refresh.
func TestWavePageShowsABuildFailure(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	must(t, f.st.DB.Create(&store.Instrument{DistrictID: f.district, InstrumentID: "student-pulse", Version: 99, Audience: "student", CreatedAt: f.st.Now()}).Error)
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.waveAB.ID).Update("instrument_version", 99).Error)
	t.Cleanup(func() { // the package's tests share a database, and every Refresh would report this wave
		f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.waveAB.ID).Update("instrument_version", 1)
	})
	must(t, store.MarkWaveStale(f.st.DB, f.district, f.waveAB.ID))
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	if _, err := rs.Refresh(ctx); !errors.Is(err, report.ErrWaveFailed) {
		t.Fatalf("Refresh: %v", err)
	}
	path := fmt.Sprintf("/admin/waves/%d", f.waveAB.ID)
	_, page, _ := f.signIn("admin").do("GET", path, nil)
	if !strings.Contains(page, "could not be built") || !strings.Contains(page, "student-pulse v99 is not in this program") {
		t.Errorf("admin's wave page does not show the failure:\n%s", page)
	}
	_, page, _ = f.signIn("leaderA").do("GET", path, nil)
	if !strings.Contains(page, "could not be built") || strings.Contains(page, "not in this program") {
		t.Errorf("leader's wave page: want the notice without the error")
	}
	_, page, _ = f.signIn("admin").do("GET", "/admin/results/settings", nil)
	if !strings.Contains(page, "Waves whose results could not be built") || !strings.Contains(page, "District spring") {
		t.Errorf("settings page does not list the failing wave")
	}
}

// TestReleaseMessagesExist: every {{msg "id"}} on the staff pages this change localized exists in
// the English dashboard catalog (TestDashboardCatalogs checks Spanish against English).
func TestReleaseMessagesExist(t *testing.T) {
	cat, err := httpserver.LoadDashboardLocales(locales.FS)
	must(t, err)
	msgRE := regexp.MustCompile(`\{\{[^}]*\bmsg\s+"([^"]+)"`)
	for _, name := range []string{"templates/admin/wave.html", "templates/admin/settings.html"} {
		data, err := web.FS.ReadFile(name)
		must(t, err)
		found := msgRE.FindAllStringSubmatch(string(data), -1)
		if len(found) == 0 {
			t.Errorf("%s uses no messages", name)
		}
		for _, m := range found {
			if _, ok := cat.Message("en", m[1]); !ok {
				t.Errorf("%s uses %s, which the English dashboard catalog lacks", name, m[1])
			}
		}
	}
	for _, mode := range report.ReleaseModes { // settings.html builds these ids
		if _, ok := cat.Message("en", "release_settings.mode_"+mode); !ok {
			t.Errorf("no label for release mode %s", mode)
		}
	}
}
