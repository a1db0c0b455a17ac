package report_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	st       *store.Store
	district int64
	schools  [2]int64
	in       *survey.Instrument
	m        *measures.Service
	waves    *wave.Service
	rep      *report.Service
	rng      *rand.Rand
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	in, _ := cat.Get("student-pulse", 1)
	f := &fixture{st: st, district: testdb.NewDistrict(t, st), in: in, rng: rand.New(rand.NewPCG(3, 4))}
	f.m = &measures.Service{Store: st, Surveys: cat}
	f.waves = &wave.Service{Store: st, Surveys: cat, Scorer: f.m}
	f.rep = &report.Service{Store: st, Surveys: cat, Floor: 10}
	now := st.Now()
	for i := range f.schools {
		f.schools[i] = store.NewID()
		must(t, st.DB.Create(&store.School{DistrictID: f.district, ID: f.schools[i], SourcedID: string(rune('a' + i)), Name: string(rune('A' + i)),
			TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	}
	return f
}

func (f *fixture) wave(t *testing.T, name string, opens time.Time) store.Wave {
	w, err := f.waves.Create(context.Background(), wave.Spec{DistrictID: f.district, Name: name, InstrumentID: f.in.ID, InstrumentVersion: f.in.Version,
		Mode: store.ModeAnonymous, SchoolIDs: f.schools[:], OpensAt: opens, ClosesAt: opens.Add(7 * 24 * time.Hour)})
	must(t, err)
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, w.ID).Update("status", store.StatusOpen).Error)
	return w
}

// answer stores and scores n responses from one group at one school, through the scorer the
// submission path uses. level shifts answers up or down (0 is middling).
func (f *fixture) answer(t *testing.T, w store.Wave, school int64, groups store.Attrs, n int, level float64) {
	t.Helper()
	ctx := context.Background()
	for range n {
		theta := level + f.rng.NormFloat64()
		b := make([]byte, len(f.in.Items))
		for j := range b {
			x := int(theta + 1.5 + f.rng.NormFloat64()*0.7)
			b[j] = byte('0' + max(0, min(f.in.Scale.Points-1, x)))
		}
		r := store.Response{DistrictID: f.district, ID: store.NewID(), WaveID: w.ID, SchoolID: school, Language: "en", Answers: string(b), Subgroups: groups}
		must(t, f.st.Tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			return f.m.ScoreResponse(ctx, tx, f.in, &r)
		}))
	}
}

func (f *fixture) refresh(t *testing.T) {
	t.Helper()
	_, err := f.rep.Refresh(context.Background())
	must(t, err)
}

func (f *fixture) data(t *testing.T, w store.Wave) *report.WaveData {
	t.Helper()
	wd, err := f.rep.Wave(context.Background(), f.district, w.ID, f.schools[:])
	must(t, err)
	return wd
}

func cells(t *testing.T, st *store.Store, w store.Wave) map[string]store.RollupCell {
	var rows []store.RollupCell
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Find(&rows).Error)
	out := map[string]store.RollupCell{}
	for _, r := range rows {
		out[r.MeasureID+"|"+r.ItemID+"|"+r.Attribute+"|"+r.Value+"|"+string(rune(r.SchoolID%1000))] = r
	}
	return out
}

func row(t *testing.T, rows []report.Row, measure, group string) report.Row {
	t.Helper()
	for _, r := range rows {
		if r.Measure == measure && r.Group == group {
			return r
		}
	}
	t.Fatalf("no row %s/%s in %+v", measure, group, rows)
	return report.Row{}
}

// Cells counted one batch at a time must equal cells rebuilt from every score at once, and both
// must equal the statistics computed directly from the stored scores.
func TestRefreshIncrementalMatchesRebuild(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		w := f.wave(t, "w1", st.Now().Add(-time.Hour))
		f.answer(t, w, f.schools[0], store.Attrs{"gender": "female", "grade": "9"}, 25, 0)
		f.refresh(t)
		f.answer(t, w, f.schools[0], store.Attrs{"gender": "male", "grade": "10"}, 30, 0.5)
		f.answer(t, w, f.schools[1], store.Attrs{"gender": "male"}, 12, -0.5)
		f.refresh(t)
		incremental := cells(t, st, w)

		var pending int64
		must(t, st.DB.Model(&store.RollupPending{}).Where("district_id = ?", f.district).Count(&pending).Error)
		if pending != 0 {
			t.Fatalf("%d responses still queued after refresh", pending)
		}
		must(t, store.MarkWaveStale(st.DB, f.district, w.ID))
		f.refresh(t)
		rebuilt := cells(t, st, w)
		if len(rebuilt) != len(incremental) {
			t.Fatalf("rebuild has %d cells, incremental %d", len(rebuilt), len(incremental))
		}
		for k, a := range incremental {
			b := rebuilt[k]
			if a.N != b.N || math.Abs(a.Sum-b.Sum) > 1e-6 || a.Favorable != b.Favorable || a.Suppressed != b.Suppressed || a.C0+a.C1+a.C2+a.C3+a.C4 != b.C0+b.C1+b.C2+b.C3+b.C4 {
				t.Errorf("cell %s: incremental %+v, rebuilt %+v", k, a, b)
			}
		}

		// The district's trust mean is the mean of every stored score for that measure.
		measure := f.in.Measures[0].ID
		var direct struct {
			N    int
			Mean float64
		}
		must(t, st.DB.Raw("SELECT count(*) AS n, avg(score) AS mean FROM scores WHERE district_id = ? AND wave_id = ? AND measure_id = ?", f.district, w.ID, measure).Scan(&direct).Error)
		got := row(t, f.data(t, w).Results(0, ""), measure, report.All)
		if got.N != direct.N || math.Abs(got.Mean-direct.Mean) > 1e-9 {
			t.Errorf("district %s: n=%d mean=%.4f, scores say n=%d mean=%.4f", measure, got.N, got.Mean, direct.N, direct.Mean)
		}
		if !(got.CILow < got.Mean && got.Mean < got.CIHigh) || math.IsNaN(got.Favorable) {
			t.Errorf("district row lacks an interval or %% favorable: %+v", got)
		}
	})
}

// A small group is hidden everywhere it could be read from, and no subtraction brings it back.
func TestHiddenGroupCannotBeRecovered(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	w := f.wave(t, "w1", st.Now().Add(-time.Hour))
	a, b := f.schools[0], f.schools[1]
	f.answer(t, w, a, store.Attrs{"gender": "female"}, 20, 0)
	f.answer(t, w, a, store.Attrs{"gender": "male"}, 25, 0)
	f.answer(t, w, a, store.Attrs{"gender": "nonbinary"}, 3, -1)
	f.answer(t, w, b, store.Attrs{"gender": "female"}, 30, 0)
	f.answer(t, w, b, store.Attrs{"gender": "male"}, 30, 0)
	f.refresh(t)
	wd := f.data(t, w)
	measure := f.in.Measures[0].ID

	// Everything an API caller or an export could see, for every school and the district.
	shown := map[[2]any]report.Row{}
	for _, school := range []int64{0, a, b} {
		for _, by := range []string{"", "gender"} {
			for _, r := range wd.Rows(school, measure, by) {
				shown[[2]any{school, r.Group}] = r
				if r.Suppressed && (r.N != 0 || r.Mean != 0 || r.CILow != 0 || r.Favorable != 0 || r.Gap != nil || r.Change != nil || r.Invited != 0) {
					t.Errorf("school %d group %s is hidden but carries numbers: %+v", school, r.Group, r)
				}
			}
		}
	}
	for _, school := range []int64{0, a} {
		// Hidden, or not listed at all: pooled with its sibling into one combined group.
		if r, ok := shown[[2]any{school, "nonbinary"}]; ok && !r.Suppressed {
			t.Fatal("the group of 3 is shown")
		}
	}
	if r := shown[[2]any{a, report.Combined}]; r.Suppressed || r.N != 23 || r.Combines != nil {
		t.Errorf("school a: combined group %+v, want the 3 with the 20 girls (next smallest), unnamed", r)
	}
	// Sibling subtraction: school total minus the shown groups.
	for _, school := range []int64{0, a, b} {
		total := shown[[2]any{school, report.All}]
		if total.Suppressed {
			continue
		}
		rest, hidden := total.N, 0
		for _, g := range []string{"female", "male", "nonbinary", report.Combined} {
			r, ok := shown[[2]any{school, g}]
			if !ok {
				continue
			}
			if r.Suppressed {
				hidden++
			} else {
				rest -= r.N
			}
		}
		if hidden == 1 {
			t.Errorf("school %d: one hidden group = total − siblings = %d", school, rest)
		}
	}
	// Across schools: district group minus the schools' shown groups.
	for _, g := range []string{"female", "male", "nonbinary"} {
		d := shown[[2]any{int64(0), g}]
		hidden := 0
		for _, school := range []int64{a, b} {
			if r, ok := shown[[2]any{school, g}]; ok && r.Suppressed {
				hidden++
			}
		}
		if !d.Suppressed && hidden == 1 {
			t.Errorf("group %s: one school's hidden cell = district − other school", g)
		}
	}
	// The stored cells themselves survive the chained attack too.
	var rows []store.RollupCell
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", f.district, w.ID).Find(&rows).Error)
	for _, r := range rows {
		if r.N < 10 && !r.Suppressed {
			t.Errorf("stored cell %+v is under the floor and not suppressed", r)
		}
	}
}

func TestGapAndChangeAreFlagged(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	now := st.Now()
	w1 := f.wave(t, "w1", now.Add(-40*24*time.Hour))
	w2 := f.wave(t, "w2", now.Add(-time.Hour))
	a := f.schools[0]
	f.answer(t, w1, a, store.Attrs{"english_learner": "yes"}, 40, 0)
	f.answer(t, w1, a, store.Attrs{"english_learner": "no"}, 60, 0)
	f.answer(t, w2, a, store.Attrs{"english_learner": "yes"}, 40, -1.5)
	f.answer(t, w2, a, store.Attrs{"english_learner": "no"}, 60, 0)
	f.answer(t, w2, a, store.Attrs{"english_learner": "no", "gender": "x"}, 4, 0)
	f.refresh(t)
	wd := f.data(t, w2)
	if wd.Previous == nil || wd.Previous.ID != w1.ID {
		t.Fatalf("previous wave = %+v, want w1", wd.Previous)
	}
	measure := f.in.Measures[0].ID
	el := row(t, wd.Rows(a, measure, "english_learner"), measure, "yes")
	if el.Gap == nil || !el.Gap.Flagged || el.Gap.Diff > -5 || el.Gap.High >= 0 {
		t.Errorf("EL gap not flagged: %+v", el.Gap)
	}
	if el.Change == nil || !el.Change.Flagged || el.Change.Diff > -5 {
		t.Errorf("EL drop since w1 not flagged: %+v", el.Change)
	}
	notEL := row(t, wd.Rows(a, measure, "english_learner"), measure, "no")
	if notEL.Change != nil && notEL.Change.Flagged {
		t.Errorf("stable group flagged as changed: %+v", notEL.Change)
	}
	if err := wd.CheckAttribute("shoe_size"); err == nil {
		t.Error("unknown attribute accepted")
	}
	trend, err := f.rep.Trend(context.Background(), wd, a)
	must(t, err)
	if len(trend) != 2 || trend[0].Wave.ID != w1.ID || trend[1].Measures[0].Suppressed {
		t.Errorf("trend = %+v", trend)
	}
	// A one-school view reads only that school's cells and must answer exactly as the full load.
	for _, school := range []int64{a, 0} {
		one, err := f.rep.WaveOf(context.Background(), f.district, w2.ID, f.schools[:], school)
		must(t, err)
		for _, by := range []string{"", "english_learner", "gender"} {
			if got, want := printRows(one.Results(school, by)), printRows(wd.Results(school, by)); got != want {
				t.Errorf("WaveOf(%d) by %q = %s\nwant %s", school, by, got, want)
			}
		}
		if got, want := printItems(one.Items(school)), printItems(wd.Items(school)); got != want || len(one.Schools) != len(wd.Schools) {
			t.Errorf("WaveOf(%d): items %s, %d schools\nwant %s, %d schools", school, got, len(one.Schools), want, len(wd.Schools))
		}
	}
	if _, err := f.rep.WaveOf(context.Background(), f.district, w2.ID, []int64{f.schools[1]}, a); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WaveOf a school outside the scope: err = %v, want ErrNotFound", err)
	}
}

// TestChangeNeverRevealsAHiddenWave: a change is a difference, so showing it next to a shown
// group would give away the group's hidden result in the other wave (previous = current − change).
func TestChangeNeverRevealsAHiddenWave(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	now := st.Now()
	w1 := f.wave(t, "w1", now.Add(-40*24*time.Hour))
	w2 := f.wave(t, "w2", now.Add(-20*24*time.Hour))
	w3 := f.wave(t, "w3", now.Add(-time.Hour))
	a := f.schools[0]
	for _, w := range []store.Wave{w1, w2, w3} {
		f.answer(t, w, a, store.Attrs{"gender": "female"}, 30, 0)
		f.answer(t, w, a, store.Attrs{"gender": "male"}, 30, 0)
	}
	f.answer(t, w1, a, store.Attrs{"gender": "nonbinary"}, 4, -2) // hidden in w1
	f.answer(t, w2, a, store.Attrs{"gender": "nonbinary"}, 14, 0) // shown in w2
	f.answer(t, w3, a, store.Attrs{"gender": "nonbinary"}, 5, -2) // hidden again in w3
	f.refresh(t)
	measure := f.in.Measures[0].ID
	for _, w := range []store.Wave{w2, w3} {
		wd := f.data(t, w)
		for _, r := range wd.Rows(a, measure, "gender") {
			if r.Change == nil {
				continue
			}
			prev := row(t, f.data(t, *wd.Previous).Rows(a, measure, "gender"), measure, r.Group)
			if r.Suppressed || prev.Suppressed {
				t.Errorf("%s %s: change %+v shown with a hidden side (now hidden %v, before hidden %v)", w.Name, r.Group, *r.Change, r.Suppressed, prev.Suppressed)
			}
		}
	}
	nb := row(t, f.data(t, w2).Rows(a, measure, "gender"), measure, "nonbinary")
	if nb.Suppressed || nb.Change != nil {
		t.Errorf("w2 nonbinary: shown %v, change %+v; want shown, with no change against hidden w1", !nb.Suppressed, nb.Change)
	}
}

// TestDistrictRowNeedsEverySchool: the district row adds up every school of a wave, so a viewer
// whose scope lacks one of them gets no district figure from it — not its rows, items or trend
// point, and not a change against it (district now − change = district then).
func TestDistrictRowNeedsEverySchool(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	ctx := context.Background()
	now := st.Now()
	a, b := f.schools[0], f.schools[1]
	both := f.wave(t, "both", now.Add(-40*24*time.Hour))
	onlyA, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "only A", InstrumentID: f.in.ID, InstrumentVersion: f.in.Version,
		Mode: store.ModeAnonymous, SchoolIDs: []int64{a}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(7 * 24 * time.Hour)})
	must(t, err)
	must(t, st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, onlyA.ID).Update("status", store.StatusOpen).Error)
	f.answer(t, both, a, store.Attrs{"gender": "female"}, 30, 0)
	f.answer(t, both, b, store.Attrs{"gender": "female"}, 30, 1)
	f.answer(t, onlyA, a, store.Attrs{"gender": "female"}, 30, 0)
	f.refresh(t)
	measure := f.in.Measures[0].ID
	load := func(w store.Wave, scope []int64) *report.WaveData {
		wd, err := f.rep.WaveOf(ctx, f.district, w.ID, scope, 0)
		must(t, err)
		return wd
	}

	// Scope A, wave over A and B: nothing of the district.
	wd := load(both, []int64{a})
	if wd.DistrictVisible {
		t.Error("district row of a wave over A and B visible to scope A")
	}
	if r := wd.Rows(0, measure, ""); len(r) != 1 || !r[0].Suppressed || r[0].N != 0 {
		t.Errorf("district overall for scope A: %+v", r)
	}
	if r := wd.Rows(0, measure, "gender"); len(r) != 0 {
		t.Errorf("district groups for scope A: %+v", r)
	}
	for _, it := range wd.Items(0) {
		if !it.Suppressed {
			t.Errorf("district item %s shown to scope A", it.Item)
		}
	}
	// Scope A, wave at A only: its district row is A's, shown, but with no change against the
	// earlier wave over A and B and no trend point for it.
	wd = load(onlyA, []int64{a})
	r := wd.Rows(0, measure, "")[0]
	if !wd.DistrictVisible || r.Suppressed || r.N != 30 {
		t.Fatalf("district row of a wave at A only, scope A: visible %v, %+v", wd.DistrictVisible, r)
	}
	if r.Change != nil {
		t.Errorf("district change against a wave over A and B shown to scope A: %+v", *r.Change)
	}
	trend, err := f.rep.Trend(ctx, wd, 0)
	must(t, err)
	if len(trend) != 1 || trend[0].Wave.ID != onlyA.ID {
		t.Errorf("district trend for scope A has %d points, want only the wave at A", len(trend))
	}
	// Whoever sees both schools gets all of it.
	wd = load(onlyA, f.schools[:])
	if r := wd.Rows(0, measure, "")[0]; r.Change == nil {
		t.Error("district change hidden from a viewer of every school")
	}
	if trend, _ := f.rep.Trend(ctx, wd, 0); len(trend) != 2 {
		t.Errorf("district trend for every school has %d points, want 2", len(trend))
	}
}

// TestResponseRatesBySubgroup: invited counts come from the roster at refresh, answered counts
// from the responses, so each group's response rate is its own.
func TestResponseRatesBySubgroup(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	ctx := context.Background()
	now := st.Now()
	a := f.schools[0]
	for i := range 50 {
		grade, el := "05", "no"
		if i >= 30 {
			grade = "06"
		} else if i < 16 {
			el = "yes"
		}
		id := store.NewID()
		must(t, st.DB.Create(&store.Person{DistrictID: f.district, ID: id, SourcedID: fmt.Sprint("s", i), Kind: store.KindStudent, Grade: grade,
			SchoolID: &a, Attributes: store.Attrs{"english_learner": el}, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
		must(t, st.DB.Create(&store.PersonSchool{DistrictID: f.district, PersonID: id, SchoolID: a}).Error)
	}
	w := f.wave(t, "rates", now.Add(-time.Hour))
	_, err := f.waves.Invite(ctx, f.district, w.ID)
	must(t, err)
	f.answer(t, w, a, store.Attrs{"grade": "05", "english_learner": "yes"}, 11, 0)
	f.answer(t, w, a, store.Attrs{"grade": "05", "english_learner": "no"}, 13, 0)
	f.answer(t, w, a, store.Attrs{"grade": "06", "english_learner": "no"}, 10, 0)
	f.refresh(t)
	wd := f.data(t, w)
	for _, c := range []struct {
		school          int64
		by, group       string
		answered, invit int
	}{
		{a, "", "all", 34, 50}, {0, "", "all", 34, 50},
		{a, "grade", "05", 24, 30}, {a, "grade", "06", 10, 20},
		{a, "english_learner", "yes", 11, 16}, {a, "english_learner", "no", 23, 34}, {0, "english_learner", "no", 23, 34},
	} {
		r := row(t, wd.Rows(c.school, "", c.by), "", c.group)
		if r.N != c.answered || r.Invited != c.invit || math.Abs(r.Rate-100*float64(c.answered)/float64(c.invit)) > 1e-9 {
			t.Errorf("school %d %s=%s: %d of %d invited (%.1f%%), want %d of %d", c.school, c.by, c.group, r.N, r.Invited, r.Rate, c.answered, c.invit)
		}
	}
}

// printRows spells rows out, comparisons included, so two loads can be compared (NaN rates too).
func printRows(rows []report.Row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s/%s/%s %+v", r.Measure, r.Attribute, r.Group, r.Stat)
		for _, c := range []*report.Compare{r.Gap, r.Change} {
			if c != nil {
				fmt.Fprintf(&b, " %+v", *c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Rescoring replaces every score; the wave's cells must follow without anyone asking.
func TestRescoreRebuildsCells(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	w := f.wave(t, "w1", st.Now().Add(-time.Hour))
	f.answer(t, w, f.schools[0], nil, 30, 0)
	f.refresh(t)
	must(t, st.DB.Exec("UPDATE scores SET score = score + 1 WHERE district_id = ?", f.district).Error)
	_, err := f.m.Rescore(context.Background(), f.district, w.ID)
	must(t, err)
	var state store.RollupWave
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", f.district, w.ID).First(&state).Error)
	if !state.Stale {
		t.Fatal("rescore did not mark the wave stale")
	}
	if n, err := f.rep.Refresh(context.Background()); err != nil || n != 1 {
		t.Fatalf("refresh = %d, %v", n, err)
	}
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", f.district, w.ID).First(&state).Error)
	if state.Stale || state.BuiltAt == nil {
		t.Errorf("state after rebuild = %+v", state)
	}
	if n, err := f.rep.Refresh(context.Background()); err != nil || n != 0 {
		t.Errorf("a second refresh with nothing new did %d waves (%v)", n, err)
	}
}

// printItems prints item rows with their comparison's values, not its address.
func printItems(items []report.ItemRow) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%s %s %+v", it.Measure, it.Item, it.Stat)
		if it.FavChange != nil {
			fmt.Fprintf(&b, " change %+v", *it.FavChange)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestBaselineAndYearOverYear: a wave compares with the first wave of its school year and with the
// same season last year, each with its interval and flag: belonging rose since August (flagged)
// though the previous wave shows no clear change, and it is flat against last December.
func TestBaselineAndYearOverYear(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	lastYear := f.wave(t, "December 2025", day("2025-12-02"))
	august := f.wave(t, "August 2026", day("2026-08-25"))
	october := f.wave(t, "October 2026", day("2026-10-20"))
	december := f.wave(t, "December 2026", day("2026-12-01"))
	a := f.schools[0]
	for _, w := range []struct {
		w     store.Wave
		level float64
	}{{lastYear, 0.9}, {august, 0}, {october, 0.6}, {december, 0.9}} {
		f.answer(t, w.w, a, store.Attrs{"english_learner": "no"}, 150, w.level)
	}
	f.refresh(t)
	wd := f.data(t, december)
	if wd.Previous == nil || wd.Previous.ID != october.ID || wd.Baseline == nil || wd.Baseline.ID != august.ID || wd.YearAgo == nil || wd.YearAgo.ID != lastYear.ID {
		t.Fatalf("previous %v, baseline %v, year ago %v", wd.Previous, wd.Baseline, wd.YearAgo)
	}
	measure := f.in.Measures[0].ID
	r := row(t, wd.Rows(a, measure, ""), measure, report.All)
	if r.SinceBaseline == nil || !r.SinceBaseline.Flagged || r.SinceBaseline.Diff < 5 || r.FavSinceBaseline == nil {
		t.Errorf("since August: %+v", r.SinceBaseline)
	}
	if r.YearOverYear == nil || r.YearOverYear.Flagged || r.FavYearOverYear == nil {
		t.Errorf("since last December: %+v", r.YearOverYear)
	}
	if r.Change == nil || r.Change.Diff >= r.SinceBaseline.Diff {
		t.Errorf("since October %+v should be smaller than since August %+v", r.Change, r.SinceBaseline)
	}
	items := wd.Items(a)
	if items[0].FavChange == nil {
		t.Errorf("item %s has no change since October", items[0].Item)
	}
	// August's baseline is itself the year's first wave: no baseline, and no wave a year before.
	if wa := f.data(t, august); wa.Baseline != nil || wa.YearAgo != nil {
		t.Errorf("August: baseline %v, year ago %v", wa.Baseline, wa.YearAgo)
	}
}
