package goals_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is a district (floor 10) with two schools, Adams and Baker, and accounts: a district
// admin, Adams' leader, counselor, a staff member and an analyst, and Baker's leader.
type world struct {
	st                     *store.Store
	svc                    *goals.Service
	district, adams, baker int64
	users                  map[string]goals.Viewer
}

func newWorld(t testing.TB, st *store.Store) *world {
	t.Helper()
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	w := &world{st: st, district: testdb.NewDistrict(t, st), adams: store.NewID(), baker: store.NewID(), users: map[string]goals.Viewer{}}
	w.svc = &goals.Service{Store: st, Surveys: cat, Results: &report.Service{Store: st, Surveys: cat}}
	now := st.Now()
	for _, sc := range []store.School{{ID: w.adams, Name: "Adams"}, {ID: w.baker, Name: "Baker"}} {
		sc.DistrictID, sc.SourcedID, sc.TimeZone, sc.Active, sc.CreatedAt, sc.UpdatedAt = w.district, fmt.Sprint(sc.ID), "America/Chicago", true, now, now
		must(t, st.DB.Create(&sc).Error)
	}
	must(t, st.DB.Create(&store.Instrument{DistrictID: w.district, InstrumentID: "student-pulse", Version: 1, Audience: "student", CreatedAt: now}).Error)
	user := func(key string, role auth.Role, school int64) {
		u := store.User{DistrictID: w.district, ID: store.NewID(), Email: key + "@d.test", Name: key, Role: string(role), Active: true, CreatedAt: now, UpdatedAt: now}
		must(t, st.DB.Create(&u).Error)
		var schools []int64
		if school != 0 {
			must(t, st.DB.Create(&store.UserSchool{DistrictID: w.district, UserID: u.ID, SchoolID: school}).Error)
			schools = []int64{school}
		}
		w.users[key] = goals.Viewer{DistrictID: w.district, UserID: u.ID, Role: role, Schools: schools, Actor: auth.Actor{UserID: &u.ID, Email: u.Email}}
	}
	user("admin", auth.DistrictAdmin, 0)
	user("leader", auth.SchoolLeader, w.adams)
	user("counselor", auth.Counselor, w.adams)
	user("coach", auth.Staff, w.adams)
	user("analyst", auth.Analyst, w.adams)
	user("leaderB", auth.SchoolLeader, w.baker)
	return w
}

func (w *world) wave(t testing.TB, name, status string, opens time.Time, school int64) store.Wave {
	t.Helper()
	wv := store.Wave{DistrictID: w.district, ID: store.NewID(), Name: name, InstrumentID: "student-pulse", InstrumentVersion: 1, Audience: "student",
		Mode: store.ModeAnonymous, Channels: "link", Status: status, OpensAt: opens, ClosesAt: opens.Add(14 * 24 * time.Hour), CreatedAt: opens, UpdatedAt: opens}
	must(t, w.st.DB.Create(&wv).Error)
	must(t, w.st.DB.Create(&store.WaveSchool{DistrictID: w.district, WaveID: wv.ID, SchoolID: school}).Error)
	return wv
}

// cell stores one rollup cell of n respondents with the given mean, SD 10 and share favorable
// (of 4 answers each); below the floor it is stored hidden, as the results build would.
func (w *world) cell(t testing.TB, wv store.Wave, school int64, measure, attr, value string, n int, mean, fav float64) {
	t.Helper()
	const sd = 10.0
	answered := 4 * n
	c := store.RollupCell{DistrictID: w.district, WaveID: wv.ID, SchoolID: school, MeasureID: measure, Attribute: attr, Value: value, N: n,
		Sum: float64(n) * mean, SumSq: float64(n-1)*sd*sd + float64(n)*mean*mean, Favorable: int(math.Round(fav * float64(answered))), Answered: answered,
		Suppressed: n < 10}
	must(t, w.st.DB.Create(&c).Error)
}

const trust = "student-teacher-trust"

func (w *world) cells(t testing.TB, wv store.Wave, mean, el, female float64, nFemale int) {
	t.Helper()
	w.cell(t, wv, w.adams, trust, "", "", 100, mean, 0.6)
	w.cell(t, wv, w.adams, trust, "english_learner", "yes", 40, el, 0.5)
	w.cell(t, wv, w.adams, trust, "english_learner", "no", 60, mean, 0.65)
	w.cell(t, wv, w.adams, trust, "gender", "female", nFemale, female, 0.6)
	w.cell(t, wv, w.adams, trust, "gender", "male", 100-nFemale, mean, 0.6)
	w.cell(t, wv, w.adams, trust, "disability", "yes", 4, mean, 0.6)
	w.cell(t, wv, w.adams, trust, "disability", "no", 96, mean, 0.6)
	w.cell(t, wv, w.adams, "adult-connection", "", "", 100, 50, 0.55)
}

func (w *world) audits(t testing.TB, action string) int64 {
	var n int64
	must(t, w.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", w.district, action).Count(&n).Error)
	return n
}

func TestGoalsAndWhetherTheyWereMet(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc
		now := st.Now()
		fall := w.wave(t, "Fall", store.StatusClosed, now.AddDate(0, -4, 0), w.adams)
		w.cells(t, fall, 50, 40, 50, 12)
		winter := w.wave(t, "Winter", store.StatusOpen, now.AddDate(0, 0, -3), w.adams)
		w.wave(t, "Baker fall", store.StatusClosed, now.AddDate(0, -4, 0), w.baker)

		for _, who := range []string{"counselor", "coach", "analyst", "leaderB"} {
			if _, err := svc.NewGoalForm(ctx, w.users[who], w.adams, ""); !errors.Is(err, goals.ErrNotFound) {
				t.Errorf("%s opened Adams' goal form: %v", who, err)
			}
		}
		if _, err := svc.Goals(ctx, w.users["leaderB"], w.adams, ""); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("Baker's leader read Adams' goals: %v", err)
		}
		if _, err := svc.Goals(ctx, w.users["leader"], 0, ""); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("a leader read the district's goals: %v", err)
		}
		f, err := svc.NewGoalForm(ctx, w.users["leader"], w.adams, "")
		must(t, err)
		choice := fmt.Sprintf("%d:%s", fall.ID, trust)
		var opt *goals.MeasureOption
		for i := range f.Measures {
			if f.Measures[i].Key() == choice {
				opt = &f.Measures[i]
			}
			if f.Measures[i].Measure.ID == "adult-connection" && f.Measures[i].Metric != goals.MetricFavorable {
				t.Errorf("adult-connection (one item) counted on %s", f.Measures[i].Metric)
			}
		}
		if opt == nil || opt.Metric != goals.MetricScore {
			t.Fatalf("no option %s in %+v", choice, f.Measures)
		}
		f, err = svc.NewGoalForm(ctx, w.users["leader"], w.adams, choice)
		must(t, err)
		keys := map[string]bool{}
		for _, g := range f.Groups {
			keys[g.Key()] = true
		}
		if !keys[""] || !keys["english_learner=yes"] || !keys["gender=female"] || keys["disability=yes"] || f.Hidden != 1 {
			t.Errorf("groups %v, %d hidden", keys, f.Hidden)
		}
		if len(f.DueWaves) != 1 || f.DueWaves[0].ID != winter.ID || f.Floor != 10 {
			t.Errorf("due waves %+v floor %d", f.DueWaves, f.Floor)
		}
		leader, coach := w.users["leader"], w.users["coach"].UserID
		base := goals.GoalInput{SchoolID: w.adams, Measure: choice, Group: "english_learner=yes", Target: "5", DueWaveID: winter.ID, OwnerID: coach,
			Text: "EL students' trust in teachers +5 by winter"}
		var p *goals.Problem
		for field, in := range map[string]goals.GoalInput{
			"group":    func() goals.GoalInput { in := base; in.Group = "disability=yes"; return in }(),
			"target":   func() goals.GoalInput { in := base; in.Target = "0"; return in }(),
			"owner":    func() goals.GoalInput { in := base; in.OwnerID = w.users["analyst"].UserID; return in }(),
			"due":      func() goals.GoalInput { in := base; in.DueWaveID = 0; return in }(),
			"due_wave": func() goals.GoalInput { in := base; in.DueWaveID = fall.ID; return in }(),
			"text":     func() goals.GoalInput { in := base; in.Text = ""; return in }(),
		} {
			if _, err := svc.CreateGoal(ctx, leader, in); !errors.As(err, &p) || p.Field != field {
				t.Errorf("%s: %v", field, err)
			}
		}
		if _, err := svc.CreateGoal(ctx, w.users["counselor"], base); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("a counselor set a goal: %v", err)
		}
		met, err := svc.CreateGoal(ctx, leader, base)
		must(t, err)
		far := base
		far.Target, far.DueWaveID, far.DueOn, far.Text = "10", 0, "2099-06-01", "EL students +10"
		unmet, err := svc.CreateGoal(ctx, leader, far)
		must(t, err)
		small := base
		small.Group, small.Text = "gender=female", "Girls +5"
		hidden, err := svc.CreateGoal(ctx, leader, small)
		must(t, err)

		pg, err := svc.Goals(ctx, w.users["counselor"], w.adams, "")
		must(t, err)
		if len(pg.Goals) != 3 || pg.CanEdit {
			t.Fatalf("%d goals, can edit %v", len(pg.Goals), pg.CanEdit)
		}
		for _, g := range pg.Goals {
			if g.Verdict != goals.NotYet || g.Change != nil {
				t.Errorf("%s before the next wave closed: %s", g.Text, g.Verdict)
			}
		}
		find := func(pg goals.Page, id int64) goals.GoalView {
			for _, g := range pg.Goals {
				if g.ID == id {
					return g
				}
			}
			t.Fatalf("goal %d not listed", id)
			return goals.GoalView{}
		}
		if g := find(pg, met.ID); math.Abs(g.BaselineValue-40) > 1e-9 || len(g.Series) != 2 || g.Owner != "coach" {
			t.Errorf("first goal: %+v", g)
		}

		// Winter closes: EL students 40 → 48 (n 40, SD 10: interval about 3.5–12.5); girls fall to 8.
		must(t, st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", w.district, winter.ID).Update("status", store.StatusClosed).Error)
		w.cells(t, winter, 53, 48, 55, 8)
		pg, err = svc.Goals(ctx, w.users["counselor"], w.adams, "")
		must(t, err)
		if g := find(pg, met.ID); g.Verdict != goals.Met || !g.Final || g.Change == nil || math.Abs(g.Change.Diff-8) > 1e-9 || !(g.Change.Low > 0) || g.Judged.ID != winter.ID {
			t.Errorf("met goal: %s final %v change %+v", g.Verdict, g.Final, g.Change)
		}
		if g := find(pg, unmet.ID); g.Verdict != goals.NotMet || g.Final {
			t.Errorf("+10 goal: %s final %v", g.Verdict, g.Final)
		}
		if g := find(pg, hidden.ID); g.Verdict != goals.Hidden || g.Change != nil || !g.Series[1].Stat.Suppressed {
			t.Errorf("girls (8 in winter): %s %+v", g.Verdict, g.Change)
		}

		// Staged release: winter's results open to leaders next week; the admin sees the verdict.
		later := now.AddDate(0, 0, 7)
		must(t, st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", w.district, winter.ID).Update("results_leaders_at", later).Update("results_staff_at", later).Error)
		pg, err = svc.Goals(ctx, leader, w.adams, "")
		must(t, err)
		for _, g := range pg.Goals {
			if g.Verdict != goals.NotYet || len(g.Series) != 1 {
				t.Errorf("leader before winter's results open: %s, %d points", g.Verdict, len(g.Series))
			}
		}
		pg, err = svc.Goals(ctx, w.users["admin"], w.adams, "")
		must(t, err)
		if g := find(pg, met.ID); g.Verdict != goals.Met || !pg.CanEdit {
			t.Errorf("admin: %s", g.Verdict)
		}

		// Actions: leaders add them with an owner of the school; status moves, audited.
		act := goals.ActionInput{Title: "Weekly EL advisory check-ins", OwnerID: coach, StartsOn: "2026-09-01", DueOn: "2026-12-15"}
		if _, err := svc.AddAction(ctx, w.users["counselor"], met.ID, act); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("a counselor added an action: %v", err)
		}
		if _, err := svc.AddAction(ctx, w.users["leaderB"], met.ID, act); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("Baker's leader added an action to Adams' goal: %v", err)
		}
		bad := act
		bad.OwnerID = w.users["leaderB"].UserID
		if _, err := svc.AddAction(ctx, leader, met.ID, bad); !errors.As(err, &p) || p.Field != "owner" {
			t.Errorf("owner from Baker: %v", err)
		}
		bad = act
		bad.DueOn = "2026-08-01"
		if _, err := svc.AddAction(ctx, leader, met.ID, bad); !errors.As(err, &p) || p.Field != "due" {
			t.Errorf("due before start: %v", err)
		}
		a, err := svc.AddAction(ctx, leader, met.ID, act)
		must(t, err)
		if a.Status != "planned" {
			t.Errorf("status %q", a.Status)
		}
		if _, err := svc.SetActionStatus(ctx, leader, a.ID, "finished"); !errors.As(err, &p) {
			t.Errorf("unknown status: %v", err)
		}
		if _, err := svc.SetActionStatus(ctx, w.users["leaderB"], a.ID, "done"); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("Baker's leader moved Adams' action: %v", err)
		}
		school, err := svc.SetActionStatus(ctx, leader, a.ID, "done")
		must(t, err)
		pg, err = svc.Goals(ctx, w.users["counselor"], w.adams, "")
		must(t, err)
		if acts := find(pg, met.ID).Actions; school != w.adams || len(acts) != 1 || acts[0].Status != "done" || acts[0].Owner != "coach" {
			t.Errorf("actions: %+v", acts)
		}
		for action, want := range map[string]int64{goals.ActionGoalCreate: 3, goals.ActionActionAdd: 1, goals.ActionActionStatus: 1} {
			if got := w.audits(t, action); got != want {
				t.Errorf("audit %s: %d rows, want %d", action, got, want)
			}
		}
		// The district's own goals are the district admin's.
		places, err := svc.Places(ctx, w.users["admin"])
		must(t, err)
		if len(places) != 3 || !places[0].District {
			t.Errorf("admin's places: %+v", places)
		}
		places, err = svc.Places(ctx, w.users["coach"])
		must(t, err)
		if len(places) != 0 {
			t.Errorf("staff's places: %+v", places)
		}
	})
}

// confidential makes a confidential student wave at Adams in which each student of scores
// answered, with their trust-in-teachers score (and 4 answers, fav of them favorable).
func (w *world) confidential(t testing.TB, name, status string, opens time.Time, scores map[int64][2]float64) store.Wave {
	t.Helper()
	wv := w.wave(t, name, status, opens, w.adams)
	must(t, w.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", w.district, wv.ID).Update("mode", store.ModeConfidential).Error)
	for person, sc := range scores {
		pid := person
		r := store.Response{DistrictID: w.district, ID: store.NewID(), WaveID: wv.ID, SchoolID: w.adams, Language: "en", Answers: "3333", PersonID: &pid, SubmittedAt: &opens}
		must(t, w.st.DB.Create(&r).Error)
		must(t, w.st.DB.Create(&store.Score{DistrictID: w.district, ResponseID: r.ID, MeasureID: trust, WaveID: wv.ID, SchoolID: w.adams,
			NAnswered: 4, Favorable: int(sc[1]), Score: sc[0]}).Error)
	}
	return wv
}

// TestReachedVersusNotReached: 30 students answer two confidential waves; the team reached 12
// after the first (their score rises 10 points, the others' 2), so with a floor of 10 both groups
// are shown; with only 8 reached nothing but the counts is.
func TestReachedVersusNotReached(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		now := st.Now()
		var students []int64
		for i := range 30 {
			p := store.Person{DistrictID: w.district, ID: store.NewID(), SourcedID: fmt.Sprintf("s%d", i), Kind: store.KindStudent, Grade: "07", SchoolID: &w.adams, Active: true, CreatedAt: now, UpdatedAt: now}
			must(t, st.DB.Create(&p).Error)
			students = append(students, p.ID)
		}
		first, second := map[int64][2]float64{}, map[int64][2]float64{}
		for i, id := range students {
			base := 40 + float64(i%5)
			first[id] = [2]float64{base, 1}
			rise := 2.0
			if i < 12 {
				rise = 10
			}
			second[id] = [2]float64{base + rise + float64(i%3) - 1, 3}
		}
		w1 := w.confidential(t, "Fall check-in", store.StatusClosed, now.AddDate(0, -3, 0), first)
		counselor := w.users["counselor"].UserID
		for i, id := range students[:12] {
			action := "check-in"
			if i%3 == 0 {
				action = "mentor"
			}
			must(t, st.DB.Create(&store.Followup{DistrictID: w.district, WaveID: w1.ID, StudentID: id, Action: action, ReachedBy: counselor, ReachedAt: now}).Error)
		}
		pg, err := w.svc.Goals(ctx, w.users["counselor"], w.adams, "")
		must(t, err)
		r := pg.Reached
		if r == nil || r.Measure.ID != trust || r.Metric != goals.MetricScore || len(r.Waves) != 1 {
			t.Fatalf("before a second wave: %+v", r)
		}
		if rw := r.Waves[0]; rw.Reached != 12 || rw.Next != nil || rw.Moved != nil || len(rw.ByAction) != 2 || rw.ByAction[0] != (goals.ActionCount{Action: "check-in", N: 8}) {
			t.Fatalf("first wave: %+v", rw)
		}
		w2 := w.confidential(t, "Winter check-in", store.StatusOpen, now.AddDate(0, 0, -5), second)
		pg, err = w.svc.Goals(ctx, w.users["counselor"], w.adams, trust)
		must(t, err)
		if rw := pg.Reached.Waves[1]; rw.Next == nil || rw.Next.ID != w2.ID || !rw.NextOpen || rw.Moved != nil {
			t.Fatalf("second wave open: %+v", rw)
		}
		must(t, st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", w.district, w2.ID).Update("status", store.StatusClosed).Error)
		pg, err = w.svc.Goals(ctx, w.users["leader"], w.adams, trust)
		must(t, err)
		mv := pg.Reached.Waves[1].Moved
		if mv == nil || !mv.Shown || mv.NReached != 12 || mv.NNot != 18 || math.Abs(mv.Reached.Mean-10) > 0.5 || math.Abs(mv.Not.Mean-2) > 0.5 || mv.Diff == nil || !(mv.Diff.Low > 0) {
			t.Fatalf("moved: %+v", mv)
		}
		if len(pg.Reached.Waves) != 2 || pg.Reached.Waves[0].Wave.ID != w2.ID {
			t.Errorf("waves newest first: %+v", pg.Reached.Waves)
		}
		if _, err := w.svc.Goals(ctx, w.users["leader"], w.adams, "no-such-measure"); err == nil {
			t.Error("an unknown measure was accepted")
		}
		// Four follow-ups fewer: 8 reached, below the floor of 10: counts only.
		must(t, st.DB.Where("district_id = ? AND wave_id = ? AND student_id IN ?", w.district, w1.ID, students[:4]).Delete(&store.Followup{}).Error)
		pg, err = w.svc.Goals(ctx, w.users["counselor"], w.adams, trust)
		must(t, err)
		if mv := pg.Reached.Waves[1].Moved; mv == nil || mv.Shown || mv.Reason != "reached-small" || mv.NReached != 8 || mv.Reached.Mean != 0 || mv.Diff != nil {
			t.Fatalf("8 reached: %+v", mv)
		}
		// Baker's leader sees nothing of it; the district has no section.
		if _, err := w.svc.Goals(ctx, w.users["leaderB"], w.adams, trust); !errors.Is(err, goals.ErrNotFound) {
			t.Errorf("Baker's leader: %v", err)
		}
		pg, err = w.svc.Goals(ctx, w.users["admin"], 0, "")
		must(t, err)
		if pg.Reached != nil {
			t.Errorf("district section: %+v", pg.Reached)
		}
	})
}
