package httpserver_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// restFixture adds to the results fixture two schools (Carver, Dunn) and three later waves of
// the same survey: "Winter" and "Late winter" over Adams, Baker and Carver, "Spring two" over all
// four; and a leader of Adams and Baker.
type restFixture struct {
	*resultsFixture
	carver, dunn                  int64
	winter, lateWinter, springTwo store.Wave
}

func newRestFixture(t *testing.T) *restFixture {
	t.Helper()
	ctx := context.Background()
	f := &restFixture{resultsFixture: newResultsFixture(t)}
	now := f.st.Now()
	f.carver, f.dunn = store.NewID(), store.NewID()
	for i, id := range []int64{f.carver, f.dunn} {
		must(t, f.st.DB.Create(&store.School{DistrictID: f.district, ID: id, SourcedID: fmt.Sprintf("s%d", i+2), Name: []string{"Carver", "Dunn"}[i],
			TimeZone: "America/Chicago", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	}
	row, err := f.auth.CreateUser(ctx, nil, auth.NewUser{DistrictID: f.district, Email: f.email("leaderAB"), Role: auth.SchoolLeader,
		Password: staffPassword, Schools: []int64{f.school, f.schoolB}})
	must(t, err)
	f.users["leaderAB"] = row
	sc := &measures.Service{Store: f.st, Surveys: f.waves.Surveys, Log: quietLog()}
	mk := func(name string, opens time.Time, n map[int64]int, level int) store.Wave {
		var ids []int64
		for _, id := range []int64{f.school, f.schoolB, f.carver, f.dunn} {
			if _, ok := n[id]; ok {
				ids = append(ids, id)
			}
		}
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: f.in.ID, InstrumentVersion: f.in.Version,
			Mode: store.ModeAnonymous, SchoolIDs: ids, OpensAt: opens, ClosesAt: now.Add(48 * time.Hour), Channels: []string{"link"}})
		must(t, err)
		must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
		for _, school := range ids {
			for range n[school] {
				ans := strings.Repeat(string(rune('0'+level)), len(f.in.Items))
				r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: ans,
					Subgroups: store.Attrs{"response_language": "en"}, SubmittedAt: &now}
				must(t, f.st.DB.Transaction(func(tx *gorm.DB) error {
					if err := tx.Create(&r).Error; err != nil {
						return err
					}
					return sc.ScoreResponse(ctx, tx, f.in, &r)
				}))
			}
		}
		return w
	}
	f.winter = mk("Winter", now.Add(-50*time.Minute), map[int64]int{f.school: 20, f.schoolB: 15, f.carver: 12}, 1)
	f.lateWinter = mk("Late winter", now.Add(-40*time.Minute), map[int64]int{f.school: 20, f.schoolB: 15, f.carver: 12}, 2)
	f.springTwo = mk("Spring two", now.Add(-30*time.Minute), map[int64]int{f.school: 20, f.schoolB: 15, f.carver: 12, f.dunn: 30}, 2)
	rs := &report.Service{Store: f.st, Surveys: f.waves.Surveys, Floor: 10, Log: quietLog()}
	_, err = rs.Refresh(ctx)
	must(t, err)
	return f
}

// TestRestOfDistrict: a leader sees their school next to the other schools of the wave
// combined, only when at least two of those count at least the floor each, with a change only
// between waves that combine the same schools; a leader of two schools never has their other
// school in it; the district admin, who sees the district row, gets no such row.
func TestRestOfDistrict(t *testing.T) {
	f := newRestFixture(t)
	page := func(role string, school int64, w store.Wave) string {
		t.Helper()
		code, body, _ := f.signIn(role).do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d", school, w.ID), nil)
		if code != 200 {
			t.Fatalf("%s, school %d, %s: %d", role, school, w.Name, code)
		}
		return body
	}
	restRow := func(t *testing.T, body, label string) string {
		t.Helper()
		rows := rowsWith(body, label)
		if len(rows) != 1 {
			t.Fatalf("%d rows %q, want 1:\n%s", len(rows), label, body)
		}
		return rows[0]
	}

	t.Run("one other school: hidden, and the page says why", func(t *testing.T) {
		body := page("leaderA", f.school, f.fall) // Adams and Baker only: the rest would be Baker
		row := restRow(t, body, "Rest of district (1 other school)")
		text := strings.ReplaceAll(markupRE.ReplaceAllString(row, " "), "1 other school", "")
		if !strings.Contains(text, "not shown: too few other schools") || digitRE.MatchString(text) {
			t.Errorf("hidden rest row shows a number: %s", text)
		}
		if !strings.Contains(body, "fewer than 2 of the other schools in this wave have at least 10 responses each") {
			t.Errorf("no sentence saying why the rest is hidden")
		}
		if !strings.Contains(body, "no breakdown by group") {
			t.Errorf("no sentence saying the rest has no breakdown")
		}
	})

	t.Run("two other schools of the floor: shown with the school's own figures", func(t *testing.T) {
		body := page("leaderA", f.school, f.lateWinter)
		row := restRow(t, body, "Rest of district (2 other schools)")
		if !strings.Contains(row, "<td>27</td>") || !strings.Contains(row, "% favorable") || !strings.Contains(row, "score") {
			t.Errorf("rest row is not Baker + Carver's 27 respondents with %% favorable and score: %s", row)
		}
		if own := restRow(t, body, ">Adams<"); !strings.Contains(own, "<td>20</td>") {
			t.Errorf("the school's own row: %s", own)
		}
		// Winter and Late winter combine the same schools: a change is shown for both rows.
		if !strings.Contains(row, `class="change`) {
			t.Errorf("no change for the rest between waves of the same schools: %s", row)
		}
		if strings.Contains(body, "combined other schools than this wave") {
			t.Errorf("says the schools differ when they do not")
		}
	})

	t.Run("a school joined since the previous wave: no change for the rest", func(t *testing.T) {
		body := page("leaderA", f.school, f.springTwo)
		row := restRow(t, body, "Rest of district (3 other schools)")
		if !strings.Contains(row, "<td>57</td>") {
			t.Errorf("rest row is not Baker + Carver + Dunn: %s", row)
		}
		if strings.Contains(row, `class="change`) {
			t.Errorf("change shown across waves of different schools: %s", row)
		}
		if !strings.Contains(body, "No change is shown for the rest of the district: Late winter combined other schools than this wave") {
			t.Errorf("no sentence saying why there is no change")
		}
		// The school's own row still shows its change.
		if own := restRow(t, body, ">Adams<"); !strings.Contains(own, `class="change`) {
			t.Errorf("the school's own change is gone: %s", own)
		}
	})

	t.Run("a leader of two schools: the rest leaves out both, not just this one", func(t *testing.T) {
		// District minus Adams would be Baker + Carver (27, two schools of the floor): minus
		// Baker, which this leader sees, it is Carver. The rest outside their scope is Carver
		// alone, so it is hidden.
		body := page("leaderAB", f.school, f.lateWinter)
		row := restRow(t, body, "Rest of district (1 other school)")
		if strings.Contains(row, "27") || strings.Contains(row, "12") || !strings.Contains(row, "not shown") {
			t.Errorf("leader of Adams and Baker: %s", row)
		}
		body = page("leaderAB", f.school, f.springTwo)
		if row := restRow(t, body, "Rest of district (2 other schools)"); !strings.Contains(row, "<td>42</td>") {
			t.Errorf("Carver + Dunn for the leader of Adams and Baker: %s", row)
		}
	})

	t.Run("the district admin sees the district row, not a rest", func(t *testing.T) {
		body := page("admin", f.school, f.lateWinter)
		if strings.Contains(body, "Rest of district") || strings.Contains(body, "the rest of the district") {
			t.Errorf("the admin gets a rest-of-district row")
		}
	})

	t.Run("in Spanish", func(t *testing.T) {
		code, body, _ := f.signIn("leaderA").do("GET", fmt.Sprintf("/admin/results/schools/%d?wave=%d&lang=es", f.school, f.lateWinter.ID), nil)
		if code != 200 || !strings.Contains(body, "Resto del distrito (2 otras escuelas)") {
			t.Errorf("Spanish page: %d", code)
		}
	})
}

// TestRestOfDistrictAPI: GET /api/v1/results carries the same rest of the district with a
// school's overall rows, under the same rule; never with a breakdown, never for the admin.
func TestRestOfDistrictAPI(t *testing.T) {
	f := newRestFixture(t)
	type row struct {
		Measure, Group, Hidden string
		N                      *int
		Mean                   *float64
		Change                 *struct{ Diff *float64 }
		Suppressed             bool
	}
	type answer struct {
		Rows []row
		Rest *struct {
			Schools int
			Rows    []row
		} `json:"rest_of_district"`
	}
	get := func(role string, w store.Wave, extra string) answer {
		t.Helper()
		code, raw, _ := f.signIn(role).do("GET", fmt.Sprintf("/api/v1/results?wave=%d&school=%d%s", w.ID, f.school, extra), nil)
		if code != 200 {
			t.Fatalf("%s %s: %d %s", role, w.Name, code, raw)
		}
		var a answer
		must(t, json.Unmarshal([]byte(raw), &a))
		return a
	}
	a := get("leaderA", f.lateWinter, "")
	if a.Rest == nil || a.Rest.Schools != 2 || len(a.Rest.Rows) != len(f.in.Measures) {
		t.Fatalf("late winter: %+v", a.Rest)
	}
	for _, r := range a.Rest.Rows {
		if r.Suppressed || r.Group != report.RestGroup || r.N == nil || *r.N != 27 || r.Mean == nil || r.Change == nil {
			t.Errorf("late winter rest row: %+v", r)
		}
	}
	for _, r := range get("leaderA", f.springTwo, "").Rest.Rows {
		if r.N == nil || *r.N != 57 || r.Change != nil {
			t.Errorf("spring two (Dunn joined): %+v", r)
		}
	}
	a = get("leaderA", f.fall, "")
	for _, r := range a.Rest.Rows {
		if !r.Suppressed || r.Hidden != "few_schools" || r.N != nil || r.Mean != nil {
			t.Errorf("fall (Baker alone): %+v", r)
		}
	}
	for _, r := range get("leaderAB", f.lateWinter, "").Rest.Rows {
		if !r.Suppressed || r.N != nil {
			t.Errorf("leader of Adams and Baker (Carver alone): %+v", r)
		}
	}
	if a := get("leaderA", f.lateWinter, "&by=gender"); a.Rest != nil {
		t.Errorf("a breakdown carries the rest: %+v", a.Rest)
	}
	if a := get("admin", f.lateWinter, ""); a.Rest != nil {
		t.Errorf("the admin gets a rest: %+v", a.Rest)
	}
}
