package wave_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

// scoringWorld is a world whose wave service scores submissions, as the app's does.
func scoringWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	w := newWorld(t, st)
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	w.svc.Scorer = &measures.Service{Store: st, Surveys: cat}
	return w
}

// homeroom makes a class at school with n active students of grade, each enrolled, and returns it.
func (w *world) homeroom(t *testing.T, school int64, grade string, n int, attrs func(i int) store.Attrs) (classID int64, people []int64) {
	t.Helper()
	classID = store.NewID()
	must(t, w.st.DB.Create(&store.Class{DistrictID: w.district, ID: classID, SourcedID: fmt.Sprintf("c%d", classID), SchoolID: school, Title: "Room " + grade, ClassType: "homeroom", Active: true}).Error)
	for i := range n {
		id := w.person(t, store.KindStudent, grade, school, func(p *store.Person) {
			p.SourcedID = fmt.Sprintf("s%d-%d", classID, i)
			if attrs != nil {
				p.Attributes = attrs(i)
			}
		})
		must(t, w.st.DB.Create(&store.Enrollment{DistrictID: w.district, ClassID: classID, PersonID: id, Role: "student", Active: true}).Error)
		people = append(people, id)
	}
	return classID, people
}

// answerAll saves every page with the same answer digit and submits in lang, then mixes the
// ballot box so that the response (of an anonymous wave) is stored when it returns.
func answerAll(ctx context.Context, svc *wave.Service, sess *wave.Session, digit byte, lang string) error {
	for p := range sess.Pages() {
		values := map[string]string{}
		for _, i := range sess.PageItems(p) {
			values[sess.Instrument.Items[i].ID] = string(digit)
		}
		if err := svc.SavePage(ctx, sess, p, values, nil, p+1, lang); err != nil {
			return err
		}
	}
	if err := svc.Submit(ctx, sess, lang); err != nil {
		return err
	}
	svc.Mixing.MinBatch = 1 // the tests read responses at once; batching is ballot_test's subject
	_, err := svc.Mix(ctx)
	return err
}

// byCode opens a code in a fresh browser, as a respondent who clears cookies each time.
func byCode(ctx context.Context, svc *wave.Service, code string, n int) (*wave.Session, error) {
	return svc.ByCode(ctx, code, fmt.Sprintf("%032x", n))
}

// measureScores returns the score per measure of a response whose answers are all digit.
func measureScores(t *testing.T, st *store.Store, waveID int64, answers string) map[string]float64 {
	t.Helper()
	var rows []struct {
		MeasureID string
		Score     float64
	}
	must(t, st.DB.Raw(`SELECT s.measure_id, s.score FROM scores s JOIN responses r ON r.district_id = s.district_id AND r.id = s.response_id
		WHERE r.wave_id = ? AND r.answers = ?`, waveID, answers).Scan(&rows).Error)
	out := map[string]float64{}
	for _, r := range rows {
		out[r.MeasureID] = r.Score
	}
	return out
}

// TestPaddingAttackRecoversNothing is the attack of #17 line 4: one real student answers in
// Vietnamese; an attacker with the class code submits 10 made-up answers in English and 9 in
// Vietnamese, so the Vietnamese group reaches the floor (10) and the real answer is its total
// minus the attacker's nine. On the old code the Vietnamese group showed and the student's score
// came out exactly. Now only roster-verified respondents carry a response language, so the made-up
// answers never join the student's group, and no visible group of any attribute gives the score.
func TestPaddingAttackRecoversNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := scoringWorld(t, st)
		school := w.schools[0]
		class, people := w.homeroom(t, school, "07", 30, nil)
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link", "code"})
		issued, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		code, err := w.svc.IssueCode(ctx, w.district, wv.ID, school, &class)
		must(t, err)

		// 14 classmates answer by the class code, in English.
		for i := range 14 {
			sess, err := byCode(ctx, w.svc, code, 1000+i)
			must(t, err)
			must(t, answerAll(ctx, w.svc, sess, byte('1'+i%2), "en"))
		}
		// The one real Vietnamese answer, by the student's own link.
		var victim string
		for _, is := range issued {
			if is.PersonID == people[0] {
				victim = is.Token
			}
		}
		sess, err := w.svc.ByToken(ctx, victim)
		must(t, err)
		must(t, answerAll(ctx, w.svc, sess, '3', "vi"))
		// The attacker, from one address, a fresh browser each time.
		fakes := map[string]int{"en": 10, "vi": 9}
		n := 0
		for _, lang := range []string{"en", "vi"} {
			for range fakes[lang] {
				n++
				sess, err := byCode(ctx, w.svc, code, n)
				if err == nil {
					err = answerAll(ctx, w.svc, sess, '0', lang)
				}
				if err != nil && !errors.Is(err, wave.ErrCodeFull) {
					t.Fatal(err)
				}
			}
		}

		rep := &report.Service{Store: st, Surveys: w.svc.Surveys, Floor: 10}
		_, err = rep.Refresh(ctx)
		must(t, err)
		wd, err := rep.Wave(ctx, w.district, wv.ID, w.schools[:])
		must(t, err)
		truth := measureScores(t, st, wv.ID, strings.Repeat("3", len(sess.Instrument.Items)))
		fake := measureScores(t, st, wv.ID, strings.Repeat("0", len(sess.Instrument.Items)))
		if len(truth) == 0 || len(fake) == 0 {
			t.Fatalf("scores: truth %v, fake %v", truth, fake)
		}
		// Every visible group of every attribute: subtract as many made-up answers as it could
		// hold and see whether the student's score is what is left.
		for _, attr := range report.Attributes("student", nil) {
			for _, m := range wd.Measures() {
				for _, row := range wd.Rows(school, m, attr) {
					if row.Suppressed || row.N < 2 || row.N-1 > 19 {
						continue
					}
					recovered := float64(row.N)*row.Mean - float64(row.N-1)*fake[m]
					if math.Abs(recovered-truth[m]) < 0.05 {
						t.Errorf("%s=%s (%d respondents) gives the student's %s score: %.2f (true %.2f)", attr, row.Group, row.N, m, recovered, truth[m])
					}
				}
			}
		}
	})
}

// TestClassCodeIsCapped: 94 tries from one attacker with fresh browsers: a code for a class of 30
// takes 30 plus the margin, then says it is full, before the survey (a new browser) and at
// submission (a browser that started before it filled up).
func TestClassCodeIsCapped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		school := w.schools[0]
		class, _ := w.homeroom(t, school, "07", 30, nil)
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"code"})
		code, err := w.svc.IssueCode(ctx, w.district, wv.ID, school, &class)
		must(t, err)

		// One browser starts early and submits only after the code has filled.
		early, err := byCode(ctx, w.svc, code, 999)
		must(t, err)
		first := early.PageItems(0)
		must(t, w.svc.SavePage(ctx, early, 0, map[string]string{early.Instrument.Items[first[0]].ID: "2"}, nil, 1, "en"))

		accepted, full := 0, 0
		for i := range 94 {
			sess, err := byCode(ctx, w.svc, code, i)
			if err == nil {
				err = answerAll(ctx, w.svc, sess, '0', "en")
			}
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, wave.ErrCodeFull):
				full++
			default:
				t.Fatal(err)
			}
		}
		want := 30 + wave.DefaultCodeMargin
		if accepted != want || full != 94-want {
			t.Fatalf("94 tries: %d accepted, %d told the code is full; want %d and %d", accepted, full, want, 94-want)
		}
		if err := w.svc.Submit(ctx, early, "en"); !errors.Is(err, wave.ErrCodeFull) {
			t.Fatalf("submitting on a full code: %v, want ErrCodeFull", err)
		}
		var n int64
		must(t, st.DB.Model(&store.Response{}).Where("wave_id = ?", wv.ID).Count(&n).Error)
		if int(n) != want {
			t.Fatalf("%d responses stored, want %d", n, want)
		}
		// The early browser's answers are kept: it is not submitted, so nothing was lost.
		again, err := byCode(ctx, w.svc, code, 999)
		if err != nil || again.Submitted || again.Answer(first[0]) != 2 {
			t.Fatalf("early browser after refusal: err %v, %+v", err, again)
		}
	})
}

// demoLikeStudents gives students the mix of attributes a real roster has: most values common,
// some rare, so that many students are unique on their full combination.
func demoLikeStudents(rng *rand.Rand) func(int) store.Attrs {
	pick := func(weights map[string]int) string {
		keys := make([]string, 0, len(weights))
		total := 0
		for k, w := range weights {
			keys = append(keys, k)
			total += w
		}
		slices.Sort(keys)
		r := rng.IntN(total)
		for _, k := range keys {
			if r -= weights[k]; r < 0 {
				return k
			}
		}
		return keys[0]
	}
	return func(int) store.Attrs {
		return store.Attrs{
			"gender":          pick(map[string]int{"female": 48, "male": 48, "nonbinary": 4}),
			"race_ethnicity":  pick(map[string]int{"white": 40, "hispanic": 30, "black": 15, "asian": 10, "pacific_islander": 2, "native": 3}),
			"english_learner": pick(map[string]int{"Y": 20, "N": 80}),
			"disability":      pick(map[string]int{"Y": 12, "N": 88}),
			"low_income":      pick(map[string]int{"Y": 45, "N": 55}),
			"home_language":   pick(map[string]int{"en": 70, "es": 20, "vi": 4, "so": 3, "ht": 3}),
		}
	}
}

// storedScheme reads the wave × school's coarsening scheme straight from the database, as a
// database reader would; nil when none is stored (the old code stored everything as it was).
func storedScheme(st *store.Store, waveID, schoolID int64) map[string][]string {
	var raw []string
	if err := st.DB.Raw("SELECT scheme FROM snapshot_schemes WHERE wave_id = ? AND school_id = ?", waveID, schoolID).Scan(&raw).Error; err != nil || len(raw) == 0 {
		return nil
	}
	var sc struct {
		Keep map[string][]string `json:"keep"`
	}
	if json.Unmarshal([]byte(raw[0]), &sc) != nil {
		return nil
	}
	return sc.Keep
}

// cohort counts the rostered people a stored snapshot could be, as someone reading the database
// with the roster in hand: everyone whose value, coarsened by the stored scheme, equals the
// stored one for every attribute the scheme keeps (every attribute when there is no scheme).
func cohort(keys []string, keep map[string][]string, roster []store.Attrs, stored store.Attrs) int {
	n := 0
	for _, p := range roster {
		match := true
		for _, k := range keys {
			pv := p[k]
			if keep != nil {
				kv, ok := keep[k]
				if !ok {
					continue
				}
				if !slices.Contains(kv, pv) {
					pv = wave.Other
				}
			}
			if pv != stored[k] {
				match = false
				break
			}
		}
		if match {
			n++
		}
	}
	return n
}

// TestStoredSnapshotsAreKAnonymous is #17 line 5's check: every student of a school answers an
// anonymous wave by personal link; for each stored response, count the rostered students of the
// school its stored attributes fit. None may fit fewer than k = 5. On the old code a third of the
// students were unique on their combination and their stored snapshots fit only themselves.
func TestStoredSnapshotsAreKAnonymous(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		school := w.schools[0]
		rng := rand.New(rand.NewPCG(17, 5))
		w.homeroom(t, school, "07", 40, demoLikeStudents(rng))
		w.homeroom(t, school, "08", 35, demoLikeStudents(rng))
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"})
		issued, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		for i, is := range issued {
			sess, err := w.svc.ByToken(ctx, is.Token)
			must(t, err)
			must(t, answerAll(ctx, w.svc, sess, byte('0'+i%4), "en"))
		}

		var people []store.Person
		must(t, st.DB.Joins("JOIN person_schools ps ON ps.district_id = people.district_id AND ps.person_id = people.id AND ps.school_id = ?", school).
			Where("people.district_id = ? AND kind = ?", w.district, store.KindStudent).Find(&people).Error)
		roster := make([]store.Attrs, len(people))
		unique := 0
		for i, p := range people {
			roster[i] = wave.Snapshot("student", p)
		}
		keys := append([]string{"grade"}, wave.SnapshotKeys("student")...)
		for _, p := range roster {
			if cohort(keys, nil, roster, p) == 1 {
				unique++
			}
		}
		if unique*10 < len(roster) {
			t.Fatalf("only %d of %d students unique on their full combination: the roster does not test anything", unique, len(roster))
		}
		var responses []store.Response
		must(t, st.DB.Where("wave_id = ?", wv.ID).Find(&responses).Error)
		if len(responses) != len(roster) {
			t.Fatalf("%d responses for %d students", len(responses), len(roster))
		}
		keep := storedScheme(st, wv.ID, school)
		below, minimum := 0, len(roster)
		for _, r := range responses {
			n := cohort(keys, keep, roster, r.Subgroups)
			minimum = min(minimum, n)
			if n < 5 {
				below++
			}
		}
		if below > 0 {
			t.Fatalf("%d of %d stored snapshots fit fewer than 5 rostered students (smallest %d); %d of %d students are unique on their full combination",
				below, len(responses), minimum, unique, len(roster))
		}
		// Coarsening keeps what is common: both grades, 35 or more each, stay reported.
		if kv := keep["grade"]; len(kv) != 2 {
			t.Fatalf("scheme keeps grades %v, want both 07 and 08", kv)
		}
		t.Logf("%d of %d students unique on the full combination; smallest stored cohort %d; scheme %v", unique, len(roster), minimum, keep)
	})
}

// TestSnapshotStoresOnlyReportedAttributes: a district that reports grade and English learner
// status only gets only those stored, not gender, race, disability, low income, home language or
// the response language.
func TestSnapshotStoresOnlyReportedAttributes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.svc.ReportedKeys = func(a string, s store.Attrs) []string { return report.Attributes(survey.Audience(a), s) }
		rep := &report.Service{Store: st, Surveys: w.svc.Surveys, Floor: 10}
		must(t, rep.SetReporting(ctx, w.district, 10, []string{"grade", "english_learner"}, nil))
		rng := rand.New(rand.NewPCG(1, 2))
		w.homeroom(t, w.schools[0], "07", 20, demoLikeStudents(rng))
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"})
		issued, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		for _, is := range issued {
			sess, err := w.svc.ByToken(ctx, is.Token)
			must(t, err)
			must(t, answerAll(ctx, w.svc, sess, '2', "es"))
		}
		var responses []store.Response
		must(t, st.DB.Where("wave_id = ?", wv.ID).Find(&responses).Error)
		sawGrade := false
		for _, r := range responses {
			for k := range r.Subgroups {
				if k != "grade" && k != "english_learner" {
					t.Fatalf("stored %q (%v), which the district does not report", k, r.Subgroups)
				}
			}
			sawGrade = sawGrade || r.Subgroups["grade"] == "07"
		}
		if len(responses) != 20 || !sawGrade {
			t.Fatalf("%d responses, grade kept: %v", len(responses), sawGrade)
		}
	})
}

// TestClassCodeCarriesClassGrade (#14 line 2): a code made for a one-grade class stores that grade
// and nothing a code cannot know about the person: no per-person attribute and no chosen language.
// A school code for a school of several grades stores no grade.
func TestClassCodeCarriesClassGrade(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		rng := rand.New(rand.NewPCG(3, 4))
		class, _ := w.homeroom(t, w.schools[0], "07", 12, demoLikeStudents(rng))
		w.homeroom(t, w.schools[0], "08", 12, demoLikeStudents(rng))
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"code"})
		classCode, err := w.svc.IssueCode(ctx, w.district, wv.ID, w.schools[0], &class)
		must(t, err)
		schoolCode, err := w.svc.IssueCode(ctx, w.district, wv.ID, w.schools[0], nil)
		must(t, err)
		for i, code := range []string{classCode, schoolCode} {
			sess, err := byCode(ctx, w.svc, code, i)
			must(t, err)
			must(t, answerAll(ctx, w.svc, sess, '1', "vi"))
		}
		var rs []store.Response
		must(t, st.DB.Where("wave_id = ?", wv.ID).Find(&rs).Error)
		var got []string
		for _, r := range rs {
			got = append(got, fmt.Sprint(map[string]string(r.Subgroups)))
		}
		slices.Sort(got)
		if want := []string{"map[]", "map[grade:07]"}; !slices.Equal(got, want) {
			t.Fatalf("stored snapshots %v, want %v", got, want)
		}
	})
}

// TestFamilyCodeCountsGuardiansOnce: a family code's cap counts a guardian with children in two
// grades once.
func TestFamilyCodeCountsGuardiansOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.svc.CodeMargin = -1
		g := w.person(t, store.KindGuardian, "", 0, nil)
		for _, grade := range []string{"KG", "03"} {
			c := w.person(t, store.KindStudent, grade, w.schools[0], nil)
			must(t, st.DB.Create(&store.GuardianLink{DistrictID: w.district, GuardianID: g, StudentID: c}).Error)
		}
		fw := w.wave(t, "family-pulse", store.ModeAnonymous, []string{"code"})
		code, err := w.svc.IssueCode(ctx, w.district, fw.ID, w.schools[0], nil)
		must(t, err)
		sess, err := byCode(ctx, w.svc, code, 1)
		must(t, err)
		must(t, answerAll(ctx, w.svc, sess, '1', "en"))
		if _, err := byCode(ctx, w.svc, code, 2); !errors.Is(err, wave.ErrCodeFull) {
			t.Fatalf("second family on a code for one guardian: %v, want ErrCodeFull", err)
		}
	})
}
