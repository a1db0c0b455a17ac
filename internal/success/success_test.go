package success_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
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

// world is a district with two schools: Adams (a homeroom of 12 taught by Ms. Rivera, with an
// account linked to her roster person) and Baker; a leader, a counselor and two staff accounts.
type world struct {
	st                     *store.Store
	svc                    *success.Service
	district, adams, baker int64
	students               []int64 // Adams' students, in homeroom 5A
	bakerStudent           int64
	users                  map[string]success.Viewer
}

func newWorld(t testing.TB, st *store.Store) *world {
	t.Helper()
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	w := &world{st: st, svc: &success.Service{Store: st, Surveys: cat}, district: testdb.NewDistrict(t, st), adams: store.NewID(), baker: store.NewID(), users: map[string]success.Viewer{}}
	now := st.Now()
	for _, sc := range []store.School{{ID: w.adams, Name: "Adams"}, {ID: w.baker, Name: "Baker"}} {
		sc.DistrictID, sc.SourcedID, sc.TimeZone, sc.Active, sc.CreatedAt, sc.UpdatedAt = w.district, fmt.Sprint(sc.ID), "America/Chicago", true, now, now
		must(t, st.DB.Create(&sc).Error)
	}
	person := func(kind, given, family, grade string, school int64, attrs store.Attrs) int64 {
		p := store.Person{DistrictID: w.district, ID: store.NewID(), SourcedID: given + family, Kind: kind, GivenName: given, FamilyName: family,
			Grade: grade, SchoolID: &school, Attributes: attrs, Active: true, CreatedAt: now, UpdatedAt: now}
		must(t, st.DB.Create(&p).Error)
		must(t, st.DB.Create(&store.PersonSchool{DistrictID: w.district, PersonID: p.ID, SchoolID: school}).Error)
		return p.ID
	}
	rivera := person(store.KindStaff, "Ana", "Rivera", "", w.adams, nil)
	homeroom := store.Class{DistrictID: w.district, ID: store.NewID(), SourcedID: "hr5a", SchoolID: w.adams, Title: "5A", ClassType: "homeroom", Active: true}
	must(t, st.DB.Create(&homeroom).Error)
	must(t, st.DB.Create(&store.Enrollment{DistrictID: w.district, ClassID: homeroom.ID, PersonID: rivera, Role: "teacher", Active: true}).Error)
	for i := range 12 {
		gender := "female"
		if i%2 == 1 {
			gender = "male"
		}
		id := person(store.KindStudent, fmt.Sprintf("Kid%02d", i), "Adamson", "05", w.adams, store.Attrs{"gender": gender})
		must(t, st.DB.Create(&store.Enrollment{DistrictID: w.district, ClassID: homeroom.ID, PersonID: id, Role: "student", Active: true}).Error)
		w.students = append(w.students, id)
	}
	// Another Adams student outside Ms. Rivera's classes, found by search only.
	w.students = append(w.students, person(store.KindStudent, "Zoe", "Quill", "06", w.adams, nil))
	must(t, st.DB.Create(&store.Instrument{DistrictID: w.district, InstrumentID: "student-pulse", Version: 1, Audience: "student", CreatedAt: now}).Error)
	w.bakerStudent = person(store.KindStudent, "Bea", "Baker", "05", w.baker, nil)
	user := func(key string, role auth.Role, school int64, personID *int64) {
		u := store.User{DistrictID: w.district, ID: store.NewID(), Email: key + "@d.test", Name: strings.ToUpper(key[:1]) + key[1:], Role: string(role), PersonID: personID, Active: true, CreatedAt: now, UpdatedAt: now}
		must(t, st.DB.Create(&u).Error)
		var schools []int64
		if school != 0 {
			must(t, st.DB.Create(&store.UserSchool{DistrictID: w.district, UserID: u.ID, SchoolID: school}).Error)
			schools = []int64{school}
		}
		w.users[key] = success.Viewer{DistrictID: w.district, UserID: u.ID, PersonID: personID, Role: role, Schools: schools, Actor: auth.Actor{UserID: &u.ID, Email: u.Email}}
	}
	user("admin", auth.DistrictAdmin, 0, nil)
	user("leader", auth.SchoolLeader, w.adams, nil)
	user("counselor", auth.Counselor, w.adams, nil)
	user("counselorB", auth.Counselor, w.baker, nil)
	user("rivera", auth.Staff, w.adams, &rivera)
	user("coach", auth.Staff, w.adams, nil)
	return w
}

func (w *world) audits(t testing.TB, action string) int64 {
	var n int64
	must(t, w.st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", w.district, action).Count(&n).Error)
	return n
}

func TestMappingRoundTeamAndAssignments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc
		if _, err := svc.StartRound(ctx, w.users["rivera"], w.adams, "Fall"); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("staff started a round: %v", err)
		}
		if _, err := svc.StartRound(ctx, w.users["leader"], w.baker, "Fall"); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("Adams' leader started a round at Baker: %v", err)
		}
		var p *success.Problem
		if _, err := svc.StartRound(ctx, w.users["leader"], w.adams, " "); !errors.As(err, &p) || p.Field != "name" {
			t.Fatalf("blank name: %v", err)
		}
		r, err := svc.StartRound(ctx, w.users["leader"], w.adams, "Fall term")
		must(t, err)

		// Ms. Rivera sees her homeroom; a search finds the student outside it; Baker's never.
		list, err := svc.MyStudents(ctx, w.users["rivera"], r.ID, "quill")
		must(t, err)
		if len(list.Classes) != 12 || list.Classes[0].Class != "5A" || len(list.Found) != 1 || list.Found[0].FamilyName != "Quill" {
			t.Fatalf("list: %d in classes, found %+v", len(list.Classes), list.Found)
		}
		if l, err := svc.MyStudents(ctx, w.users["rivera"], r.ID, "baker"); err != nil || len(l.Found) != 0 {
			t.Fatalf("search reached another school: %+v %v", l.Found, err)
		}
		if _, err := svc.MyStudents(ctx, w.users["counselorB"], r.ID, ""); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("Baker's counselor opened Adams' round: %v", err)
		}
		// She knows the first 8 well; the coach says 0..3 would come to him; then she un-marks #7.
		var marks []success.Mark
		for _, id := range w.students[:8] {
			marks = append(marks, success.Mark{StudentID: id, KnowsWell: true})
		}
		if n, err := svc.SaveClaims(ctx, w.users["rivera"], r.ID, marks); err != nil || n != 8 {
			t.Fatalf("save: %d %v", n, err)
		}
		if _, err := svc.SaveClaims(ctx, w.users["rivera"], r.ID, []success.Mark{{StudentID: w.students[7]}}); err != nil {
			t.Fatal(err)
		}
		var coach []success.Mark
		for _, id := range w.students[:4] {
			coach = append(coach, success.Mark{StudentID: id, WouldCome: true})
		}
		_, err = svc.SaveClaims(ctx, w.users["coach"], r.ID, coach)
		must(t, err)
		if _, err := svc.SaveClaims(ctx, w.users["coach"], r.ID, []success.Mark{{StudentID: w.bakerStudent, KnowsWell: true}}); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("claimed a student of another school: %v", err)
		}

		// The team page: 13 students; 0..3 claimed twice, 4..6 once, 7..12 by nobody.
		if _, err := svc.Team(ctx, w.users["rivera"], w.adams, 0, nil, 5); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("staff read the team page: %v", err)
		}
		if _, err := svc.Team(ctx, w.users["counselorB"], w.adams, 0, nil, 5); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("Baker's counselor read Adams' team page: %v", err)
		}
		pg, err := svc.Team(ctx, w.users["counselor"], w.adams, 0, []string{"grade", "gender"}, 5)
		must(t, err)
		if pg.Students != 13 || pg.NNone != 6 || pg.NOne != 3 {
			t.Fatalf("team: %d students, %d none, %d one", pg.Students, pg.NNone, pg.NOne)
		}
		if len(pg.None) != 2 || pg.None[0].Grade != "05" || pg.None[0].Homeroom != "5A" || pg.None[1].Grade != "06" {
			t.Fatalf("groups: %+v", pg.None)
		}
		// Assign the coach to Zoe; a due date in the past, or an adult of another school, is refused.
		zoe := w.students[12]
		if _, err := svc.Assign(ctx, w.users["counselor"], w.adams, []int64{zoe}, w.users["coach"].UserID, "2001-01-01", "mapping"); !errors.As(err, &p) || p.Field != "due" {
			t.Fatalf("past due date: %v", err)
		}
		if _, err := svc.Assign(ctx, w.users["counselor"], w.adams, []int64{zoe}, w.users["counselorB"].UserID, "2099-01-01", "mapping"); !errors.As(err, &p) || p.Field != "adult" {
			t.Fatalf("adult of another school: %v", err)
		}
		if _, err := svc.Assign(ctx, w.users["rivera"], w.adams, []int64{zoe}, w.users["coach"].UserID, "2099-01-01", "mapping"); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("staff assigned: %v", err)
		}
		_, err = svc.Assign(ctx, w.users["counselor"], w.adams, []int64{zoe}, w.users["coach"].UserID, "2099-01-01", "mapping")
		must(t, err)
		mine, err := svc.MyAssignments(ctx, w.users["coach"])
		must(t, err)
		if len(mine) != 1 || mine[0].ID != zoe || mine[0].DueOn != "2099-01-01" {
			t.Fatalf("coach's assignments: %+v", mine)
		}
		// The trend: the whole school (13, 6 unclaimed) and its groups at floor 5 (grade 06 has 1
		// student: hidden, and so must be grade 05, or 13 − 12 would give it away).
		groups := pg.Trend[0].Groups
		if groups[0].Attribute != "" || groups[0].N != 13 || groups[0].Unclaimed != 6 {
			t.Fatalf("school row: %+v", groups[0])
		}
		for _, g := range groups {
			if g.Attribute == "grade" && !g.Hidden {
				t.Errorf("grade %s shown (%d): one of two grades is below the floor", g.Value, g.N)
			}
		}
		// Every named view and change is audited.
		for action, want := range map[string]int64{success.ActionRoundStart: 1, success.ActionMappingView: 2, success.ActionClaims: 3, success.ActionTeamView: 1, success.ActionAssign: 1} {
			if got := w.audits(t, action); got != want {
				t.Errorf("audit %s: %d rows, want %d", action, got, want)
			}
		}
		// A second round starts empty and closes the first: marks no longer change in it.
		r2, err := svc.StartRound(ctx, w.users["leader"], w.adams, "Spring term")
		must(t, err)
		if _, err := svc.SaveClaims(ctx, w.users["rivera"], r.ID, marks); !errors.As(err, &p) || p.Field != "round" {
			t.Fatalf("marked in a closed round: %v", err)
		}
		pg, err = svc.Team(ctx, w.users["leader"], w.adams, r2.ID, nil, 5)
		must(t, err)
		if pg.NNone != 13 || len(pg.Trend) != 2 {
			t.Fatalf("second round: %d unclaimed, %d rounds", pg.NNone, len(pg.Trend))
		}
	})
}

// confidentialWave makes a confidential student wave at Adams with one response per student:
// the students of lowIdx answer the adult-connection item "A little true", the rest "Very true".
func (w *world) confidentialWave(t testing.TB, mode string, low map[int]bool) int64 {
	t.Helper()
	in, _ := w.svc.Surveys.Get("student-pulse", 1)
	idx, _, _ := success.ItemIndex(in, success.ConnectionMeasure)
	now := w.st.Now()
	wave := store.Wave{DistrictID: w.district, ID: store.NewID(), Name: "Winter check-in", InstrumentID: "student-pulse", InstrumentVersion: 1, Audience: "student",
		Mode: mode, Channels: "link", Status: store.StatusOpen, OpensAt: now, ClosesAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	must(t, w.st.DB.Create(&wave).Error)
	must(t, w.st.DB.Create(&store.WaveSchool{DistrictID: w.district, WaveID: wave.ID, SchoolID: w.adams}).Error)
	for i, id := range w.students {
		ans := []byte(strings.Repeat("3", len(in.Items)))
		if low[i] {
			ans[idx] = '1'
		}
		r := store.Response{DistrictID: w.district, ID: store.NewID(), WaveID: wave.ID, SchoolID: w.adams, Language: "en", Answers: string(ans)}
		if mode == store.ModeConfidential {
			pid := id
			r.PersonID, r.SubmittedAt = &pid, &now
		}
		must(t, w.st.DB.Create(&r).Error)
	}
	return wave.ID
}

func TestFollowUpList(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc
		conf := w.confidentialWave(t, store.ModeConfidential, map[int]bool{1: true, 2: true, 12: true})
		anon := w.confidentialWave(t, store.ModeAnonymous, map[int]bool{1: true})
		if _, err := svc.FollowUp(ctx, w.users["counselor"], anon, w.adams, ""); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("an anonymous wave has a follow-up list: %v", err)
		}
		if _, err := svc.FollowUp(ctx, w.users["counselorB"], conf, w.adams, ""); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("Baker's counselor read Adams' list: %v", err)
		}
		pg, err := svc.FollowUp(ctx, w.users["counselor"], conf, w.adams, "")
		must(t, err)
		if len(pg.Rows) != 3 || pg.Rows[0].Answer != "A little true" || pg.Rows[2].FamilyName != "Quill" || pg.Rows[0].Homeroom != "5A" || pg.Rows[0].Claims != -1 {
			t.Fatalf("rows: %+v", pg.Rows)
		}
		// Staff see only the students assigned to them.
		pg, err = svc.FollowUp(ctx, w.users["coach"], conf, w.adams, "")
		must(t, err)
		if len(pg.Rows) != 0 || !pg.Mine {
			t.Fatalf("coach sees %d rows before any assignment", len(pg.Rows))
		}
		if err := svc.MarkReached(ctx, w.users["coach"], conf, w.adams, w.students[12], "check-in", "talked at lunch"); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("coach marked a student not assigned to him: %v", err)
		}
		_, err = svc.Assign(ctx, w.users["counselor"], w.adams, []int64{w.students[12]}, w.users["coach"].UserID, "2099-01-01", "followup")
		must(t, err)
		pg, err = svc.FollowUp(ctx, w.users["coach"], conf, w.adams, "")
		must(t, err)
		if len(pg.Rows) != 1 || pg.Rows[0].ID != w.students[12] || pg.Rows[0].Assigned == nil {
			t.Fatalf("coach's list: %+v", pg.Rows)
		}
		var p *success.Problem
		if err := svc.MarkReached(ctx, w.users["coach"], conf, w.adams, w.students[12], "hug", ""); !errors.As(err, &p) || p.Field != "action" {
			t.Fatalf("unknown action: %v", err)
		}
		if err := svc.MarkReached(ctx, w.users["coach"], conf, w.adams, w.students[12], "check-in", strings.Repeat("x", 281)); !errors.As(err, &p) || p.Field != "note" {
			t.Fatalf("long note: %v", err)
		}
		must(t, svc.MarkReached(ctx, w.users["coach"], conf, w.adams, w.students[12], "check-in", "talked at lunch"))
		pg, err = svc.FollowUp(ctx, w.users["leader"], conf, w.adams, "")
		must(t, err)
		if pg.Reached != 1 || pg.Rows[2].Reached == nil || pg.Rows[2].ReachedBy != "Coach" || pg.Rows[2].Reached.Note != "talked at lunch" {
			t.Fatalf("reached: %d %+v", pg.Reached, pg.Rows[2])
		}
		if got := w.audits(t, auth.ActionViewConfidential); got != 4 {
			t.Errorf("view.confidential audited %d times, want 4", got)
		}
		var notes int64
		must(t, st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND detail LIKE ?", w.district, "%lunch%").Count(&notes).Error)
		if notes != 0 {
			t.Errorf("the follow-up note was copied into the audit log")
		}
	})
}

// TestIndicatorsImportAndStudents: a grading period's file is all or nothing (one unknown student
// stores nothing and says which line), re-importing replaces it, only district admins import;
// the team's student list combines the flags and filters by them.
func TestIndicatorsImportAndStudents(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		svc := w.svc
		var ps []store.Person
		must(t, st.DB.Where("district_id = ? AND id IN ?", w.district, w.students).Order("given_name").Find(&ps).Error)
		sid := map[string]string{}
		for _, p := range ps {
			sid[p.GivenName] = p.SourcedID
		}
		file := "student_sourced_id,attendance_rate,courses_failing\n" + sid["Kid00"] + ",80,1\n" + sid["Kid01"] + ",95,0\n" + sid["Kid02"] + ",85,0\n" + sid["Zoe"] + ",99,2\n"
		if _, err := svc.ImportIndicators(ctx, w.users["leader"], "Q1", "q1.csv", strings.NewReader(file)); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("a leader imported: %v", err)
		}
		var ie *success.ImportError
		bad := file + "nobody,90,0\n"
		if _, err := svc.ImportIndicators(ctx, w.users["admin"], "Q1", "q1.csv", strings.NewReader(bad)); !errors.As(err, &ie) || ie.Problems[0].String() != `q1.csv:6: student "nobody" is not a student in the roster` {
			t.Fatalf("unknown student: %v", err)
		}
		// Its problem and summary are worded on the import page from their messages (#16 line 6).
		if ids := refusaltest.Rendered(t, "dashboard-indicators-problems.en.toml", ie.Problems[0].Why, ie.Refusal()); ids[0] != "refusal.indicators.not_in_roster" {
			t.Errorf("unknown student's message: %v", ids)
		}
		var n int64
		must(t, st.DB.Model(&store.StudentIndicator{}).Where("district_id = ?", w.district).Count(&n).Error)
		if n != 0 {
			t.Fatalf("a failed import stored %d rows", n)
		}
		if got, err := svc.ImportIndicators(ctx, w.users["admin"], "Q1", "q1.csv", strings.NewReader(file)); err != nil || got != 4 {
			t.Fatalf("import: %d %v", got, err)
		}
		// Again with one row fewer: the period is replaced, not added to.
		file2 := "student_sourced_id,attendance_rate,courses_failing\n" + sid["Kid00"] + ",80,1\n" + sid["Kid01"] + ",95,0\n" + sid["Zoe"] + ",99,2\n"
		if _, err := svc.ImportIndicators(ctx, w.users["admin"], "Q1", "q1.csv", strings.NewReader(file2)); err != nil {
			t.Fatal(err)
		}
		must(t, st.DB.Model(&store.StudentIndicator{}).Where("district_id = ?", w.district).Count(&n).Error)
		if n != 3 {
			t.Fatalf("after re-import: %d rows, want 3", n)
		}
		if got := w.audits(t, success.ActionIndicatorsImport); got != 2 {
			t.Errorf("%d import audit rows, want 2", got)
		}
		// A round where the coach claims Kid01 only; Zoe answered a confidential wave "A little true".
		r, err := svc.StartRound(ctx, w.users["leader"], w.adams, "Fall")
		must(t, err)
		_, err = svc.SaveClaims(ctx, w.users["coach"], r.ID, []success.Mark{{StudentID: w.students[1], KnowsWell: true}})
		must(t, err)
		w.confidentialWave(t, store.ModeConfidential, map[int]bool{12: true})
		if _, err := svc.Students(ctx, w.users["coach"], w.adams, success.StudentFilter{}); !errors.Is(err, success.ErrNotFound) {
			t.Fatalf("staff read the student list: %v", err)
		}
		pg, err := svc.Students(ctx, w.users["counselor"], w.adams, success.StudentFilter{NoAdult: true, Chronic: true})
		must(t, err)
		// Kid00: unclaimed, 80% (chronic), failing; Kid01: claimed; Kid02: no data this period; Zoe: failing, low answer.
		if len(pg.Rows) != 1 || pg.Rows[0].GivenName != "Kid00" || !pg.Rows[0].Failing {
			t.Fatalf("no adult + chronic: %+v", pg.Rows)
		}
		pg, err = svc.Students(ctx, w.users["counselor"], w.adams, success.StudentFilter{Failing: true, Grade: "06"})
		must(t, err)
		if len(pg.Rows) != 1 || pg.Rows[0].GivenName != "Zoe" || !pg.Rows[0].NoAdult || pg.Rows[0].Chronic {
			t.Fatalf("failing in grade 06: %+v", pg.Rows)
		}
		combos := map[string]int{}
		for _, c := range pg.Combos {
			combos[c.Key] = c.N
		}
		if combos["no_adult+chronic+failing"] != 1 || combos["no_adult+failing"] != 1 || combos["none"] != 1 || combos["no_adult"] != 10 {
			t.Fatalf("combinations: %v", combos)
		}
		// The school's rates by grade under a floor of 2: grade 05 has 2 students with data, grade 06 one.
		rates, err := svc.SchoolRates(ctx, w.district, w.adams, "grade", 2)
		must(t, err)
		for _, g := range rates.Groups {
			if g.Attribute == "" && (g.N != 3 || g.Counts[0] != 1 || g.Counts[1] != 2) {
				t.Errorf("school: %+v", g)
			}
			if g.Attribute == "grade" && !g.Hidden {
				t.Errorf("grade %s shown: one of two grades is below the floor", g.Value)
			}
		}
	})
}
