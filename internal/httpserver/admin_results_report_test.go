package httpserver_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// addWave adds to the results fixture an open anonymous wave of instrument over Adams and Baker
// with n scored responses per school (answers around level), and rebuilds the results.
func (f *resultsFixture) addWave(t *testing.T, instrument, name string, opens time.Time, n map[int64]int, level int) store.Wave {
	t.Helper()
	ctx := context.Background()
	in, ok := f.waves.Surveys.Get(instrument, 1)
	if !ok {
		t.Fatalf("no %s v1", instrument)
	}
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: in.ID, InstrumentVersion: in.Version,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school, f.schoolB}, OpensAt: opens, ClosesAt: f.st.Now().Add(48 * time.Hour), Channels: []string{"link"}})
	must(t, err)
	must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	rng := rand.New(rand.NewPCG(uint64(len(name)), 7))
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	for _, school := range []int64{f.school, f.schoolB} {
		for range n[school] {
			ans := make([]byte, len(in.Items))
			for i := range ans {
				ans[i] = byte('0' + max(0, min(in.Scale.Points-1, level+rng.IntN(2))))
			}
			at := f.st.Now()
			r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: string(ans),
				Subgroups: store.Attrs{"response_language": "en"}, SubmittedAt: &at}
			must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&r).Error; err != nil {
					return err
				}
				return sc.ScoreResponse(ctx, tx, in, &r)
			}))
		}
	}
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err = rs.Refresh(ctx)
	must(t, err)
	return w
}

func (f *resultsFixture) reportPage(school int64, wave store.Wave) string {
	return fmt.Sprintf("/admin/results/schools/%d/report?wave=%d", school, wave.ID)
}

// TestSchoolReportAccess: the printable report follows the school page's scope — readers of
// results see their own schools' reports, another school's is the same 404 as a missing one,
// and the district's report only for whoever may see every school of the wave.
func TestSchoolReportAccess(t *testing.T) {
	f := newResultsFixture(t)
	type want map[string]int
	reader := func(own, other int) want {
		return want{"admin": 200, "leaderA": own, "counselorA": own, "analystA": own, "staffA": 403, "leaderB": other}
	}
	none := want{"admin": 404, "leaderA": 404, "counselorA": 404, "analystA": 404, "staffA": 403, "leaderB": 404}
	tests := []struct {
		path string
		want want
	}{
		{f.reportPage(f.school, f.fall), reader(200, 404)},
		{f.reportPage(f.schoolB, f.fall), reader(404, 200)},
		{fmt.Sprintf("/admin/results/schools/%d/report", f.school), reader(200, 404)},
		{f.reportPage(0, f.fall), reader(404, 404)},
		{"/admin/results/schools/999/report", none},
		{"/admin/results/schools/x/report", none},
		{fmt.Sprintf("/admin/results/schools/%d/report?wave=%d", f.school, f.waveB.ID), none}, // a draft
	}
	browsers := map[string]*browser{}
	for role := range tests[0].want {
		browsers[role] = f.signIn(role)
	}
	for _, tc := range tests {
		for role, code := range tc.want {
			got, body, _ := browsers[role].do("GET", tc.path, nil)
			if got != code {
				t.Errorf("%s as %s: status %d, want %d\n%.300s", tc.path, role, got, code, body)
			}
			if got != 200 && (strings.Contains(body, "Baker") || strings.Contains(body, "Adams")) {
				t.Errorf("%s as %s: refusal names a school: %s", tc.path, role, body)
			}
		}
	}
	// The school page links to its report.
	_, page, _ := browsers["leaderA"].do("GET", f.schoolPage(f.school), nil)
	if !strings.Contains(page, fmt.Sprintf(`href="/admin/results/schools/%d/report?wave=%d"`, f.school, f.fall.ID)) {
		t.Errorf("the school page does not link to its printable report")
	}
}

var markupRE = regexp.MustCompile(`<[^>]*>`)

// section returns the text of the report's section whose heading has id.
func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section %s", id)
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return strings.Join(strings.Fields(markupRE.ReplaceAllString(rest, " ")), " ")
}

// TestSchoolReportContent: the report has the headline measures (% favorable first), what
// changed, the trend, the strongest and weakest questions and the biggest gaps — from shown cells
// only: the three nonbinary students (and any group hidden to protect them) appear nowhere.
func TestSchoolReportContent(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("leaderA")
	code, page, h := br.do("GET", f.reportPage(f.school, f.fall), nil)
	if code != 200 || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("report: %d %q", code, h.Get("Cache-Control"))
	}
	if !strings.Contains(page, "<h1>Adams: school report</h1>") || !strings.Contains(page, "Survey wave: Fall results") {
		t.Errorf("report lacks its title or wave")
	}
	heads := section(t, page, "report-headlines")
	for _, m := range f.in.Measures {
		if !strings.Contains(heads, m.Name["en"]) {
			t.Errorf("headlines lack %s: %s", m.Name["en"], heads)
		}
	}
	if !regexp.MustCompile(`Trust in teachers [0-9.]+% favorable \([0-9.]+–[0-9.]+\) score [0-9.]+`).MatchString(heads) {
		t.Errorf("headline is not %% favorable with its interval, then the score: %s", heads)
	}
	if changes := section(t, page, "report-changes"); !strings.Contains(changes, "Compared with Spring results") || !strings.Contains(changes, "no clear change") {
		t.Errorf("what changed: %s", changes)
	}
	if trend := section(t, page, "report-trend"); !strings.Contains(trend, "Spring results Fall results") {
		t.Errorf("trend: %s", trend)
	}
	strong := section(t, page, "report-strongest")
	if n := strings.Count(strong, "% ("); n < 6 { // three strongest and three weakest, each with its interval
		t.Errorf("strongest and weakest questions: %d results: %s", n, strong)
	}
	gaps := section(t, page, "report-gaps")
	if !strings.Contains(gaps, "Gender: Female") || !strings.Contains(gaps, "◆") {
		t.Errorf("biggest gaps: %s", gaps)
	}
	for _, hidden := range []string{"Nonbinary", "nonbinary", "Male"} { // male is hidden to protect the nonbinary group
		if strings.Contains(page, hidden) {
			t.Errorf("the report names the hidden group %s", hidden)
		}
	}
}

// TestSchoolReportUnderTheFloor: a school with fewer responses than the floor has a report that
// says so for every measure, with no number anywhere in its results, and no questions or gaps.
func TestSchoolReportUnderTheFloor(t *testing.T) {
	f := newResultsFixture(t)
	small := f.addWave(t, "student-pulse", "Winter results", f.st.Now().Add(-30*time.Minute), map[int64]int{f.school: 4, f.schoolB: 12}, 1)
	br := f.signIn("leaderA")
	code, page, _ := br.do("GET", f.reportPage(f.school, small), nil)
	if code != 200 {
		t.Fatalf("report: %d", code)
	}
	heads := section(t, page, "report-headlines")
	if n := strings.Count(heads, "fewer than 10 responses"); n != len(f.in.Measures) {
		t.Errorf("%d hidden headlines, want %d: %s", n, len(f.in.Measures), heads)
	}
	headsHTML := page[strings.Index(page, `id="report-headlines"`):]
	headsHTML = headsHTML[:strings.Index(headsHTML, "</table>")]
	for _, r := range rowsWith(headsHTML, "fewer than 10 responses") {
		assertNoNumber(t, "headline", r)
	}
	// The trend keeps the earlier waves' shown results and hides this one's.
	if trend := section(t, page, "report-trend"); strings.Count(trend, "fewer than 10 responses") != len(f.in.Measures) {
		t.Errorf("trend: %s", trend)
	}
	if items := section(t, page, "report-strongest"); !strings.Contains(items, "No question has a result to show") || regexp.MustCompile(`[0-9]%`).MatchString(items) {
		t.Errorf("questions of a hidden school: %s", items)
	}
	if gaps := section(t, page, "report-gaps"); !strings.Contains(gaps, "No clear gap") {
		t.Errorf("gaps of a hidden school: %s", gaps)
	}
	if changes := section(t, page, "report-changes"); strings.Contains(changes, "favorable") {
		t.Errorf("what changed shows a hidden school's result: %s", changes)
	}
}

func (f *resultsFixture) familyPage(school int64, wave store.Wave, lang string) string {
	return fmt.Sprintf("/admin/results/schools/%d/family-summary?wave=%d&lang=%s", school, wave.ID, lang)
}

// TestFamilySummaryAccess: the family summary has the school page's readers and scope.
func TestFamilySummaryAccess(t *testing.T) {
	f := newResultsFixture(t)
	type want map[string]int
	reader := func(own, other int) want {
		return want{"admin": 200, "leaderA": own, "counselorA": own, "analystA": own, "staffA": 403, "leaderB": other}
	}
	none := want{"admin": 404, "leaderA": 404, "counselorA": 404, "analystA": 404, "staffA": 403, "leaderB": 404}
	tests := []struct {
		path string
		want want
	}{
		{f.familyPage(f.school, f.fall, "ar"), reader(200, 404)},
		{f.familyPage(f.schoolB, f.fall, "zh-Hans"), reader(404, 200)},
		{f.familyPage(0, f.fall, "en"), reader(404, 404)},
		{"/admin/results/schools/999/family-summary", none},
		{fmt.Sprintf("/admin/results/schools/%d/family-summary?wave=%d", f.school, f.waveB.ID), none},
	}
	browsers := map[string]*browser{}
	for role := range tests[0].want {
		browsers[role] = f.signIn(role)
	}
	for _, tc := range tests {
		for role, code := range tc.want {
			got, body, _ := browsers[role].do("GET", tc.path, nil)
			if got != code {
				t.Errorf("%s as %s: status %d, want %d\n%.300s", tc.path, role, got, code, body)
			}
			if got != 200 && (strings.Contains(body, "Baker") || strings.Contains(body, "Adams")) {
				t.Errorf("%s as %s: refusal names a school: %s", tc.path, role, body)
			}
		}
	}
	_, page, _ := browsers["leaderA"].do("GET", f.schoolPage(f.school), nil)
	if !strings.Contains(page, fmt.Sprintf(`href="/admin/results/schools/%d/family-summary?wave=%d"`, f.school, f.fall.ID)) {
		t.Errorf("the school page does not link to the family summary")
	}
}

// TestFamilySummaryInEveryLocale: the summary is in the family's language with lang and dir set
// (Arabic right to left), measure names and questions from the survey file in that language,
// the share in words with a whole percentage, and the staff bar in the staff member's language.
// A school under the floor says so and shows no number.
func TestFamilySummaryInEveryLocale(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("leaderA")
	for _, tag := range f.locales.Tags() {
		code, page, h := br.do("GET", f.familyPage(f.school, f.fall, tag), nil, "Accept-Language", "en")
		if code != 200 || h.Get("Content-Language") != tag {
			t.Fatalf("%s: %d %q", tag, code, h.Get("Content-Language"))
		}
		dir := f.locales.Info(tag).Dir
		if !strings.Contains(page, fmt.Sprintf(`<html lang="%s" dir="%s">`, tag, dir)) {
			t.Errorf("%s: no <html lang dir>", tag)
		}
		for _, m := range f.in.Measures {
			if !strings.Contains(page, "<strong>"+m.Name[tag]+"</strong>") {
				t.Errorf("%s: no measure name %q", tag, m.Name[tag])
			}
		}
		if !regexp.MustCompile(`\(\d{1,3}\s?[%٪]\)|（\d{1,3}%）`).MatchString(page) {
			t.Errorf("%s: no whole percentage in the measure sentences", tag)
		}
		if !strings.Contains(page, `<header class="noprint family-tools" lang="en" dir="ltr">`) || !strings.Contains(page, "Language of the summary") {
			t.Errorf("%s: the staff bar is not in English", tag)
		}
		if tag != "en" && !strings.Contains(page, "not yet reviewed") {
			t.Errorf("%s: no warning that the texts are machine-drafted", tag)
		}
		for _, never := range []string{"Nonbinary", "family.", "student-pulse"} {
			if strings.Contains(page, never) {
				t.Errorf("%s: the summary shows %q", tag, never)
			}
		}
	}
	_, page, _ := br.do("GET", f.familyPage(f.school, f.fall, "en"), nil)
	if !strings.Contains(page, "In the survey Fall results, students told us") || !regexp.MustCompile(`(Most|Half of|Fewer than half of) students \(\d+%\) gave positive answers`).MatchString(page) {
		t.Errorf("English summary:\n%s", page)
	}

	small := f.addWave(t, "student-pulse", "Winter results", f.st.Now().Add(-30*time.Minute), map[int64]int{f.school: 4, f.schoolB: 12}, 1)
	_, page, _ = br.do("GET", f.familyPage(f.school, small, "en"), nil)
	main := page[strings.Index(page, "<main"):]
	if !strings.Contains(main, "Not enough people at our school answered this survey") {
		t.Errorf("under the floor: %s", main)
	}
	text := markupRE.ReplaceAllString(main, " ")
	text = strings.Replace(text, "at least 10 people", "", 1) // the floor itself
	if regexp.MustCompile(`[0-9]`).MatchString(text) {
		t.Errorf("under the floor, the summary shows a number: %s", text)
	}
}
