package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

var tdRE = regexp.MustCompile(`(?s)<td[ >].*?</td>`)

// TestResultsHeadlines (#16 line 1): every result cell leads with % favorable and its interval,
// the 0–100 score second; the single-item measure (adult connection) shows % favorable only, with
// no score, band or band distribution; the API and CSV carry % favorable and its comparisons.
func TestResultsHeadlines(t *testing.T) {
	f := newResultsFixture(t)
	br := f.signIn("admin")
	single := -1
	for i, m := range f.in.Measures {
		if m.SingleItem {
			single = i
		}
	}
	if single < 0 {
		t.Fatal("student-pulse has no single-item measure")
	}
	favRE := regexp.MustCompile(`<span class="fav">[0-9.]+% favorable \([0-9.]+–[0-9.]+\)</span>`)
	_, page, _ := br.do("GET", fmt.Sprintf("/admin/results?wave=%d", f.fall.ID), nil)
	rows := rowsWith(page, ">Adams<")
	if len(rows) != 1 {
		t.Fatalf("%d overview rows for Adams", len(rows))
	}
	cells := tdRE.FindAllString(rows[0], -1)[1:] // after the response rate
	if len(cells) != len(f.in.Measures) {
		t.Fatalf("%d measure cells, want %d: %s", len(cells), len(f.in.Measures), rows[0])
	}
	for i, c := range cells {
		fav := favRE.FindStringIndex(c)
		scoreAt := strings.Index(c, "score ")
		switch {
		case fav == nil:
			t.Errorf("cell %d does not lead with %% favorable: %s", i, c)
		case i == single && (scoreAt >= 0 || strings.Contains(c, "bandname") || strings.Contains(c, " band")):
			t.Errorf("single-item cell shows a score or band: %s", c)
		case i != single && (scoreAt < fav[1] || !strings.Contains(c, "bandname")):
			t.Errorf("cell %d: the score does not come second, with its band: %s", i, c)
		}
	}
	if !strings.Contains(page, "shows % favorable only") {
		t.Errorf("the overview does not say how single-item measures are shown")
	}

	// Measure page of the single-item measure: % favorable, no score row, no band distribution.
	m := f.in.Measures[single].ID
	_, page, _ = br.do("GET", fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.school, m, f.fall.ID), nil)
	if !favRE.MatchString(page) || strings.Contains(page, "Score (0–100)</th><td") || strings.Contains(page, "Distribution over the five bands") {
		t.Errorf("single-item measure page:\n%s", page)
	}
	// Its trend table has no score column, and the chart plots % favorable.
	_, page, _ = br.do("GET", f.schoolPage(f.school), nil)
	if !strings.Contains(page, "% favorable by wave") {
		t.Errorf("no %% favorable trend chart for the single-item measure")
	}

	// API: favorable with its Wilson interval on every shown row; favorable_change where change is.
	code, body, _ := br.do("GET", fmt.Sprintf("/api/v1/results?wave=%d&school=%d&by=gender", f.fall.ID, f.school), nil)
	if code != 200 {
		t.Fatalf("API: %d %s", code, body)
	}
	var out struct {
		Rows []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Rows {
		if r["suppressed"] == true {
			if len(r) != 3 {
				t.Errorf("hidden API row carries more than measure, group, suppressed: %v", r)
			}
			continue
		}
		if r["favorable"] == nil || r["favorable_ci_low"] == nil || r["favorable_ci_high"] == nil {
			t.Errorf("API row without %% favorable and its interval: %v", r)
		}
	}
}

// TestResultsReferencePage (#16 line 1): bands read "(provisional)" until a district admin sets
// reference values on /admin/results/reference (district admins only); a refused value is shown
// back (422) and changes nothing; a reference wave is saved, audited, and after the rebuild the
// measure's bands are no longer provisional while the others still are.
func TestResultsReferencePage(t *testing.T) {
	f := newResultsFixture(t)
	ctx := context.Background()
	admin := f.signIn("admin")
	m := f.in.Measures[0]
	overview := fmt.Sprintf("/admin/results?wave=%d", f.fall.ID)
	_, page, _ := admin.do("GET", overview, nil)
	if !strings.Contains(page, "moderate (provisional)") && !strings.Contains(page, "weak (provisional)") && !strings.Contains(page, "strong (provisional)") {
		t.Errorf("overview bands are not labelled provisional:\n%s", page)
	}
	if !strings.Contains(page, `href="/admin/results/reference"`) {
		t.Errorf("the admin's overview does not link to the reference values page")
	}
	for _, role := range []string{"leaderA", "counselorA", "analystA"} {
		if code, _, _ := f.signIn(role).do("GET", "/admin/results/reference", nil); code != http.StatusForbidden {
			t.Errorf("%s: reference page %d, want 403", role, code)
		}
	}
	code, page, _ := admin.do("GET", "/admin/results/reference", nil)
	if code != 200 || !strings.Contains(page, "Trust in teachers") || strings.Contains(page, ">Adult connection<") || !strings.Contains(page, "Fall results") {
		t.Fatalf("reference page: %d\n%s", code, page)
	}
	csrf := csrfOf(t, page)
	post := func(v url.Values) (int, string) {
		v.Set("_csrf", csrf)
		v.Set("instrument", f.in.ID)
		if v.Get("measure") == "" {
			v.Set("measure", m.ID)
		}
		code, body, _ := admin.do("POST", "/admin/results/reference", v)
		return code, body
	}
	if code, body := post(url.Values{"source": {"cuts"}, "cut0": {"50"}, "cut1": {"40"}, "cut2": {"60"}, "cut3": {"70"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "cut points must be four ascending numbers within 0–100, not [50 40 60 70]") {
		t.Errorf("descending cuts: %d\n%s", code, body)
	}
	// The refusal is worded in the page's language (#16 line 6).
	v := url.Values{"_csrf": {csrf}, "instrument": {f.in.ID}, "measure": {m.ID}, "source": {"cuts"}, "cut0": {"50"}, "cut1": {"40"}, "cut2": {"60"}, "cut3": {"70"}}
	if code, body, _ := admin.do("POST", "/admin/results/reference?lang=es", v); code != http.StatusUnprocessableEntity ||
		!strings.Contains(html.UnescapeString(body), "Los puntos de corte deben ser cuatro números ascendentes entre 0 y 100, no [50 40 60 70].") {
		t.Errorf("descending cuts in Spanish: %d\n%s", code, body)
	}
	admin.do("GET", "/admin/results/reference?lang=en", nil) // the language chosen sticks; back to English
	if code, body := post(url.Values{"source": {"cuts"}, "measure": {"adult-connection"}, "cut0": {"20"}, "cut1": {"40"}, "cut2": {"60"}, "cut3": {"70"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "no bands") {
		t.Errorf("single-item measure: %d\n%s", code, body)
	}
	if code, _ := post(url.Values{"source": {"wave"}, "wave": {fmt.Sprint(f.fall.ID)}}); code != http.StatusSeeOther {
		t.Fatalf("reference wave: %d", code)
	}
	var audits []store.AuditEntry
	must(t, f.st.DB.Where("district_id = ? AND action = ?", f.district, report.ActionReference).Find(&audits).Error)
	if len(audits) != 1 || !strings.Contains(audits[0].Detail, "Fall results") || !strings.EqualFold(audits[0].Actor, f.email("admin")) {
		t.Errorf("audit: %+v", audits)
	}
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err := rs.Refresh(ctx)
	must(t, err)
	_, page, _ = admin.do("GET", "/admin/results/reference", nil)
	if !strings.Contains(page, "Now from the reference wave Fall results") {
		t.Errorf("reference page does not show the saved reference:\n%s", page)
	}
	_, page, _ = admin.do("GET", fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.school, m.ID, f.fall.ID), nil)
	if !strings.Contains(page, "reference wave Fall results (its mean") || strings.Contains(page, "(provisional)") {
		t.Errorf("measure page after the reference:\n%s", page)
	}
	_, page, _ = admin.do("GET", overview, nil)
	cells := tdRE.FindAllString(rowsWith(page, ">Adams<")[0], -1)[1:]
	if strings.Contains(cells[0], "provisional") || !strings.Contains(cells[1], "provisional") {
		t.Errorf("after the reference, %s is still provisional or %s is not:\n%s\n%s", m.ID, f.in.Measures[1].ID, cells[0], cells[1])
	}
	code, body, _ := admin.do("GET", fmt.Sprintf("/api/v1/results?wave=%d&school=%d", f.fall.ID, f.school), nil)
	if code != 200 || !strings.Contains(body, `"band_provisional":false`) || !strings.Contains(body, `"band_provisional":true`) {
		t.Errorf("API bands: %d %s", code, body)
	}
	if code, _ := post(url.Values{"source": {"clear"}}); code != http.StatusSeeOther {
		t.Errorf("clear: %d", code)
	}
	_, page, _ = admin.do("GET", "/admin/results/reference", nil)
	if strings.Contains(page, "Now from the reference wave") {
		t.Errorf("cleared reference still shown")
	}
}

// TestResultsOverviewSortAndWeakest (#16 line 1): ?sort=MEASURE orders the schools by that
// measure's % favorable, lowest first (the district row stays on top); an unknown measure is 400;
// each school marks the relationship with its lowest % favorable, and the district row none.
func TestResultsOverviewSortAndWeakest(t *testing.T) {
	f := newResultsFixture(t)
	admin := f.signIn("admin")
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	wd, err := rs.Wave(context.Background(), f.district, f.fall.ID, []int64{f.school, f.schoolB})
	must(t, err)
	for _, m := range f.in.Measures {
		a, b := wd.Rows(f.school, m.ID, "")[0], wd.Rows(f.schoolB, m.ID, "")[0]
		want := []string{">Adams<", ">Baker<"}
		if report.CompareBy(a, b) > 0 {
			want = []string{">Baker<", ">Adams<"}
		}
		code, page, _ := admin.do("GET", fmt.Sprintf("/admin/results?wave=%d&sort=%s", f.fall.ID, m.ID), nil)
		if code != 200 {
			t.Fatalf("sort=%s: %d", m.ID, code)
		}
		first, second, district := strings.Index(page, want[0]), strings.Index(page, want[1]), strings.Index(page, "District (all schools)</a>")
		if first < 0 || second < first || district > first {
			t.Errorf("sort=%s (Adams %.1f%%, Baker %.1f%%): order wrong", m.ID, a.Favorable, b.Favorable)
		}
		if !strings.Contains(page, `<option value="`+m.ID+`" selected>`) {
			t.Errorf("sort=%s: the select does not show the chosen order", m.ID)
		}
	}
	if code, _, _ := admin.do("GET", fmt.Sprintf("/admin/results?wave=%d&sort=nope", f.fall.ID), nil); code != http.StatusBadRequest {
		t.Errorf("unknown sort: %d, want 400", code)
	}
	_, page, _ := admin.do("GET", fmt.Sprintf("/admin/results?wave=%d", f.fall.ID), nil)
	if !strings.Contains(page, "weakest relationship here") {
		t.Errorf("no school marks a weakest relationship")
	}
	for _, school := range []int64{f.school, f.schoolB} {
		name := map[int64]string{f.school: ">Adams<", f.schoolB: ">Baker<"}[school]
		cells := tdRE.FindAllString(rowsWith(page, name)[0], -1)[1:]
		want := report.Weakest(f.in, wd.Results(school, ""))
		for i, c := range cells {
			marked := strings.Contains(c, "weakest relationship here")
			if marked != (f.in.Measures[i].ID == want) {
				t.Errorf("%s %s: marked %v, weakest is %q", name, f.in.Measures[i].ID, marked, want)
			}
		}
	}
	if district := rowsWith(page, "District (all schools)"); len(district) != 1 || strings.Contains(district[0], "weakest relationship") {
		t.Errorf("district row: %v", district)
	}
}
