package httpserver_test

import (
	"context"
	"fmt"
	"html"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// goalsFixture gives Adams a closed fall student wave and a winter one, with results (rollup
// cells) for trust in teachers overall and for English learners (40 → 48 points, 40 students
// each, SD 10), and a goal set by Adams' leader on fall: English learners +5, due by winter.
// Winter closes after the goal is set, so the goal is met, and is the baseline of new goals.
func goalsFixture(t *testing.T) (f *adminFixture, goal store.Goal, winter store.Wave) {
	f = newAdminFixture(t)
	ctx := context.Background()
	now := f.st.Now()
	mk := func(name string, opens time.Time) store.Wave {
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeAnonymous, SchoolIDs: []int64{f.school}, OpensAt: opens, ClosesAt: opens.Add(14 * 24 * time.Hour), Channels: []string{"link"}})
		must(t, err)
		return w
	}
	setStatus := func(w store.Wave, status string) {
		must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, w.ID).Update("status", status).Error)
	}
	cell := func(w store.Wave, attr, value string, n int, mean float64) {
		const sd = 10.0
		must(t, f.st.DB.Create(&store.RollupCell{DistrictID: f.district, WaveID: w.ID, SchoolID: f.school, MeasureID: "student-teacher-trust", Attribute: attr, Value: value,
			N: n, Sum: float64(n) * mean, SumSq: float64(n-1)*sd*sd + float64(n)*mean*mean, Favorable: 2 * n, Answered: 4 * n}).Error)
	}
	fall := mk("Adams fall pulse", now.AddDate(0, -4, 0))
	winter = mk("Adams winter pulse", now.AddDate(0, -1, 0))
	setStatus(fall, store.StatusClosed)
	setStatus(winter, store.StatusOpen)
	cell(fall, "", "", 100, 50)
	cell(fall, "english_learner", "yes", 40, 40)
	cell(fall, "english_learner", "no", 60, 56.7)
	svc := &goals.Service{Store: f.st, Surveys: f.waves.Surveys, Results: &report.Service{Store: f.st, Surveys: f.waves.Surveys}}
	lead := f.users["leaderA"]
	v := goals.Viewer{DistrictID: f.district, UserID: lead.ID, Role: auth.SchoolLeader, Schools: []int64{f.school}, Actor: auth.Actor{UserID: &lead.ID, Email: lead.Email}}
	goal, err := svc.CreateGoal(ctx, v, goals.GoalInput{SchoolID: f.school, Measure: fmt.Sprintf("%d:student-teacher-trust", fall.ID), Group: "english_learner=yes",
		Target: "5", DueWaveID: winter.ID, OwnerID: lead.ID, Text: "English learners' trust in teachers +5 by winter"})
	must(t, err)
	_, err = svc.AddAction(ctx, v, goal.ID, goals.ActionInput{Title: "Weekly advisory check-ins", OwnerID: f.users["staffA"].ID, StartsOn: "2026-09-01", DueOn: "2026-12-15"})
	must(t, err)
	setStatus(winter, store.StatusClosed)
	cell(winter, "", "", 100, 53)
	cell(winter, "english_learner", "yes", 40, 48)
	cell(winter, "english_learner", "no", 60, 56.3)
	return f, goal, winter
}

// reachedFixture adds 24 students to Adams who answer two closed confidential student waves
// (fall and winter check-ins); the counselor reached the first 12 after fall (check-ins), whose
// trust in teachers rises 10 points against the others' 2.
func reachedFixture(t *testing.T, f *adminFixture) {
	ctx := context.Background()
	now := f.st.Now()
	mk := func(name string, opens time.Time) store.Wave {
		w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: name, InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeConfidential, SchoolIDs: []int64{f.school}, OpensAt: opens, ClosesAt: opens.Add(14 * 24 * time.Hour), Channels: []string{"link"}})
		must(t, err)
		must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, w.ID).Update("status", store.StatusClosed).Error)
		return w
	}
	w1, w2 := mk("Adams fall check-in", now.AddDate(0, -3, 0)), mk("Adams winter check-in", now.AddDate(0, -1, -10))
	for i := range 24 {
		p := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: fmt.Sprintf("r%d", i), Kind: store.KindStudent, Grade: "07", SchoolID: &f.school,
			Active: true, CreatedAt: now, UpdatedAt: now}
		must(t, f.st.DB.Create(&p).Error)
		rise := 2.0
		if i < 12 {
			rise = 10
			must(t, f.st.DB.Create(&store.Followup{DistrictID: f.district, WaveID: w1.ID, StudentID: p.ID, Action: "check-in", ReachedBy: f.users["counselorA"].ID, ReachedAt: now}).Error)
		}
		for k, w := range []store.Wave{w1, w2} {
			pid := p.ID
			r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: f.school, Language: "en", Answers: "3333", PersonID: &pid, SubmittedAt: &now}
			must(t, f.st.DB.Create(&r).Error)
			must(t, f.st.DB.Create(&store.Score{DistrictID: f.district, ResponseID: r.ID, MeasureID: "student-teacher-trust", WaveID: w.ID, SchoolID: f.school,
				NAnswered: 4, Favorable: 2, Score: 40 + float64(i%4) + float64(k)*(rise+float64(i%3)-1)}).Error)
		}
	}
}

// TestGoalsAccess: every goals route × role × school. District admins read and set goals
// everywhere (and the district's own); a school's leaders read and set theirs; its counselors
// read them; other staff and analysts are refused; another school's goals are 404 and name
// nothing.
func TestGoalsAccess(t *testing.T) {
	f, goal, winter := goalsFixture(t)
	reachedFixture(t, f)
	a, b := fmt.Sprint(f.school), fmt.Sprint(f.schoolB)
	type want map[string]int
	tests := []struct {
		path string
		want want
	}{
		{"/admin/goals", want{"admin": 200, "leaderA": 200, "leaderB": 200, "counselorA": 200, "staffA": 403, "analystA": 403}},
		{"/admin/goals?school=" + a, want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 200, "staffA": 403, "analystA": 403}},
		{"/admin/goals?school=" + b, want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/goals?school=0", want{"admin": 200, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/goals?school=999", want{"admin": 404, "leaderA": 404, "leaderB": 404, "counselorA": 404, "staffA": 403, "analystA": 403}},
		{"/admin/goals/new?school=" + a, want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{fmt.Sprintf("/admin/goals/new?school=%s&measure=%d:student-teacher-trust", a, winter.ID), want{"admin": 200, "leaderA": 200, "leaderB": 404, "counselorA": 403, "staffA": 403, "analystA": 403}},
		{"/admin/goals/new?school=" + b, want{"admin": 200, "leaderA": 404, "leaderB": 200, "counselorA": 403, "staffA": 403, "analystA": 403}},
	}
	for _, role := range []string{"admin", "leaderA", "leaderB", "counselorA", "staffA", "analystA"} {
		br := f.signIn(role)
		for _, tc := range tests {
			t.Run(tc.path+" as "+role, func(t *testing.T) {
				code, body, _ := br.do("GET", tc.path, nil)
				if code != tc.want[role] {
					t.Fatalf("status %d, want %d", code, tc.want[role])
				}
				if code != 200 && (strings.Contains(body, "English learners") || strings.Contains(body, "Adams")) {
					t.Fatalf("refusal names something: %s", body)
				}
				if code == 200 && tc.path == "/admin/goals?school="+a {
					text := html.UnescapeString(body)
					if !strings.Contains(text, "English learners' trust in teachers +5 by winter") || !strings.Contains(text, "Met: the change from Adams fall pulse to Adams winter pulse is +8.0 (95% interval +3.5 to +12.5)") {
						t.Fatalf("%s: the goal and its verdict are not on the page:\n%s", role, body)
					}
					if !strings.Contains(text, "Reached (12 students): +10.0 points on the 0–100 score on average") || !strings.Contains(text, "Not reached (12 students): +2.0") {
						t.Fatalf("%s: reached vs not reached:\n%s", role, text)
					}
					if (role == "counselorA") == strings.Contains(body, `action="/admin/goals/actions/`) {
						t.Fatalf("%s: status forms shown %v", role, role != "counselorA")
					}
				}
			})
		}
	}
	// Changes: another school's leader gets 404, a counselor 403; the goal's leader succeeds.
	var act store.GoalAction
	must(t, f.st.DB.Where("district_id = ? AND goal_id = ?", f.district, goal.ID).First(&act).Error)
	post := func(role, path string, form url.Values) (int, string) {
		br := f.signIn(role)
		_, page, _ := br.do("GET", "/admin/password", nil)
		form.Set("_csrf", csrfOf(t, page))
		code, body, h := br.do("POST", path, form)
		return code, body + h.Get("Location")
	}
	actionForm := func() url.Values {
		return url.Values{"title": {"Lunch club"}, "owner": {fmt.Sprint(f.users["staffA"].ID)}, "starts": {"2026-09-01"}, "due": {"2026-10-01"}, "school": {a}}
	}
	for _, tc := range []struct {
		role, path string
		form       url.Values
		want       int
	}{
		{"leaderB", fmt.Sprintf("/admin/goals/%d/actions", goal.ID), actionForm(), 404},
		{"counselorA", fmt.Sprintf("/admin/goals/%d/actions", goal.ID), actionForm(), 403},
		{"leaderB", fmt.Sprintf("/admin/goals/actions/%d/status", act.ID), url.Values{"status": {"done"}}, 404},
		{"staffA", fmt.Sprintf("/admin/goals/actions/%d/status", act.ID), url.Values{"status": {"done"}}, 403},
		{"leaderA", "/admin/goals", url.Values{"school": {b}, "measure": {fmt.Sprintf("%d:student-teacher-trust", winter.ID)}, "group": {""}, "target": {"5"}, "due": {"2099-01-01"}, "owner": {fmt.Sprint(f.users["leaderA"].ID)}, "text": {"x"}}, 404},
		{"leaderA", "/admin/goals", url.Values{"school": {a}, "measure": {fmt.Sprintf("%d:student-teacher-trust", winter.ID)}, "group": {""}, "target": {"0"}, "due": {"2099-01-01"}, "owner": {fmt.Sprint(f.users["leaderA"].ID)}, "text": {"x"}}, 422},
		{"leaderA", fmt.Sprintf("/admin/goals/%d/actions", goal.ID), actionForm(), 303},
		{"leaderA", fmt.Sprintf("/admin/goals/actions/%d/status", act.ID), url.Values{"status": {"in-progress"}, "goal": {fmt.Sprint(goal.ID)}}, 303},
		{"leaderA", "/admin/goals", url.Values{"school": {a}, "measure": {fmt.Sprintf("%d:student-teacher-trust", winter.ID)}, "group": {""}, "target": {"2.5"}, "due": {"2099-01-01"}, "owner": {fmt.Sprint(f.users["leaderA"].ID)}, "text": {"Everyone +2.5"}}, 303},
	} {
		if code, body := post(tc.role, tc.path, tc.form); code != tc.want {
			t.Errorf("%s POST %s: %d, want %d\n%.400s", tc.role, tc.path, code, tc.want, body)
		}
	}
	var n int64
	must(t, f.st.DB.Model(&store.GoalAction{}).Where("district_id = ? AND goal_id = ?", f.district, goal.ID).Count(&n).Error)
	must(t, f.st.DB.Where("district_id = ? AND id = ?", f.district, act.ID).First(&act).Error)
	if n != 2 || act.Status != "in-progress" {
		t.Errorf("%d actions, status %q", n, act.Status)
	}
	var g []store.Goal
	must(t, f.st.DB.Where("district_id = ?", f.district).Find(&g).Error)
	if len(g) != 2 {
		t.Errorf("%d goals", len(g))
	}
	for _, x := range g {
		if x.Text == "Everyone +2.5" && (x.Target != 2.5 || x.DueOn != "2099-01-01" || x.Attribute != "" || math.IsNaN(x.Target)) {
			t.Errorf("saved goal: %+v", x)
		}
	}
}

// TestGoalTargetLines (#15 line 4: "goals appear as target lines on the trend chart"): each goal's
// card charts its group from the baseline with a dashed line at baseline + target; the school's
// trend chart of the measure draws the line of a goal for everyone and names a group's goal
// under the chart, linked to its card — for those who read the goals, and for no one else.
func TestGoalTargetLines(t *testing.T) {
	f, goal, winter := goalsFixture(t)
	ctx := context.Background()
	svc := &goals.Service{Store: f.st, Surveys: f.waves.Surveys, Results: &report.Service{Store: f.st, Surveys: f.waves.Surveys}}
	lead := f.users["leaderA"]
	v := goals.Viewer{DistrictID: f.district, UserID: lead.ID, Role: auth.SchoolLeader, Schools: []int64{f.school}, Actor: auth.Actor{UserID: &lead.ID, Email: lead.Email}}
	everyone, err := svc.CreateGoal(ctx, v, goals.GoalInput{SchoolID: f.school, Measure: fmt.Sprintf("%d:student-teacher-trust", winter.ID), Group: "",
		Target: "2.5", DueOn: "2099-01-01", OwnerID: lead.ID, Text: "Everyone's trust in teachers +2.5"})
	must(t, err)

	_, body, _ := f.signIn("leaderA").do("GET", fmt.Sprintf("/admin/goals?school=%d", f.school), nil)
	for _, want := range []string{
		fmt.Sprintf(`id="goal-chart-%d-title"`, goal.ID), `>Goal 45.0</text>`, // English learners: 40 + 5
		fmt.Sprintf(`id="goal-chart-%d-title"`, everyone.ID), `>Goal 55.5</text>`, // everyone: 53 + 2.5
	} {
		if !strings.Contains(body, want) {
			t.Errorf("goals page lacks %s\n%s", want, body)
		}
	}
	if n := strings.Count(body, `class="target"`); n != 2 {
		t.Errorf("goals page: %d target lines, want 2", n)
	}

	results := fmt.Sprintf("/admin/results/schools/%d?wave=%d", f.school, winter.ID)
	for _, role := range []string{"leaderA", "counselorA", "admin", "staffA"} {
		code, body, _ := f.signIn(role).do("GET", results, nil)
		if code != 200 {
			if role == "staffA" {
				continue // staff may not read this school's results at all
			}
			t.Fatalf("%s: results page %d", role, code)
		}
		text := html.UnescapeString(body)
		reads := role != "staffA"
		if got := strings.Contains(body, `>Goal 55.5</text>`); got != reads {
			t.Errorf("%s: target line for everyone drawn %v, want %v", role, got, reads)
		}
		if got := strings.Contains(text, "Goal for English learner: Yes (on its own chart on the goals page): English learners' trust in teachers +5 by winter"); got != reads {
			t.Errorf("%s: group goal named %v, want %v\n%s", role, got, reads, text)
		}
		if strings.Count(body, `class="target"`) != map[bool]int{true: 1, false: 0}[reads] {
			t.Errorf("%s: %d target lines", role, strings.Count(body, `class="target"`))
		}
		if reads && !strings.Contains(body, fmt.Sprintf(`href="/admin/goals?school=%d#goal-%d"`, f.school, everyone.ID)) {
			t.Errorf("%s: no link to the goal's card", role)
		}
	}
}

// TestGoalRefusalWorded (#16 line 6): a refused goal form says why in the page's language — the
// goals package's message from the staff catalog, with its plural — and in English exactly as
// the package words it.
func TestGoalRefusalWorded(t *testing.T) {
	f, _, winter := goalsFixture(t)
	a := fmt.Sprint(f.school)
	for _, tc := range []struct{ lang, target, want string }{
		{"", "0", "A goal is a rise: give a target above zero."},
		{"es", "0", "Una meta es una subida: indique un objetivo mayor que cero."},
		{"ar", "51", "اكتب هدفًا لا يزيد على 50 نقطة."},
		{"", "51", "Give a target of at most 50 points."},
	} {
		br := f.signIn("leaderA")
		_, page, _ := br.do("GET", "/admin/password", nil)
		form := url.Values{"_csrf": {csrfOf(t, page)}, "school": {a}, "measure": {fmt.Sprintf("%d:student-teacher-trust", winter.ID)}, "group": {""},
			"target": {tc.target}, "due": {"2099-01-01"}, "owner": {fmt.Sprint(f.users["leaderA"].ID)}, "text": {"x"}}
		code, body, _ := br.do("POST", "/admin/goals?lang="+tc.lang, form)
		if code != 422 || !strings.Contains(html.UnescapeString(body), tc.want) {
			t.Errorf("lang %q target %s: %d, want 422 with %q\n%.600s", tc.lang, tc.target, code, tc.want, body)
		}
	}
}
