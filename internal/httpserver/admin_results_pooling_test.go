package httpserver_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// poolingFixture is one wave over Adams and Baker (floor 10). Adams: 20 girls, 22 boys, 6
// non-binary students and 5 with no gender recorded — the two small groups are combined (11) and
// girls and boys are both shown; 4 English learners among 53, too few, and the 49 others hidden to
// protect them (a pool of every group would be no pool). Baker: 25 girls, none learning English.
func poolingFixture(t *testing.T) (*adminFixture, store.Wave) {
	t.Helper()
	ctx := context.Background()
	f := newAdminFixture(t)
	now := f.st.Now()
	in, _ := f.waves.Surveys.Get("student-pulse", 1)
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "Winter results", InstrumentID: in.ID, InstrumentVersion: in.Version,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school, f.schoolB}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link"}})
	must(t, err)
	must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	i := 0
	add := func(school int64, gender string, n int) {
		for range n {
			g := store.Attrs{"grade": "05", "english_learner": "no", "response_language": "en"}
			if gender != "" {
				g["gender"] = gender
			}
			if school == f.school && i%13 == 0 { // 4 of Adams' 53
				g["english_learner"] = "yes"
			}
			i++
			ans := strings.Repeat(fmt.Sprint(i%4), len(in.Items))
			at := now
			r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: ans, Subgroups: g, SubmittedAt: &at}
			must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
				if err := tx.Create(&r).Error; err != nil {
					return err
				}
				return sc.ScoreResponse(ctx, tx, in, &r)
			}))
		}
	}
	add(f.school, "female", 20)
	add(f.school, "male", 22)
	add(f.school, "nonbinary", 6)
	add(f.school, "", 5)
	add(f.schoolB, "female", 25)
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err = rs.Refresh(ctx)
	must(t, err)
	return f, w
}

// TestResultsSmallGroupsPooled: the school page shows girls and boys and one combined group for
// the small ones, which are not listed; a hidden cell says why it is hidden — "fewer than 10
// responses" only for the small group, "hidden to protect a smaller group" for the big one hidden
// to protect it — on the page, in the export and in the API.
func TestResultsSmallGroupsPooled(t *testing.T) {
	f, w := poolingFixture(t)
	br := f.signIn("admin")
	page := func(by string) string {
		code, body, _ := br.do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=%s", f.school, w.ID, by), nil)
		if code != 200 {
			t.Fatalf("by %s: %d", by, code)
		}
		return body
	}
	g := page("gender")
	for _, label := range []string{">Female<", ">Male<", ">Combined<"} {
		rows := rowsWith(g, label)
		if len(rows) != 2 { // the score table and the response-rate table
			t.Fatalf("%d rows for %s, want 2:\n%s", len(rows), label, g)
		}
		for _, r := range rows {
			if strings.Contains(r, "fewer than") || strings.Contains(r, "hidden to protect") {
				t.Errorf("%s is hidden: %s", label, r)
			}
		}
	}
	for _, small := range []string{"Nonbinary", "Not recorded"} {
		if len(rowsWith(g, ">"+small+"<")) != 0 || strings.Contains(g, "Combined: ") {
			t.Errorf("the pooled group %s is listed or named", small)
		}
	}

	el := page("english_learner")
	yes, no := rowsWith(el, ">Yes<"), rowsWith(el, ">No<")
	if len(yes) != 2 || len(no) != 2 {
		t.Fatalf("english learner rows: %d yes, %d no, want 2 each:\n%s", len(yes), len(no), el)
	}
	for i := range 2 {
		assertNoNumber(t, "small group", yes[i])
		if strings.Contains(no[i], "fewer than") || !strings.Contains(no[i], "hidden to protect a smaller group") {
			t.Errorf("the 49 say %s", no[i])
		}
		rest := strings.ReplaceAll(tagRE.ReplaceAllString(no[i], ""), "hidden to protect a smaller group", "")
		if digitRE.MatchString(rest) {
			t.Errorf("protected row shows a number: %s", no[i])
		}
	}

	// The export says the same in its note column.
	_, out, _ := br.do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=english_learner&format=csv&table=subgroups", f.school, w.ID), nil)
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\ufeff"))).ReadAll()
	must(t, err)
	notes := map[string]string{}
	for _, rec := range recs[1:] {
		notes[rec[4]] = rec[len(rec)-1]
	}
	if notes["yes"] != "fewer than 10 responses" || notes["no"] != "hidden to protect a smaller group" {
		t.Errorf("export notes %v", notes)
	}
	_, out, _ = br.do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d&by=gender&format=csv&table=subgroups", f.school, w.ID), nil)
	if !strings.Contains(out, report.Combined+",Combined,") || strings.Contains(out, "nonbinary") {
		t.Errorf("gender export: %s", out)
	}

	// The API: the reason on hidden rows, the combined group on shown ones.
	api := func(by string) []map[string]any {
		code, raw, _ := br.do("GET", fmt.Sprintf("/api/v1/results?wave=%d&school=%d&by=%s", w.ID, f.school, by), nil)
		if code != 200 {
			t.Fatalf("API by %s: %d %s", by, code, raw)
		}
		var body struct{ Rows []map[string]any }
		must(t, json.Unmarshal([]byte(raw), &body))
		return body.Rows
	}
	for _, r := range api("english_learner") {
		want := map[string]string{"yes": "small", "no": "protect"}[r["group"].(string)]
		if r["suppressed"] != true || r["hidden"] != want || r["n"] != nil {
			t.Errorf("API row %v, want hidden %q and no number", r, want)
		}
	}
	combined := 0
	for _, r := range api("gender") {
		if r["suppressed"] != false {
			t.Errorf("API gender row hidden: %v", r)
		}
		if r["group"] == report.Combined {
			combined++
			if r["n"] != float64(11) || r["combines"] != nil {
				t.Errorf("combined row %v: want n 11, its groups not named (they are small)", r)
			}
		}
	}
	in, _ := f.waves.Surveys.Get("student-pulse", 1)
	if combined != len(in.Measures) {
		t.Errorf("%d combined rows in the API, want one per measure", combined)
	}
}
