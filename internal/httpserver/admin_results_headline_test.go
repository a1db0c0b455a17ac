package httpserver_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
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
