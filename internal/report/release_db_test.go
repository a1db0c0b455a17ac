package report_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// shown is every number a reader could see of a wave: each cell's n and sums unless hidden.
func shown(t *testing.T, st *store.Store, w store.Wave) string {
	t.Helper()
	var b strings.Builder
	rows := cells(t, st, w)
	for _, k := range sortedKeys(rows) {
		r := rows[k]
		if r.Suppressed {
			fmt.Fprintf(&b, "%s hidden\n", k)
		} else {
			fmt.Fprintf(&b, "%s n=%d sum=%.6f fav=%d/%d invited=%d\n", k, r.N, r.Sum, r.Favorable, r.Answered, r.Invited)
		}
	}
	return b.String()
}

func sortedKeys(m map[string]store.RollupCell) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func released(t *testing.T, st *store.Store, w store.Wave) int64 {
	t.Helper()
	var n int64
	must(t, st.DB.Model(&store.ResponseRelease{}).Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).Count(&n).Error)
	return n
}

// TestReleaseInBatches: after the first release, single submissions change no stored cell at
// all — shown or hidden — until every cell they change has k = 5 new responses; then they are
// released together as the next batch.
func TestReleaseInBatches(t *testing.T) {
	testdb.Each(t, testReleaseInBatches)
}

func testReleaseInBatches(t *testing.T, db *store.Store) {
	f := newFixture(t, db)
	a := f.schools[0]
	w := f.wave(t, "spring", f.st.Now().Add(-time.Hour))
	f.answer(t, w, a, store.Attrs{"gender": "female", "grade": "09"}, 20, 0)
	f.refresh(t)
	first := shown(t, f.st, w)
	if released(t, f.st, w) != 20 || !strings.Contains(first, "n=20") {
		t.Fatalf("first release: %d released\n%s", released(t, f.st, w), first)
	}
	for i := 1; i <= 4; i++ {
		f.answer(t, w, a, store.Attrs{"gender": "male", "grade": "09"}, 1, 0)
		f.refresh(t)
		if got := shown(t, f.st, w); got != first {
			t.Fatalf("after %d single submissions the cells changed:\n%s\nwant\n%s", i, got, first)
		}
	}
	var st store.RollupWave
	must(t, f.st.DB.Where("district_id = ? AND wave_id = ?", f.district, w.ID).First(&st).Error)
	if st.Held != 4 || st.ReleaseBatch != 1 {
		t.Errorf("state after 4 held: %+v", st)
	}
	f.answer(t, w, a, store.Attrs{"gender": "male", "grade": "09"}, 1, 0)
	f.refresh(t)
	if got := shown(t, f.st, w); got == first || !strings.Contains(got, "n=25") || released(t, f.st, w) != 25 {
		t.Fatalf("a batch of 5 in every changed cell was not released (%d released):\n%s", released(t, f.st, w), got)
	}
	// A rebuild counts exactly the released responses, not the held ones.
	f.answer(t, w, a, store.Attrs{"gender": "male", "grade": "09"}, 2, 0)
	before := shown(t, f.st, w)
	must(t, store.MarkWaveStale(f.st.DB, f.district, w.ID))
	f.refresh(t)
	if got := shown(t, f.st, w); got != before {
		t.Errorf("a rebuild moved the cells by the held responses:\n%s\nwant\n%s", got, before)
	}
}

// TestReleaseModes: a confidential wave is released as answered; a district that chose release
// at close sees nothing of an open anonymous wave, and everything once it closes.
func TestReleaseModes(t *testing.T) {
	f := newFixture(t, testdb.Postgres(t))
	ctx := context.Background()
	a := f.schools[0]
	conf, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "staff-like", InstrumentID: f.in.ID, InstrumentVersion: f.in.Version,
		Mode: store.ModeConfidential, SchoolIDs: f.schools[:], OpensAt: f.st.Now(), ClosesAt: f.st.Now().Add(time.Hour)})
	must(t, err)
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, conf.ID).Update("status", store.StatusOpen).Error)
	f.answer(t, conf, a, nil, 12, 0)
	f.refresh(t)
	f.answer(t, conf, a, nil, 1, 0)
	f.refresh(t)
	if n := released(t, f.st, conf); n != 13 {
		t.Errorf("confidential wave: %d of 13 released", n)
	}

	must(t, f.rep.SetResults(ctx, f.district, 10, nil, nil, report.ReleasePolicy{Mode: report.ReleaseAtClose, K: 5, At: "06:00"}))
	w := f.wave(t, "at close", f.st.Now().Add(-time.Hour))
	f.answer(t, w, a, nil, 30, 0)
	f.refresh(t)
	if n := released(t, f.st, w); n != 0 || strings.Contains(shown(t, f.st, w), "n=30") {
		t.Fatalf("open wave under release at close: %d released\n%s", n, shown(t, f.st, w))
	}
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, w.ID).Update("status", store.StatusClosed).Error)
	f.refresh(t)
	if n := released(t, f.st, w); n != 30 || !strings.Contains(shown(t, f.st, w), "n=30") {
		t.Errorf("closed wave: %d of 30 released\n%s", n, shown(t, f.st, w))
	}
}

// TestRefreshContinuesPastAFailingWave: a wave that cannot be built (its instrument version is
// not in this program) does not stop the others; its failure is returned, kept on the wave for
// its admins, and cleared once it builds.
func TestRefreshContinuesPastAFailingWave(t *testing.T) {
	f := newFixture(t, testdb.Postgres(t))
	ctx := context.Background()
	opens := f.st.Now().Add(-time.Hour)
	broken := f.wave(t, "broken", opens)
	good := f.wave(t, "good", opens.Add(time.Minute))
	f.answer(t, broken, f.schools[0], nil, 12, 0)
	f.answer(t, good, f.schools[0], nil, 12, 0)
	must(t, f.st.DB.Create(&store.Instrument{DistrictID: f.district, InstrumentID: f.in.ID, Version: 99, Audience: "student", CreatedAt: f.st.Now()}).Error)
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, broken.ID).Update("instrument_version", 99).Error)
	t.Cleanup(func() { // the package's tests share a database: leave no broken wave behind
		f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, broken.ID).Update("instrument_version", 1)
	})
	for range 2 {
		_, err := f.rep.Refresh(ctx) // the count includes other tests' waves: the package shares a database
		if !errors.Is(err, report.ErrWaveFailed) || !strings.Contains(err.Error(), "is not in this program") {
			t.Fatalf("Refresh error = %v", err)
		}
	}
	if !strings.Contains(shown(t, f.st, good), "n=12") {
		t.Errorf("the good wave was not built:\n%s", shown(t, f.st, good))
	}
	builds, err := f.rep.Builds(ctx, f.district)
	must(t, err)
	if len(builds) != 1 || builds[0].WaveID != broken.ID || !strings.Contains(builds[0].Error, "student-pulse v99 is not in this program") || builds[0].FailedAt == nil {
		t.Fatalf("builds = %+v", builds)
	}
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, broken.ID).Update("instrument_version", 1).Error)
	if _, err := f.rep.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := f.rep.Build(ctx, f.district, broken.ID); err != nil || b.Error != "" || b.Stale || !strings.Contains(shown(t, f.st, broken), "n=12") {
		t.Errorf("after the fix: %+v %v\n%s", b, err, shown(t, f.st, broken))
	}
}

// TestTwoRefreshersReleaseOnce: two refreshers (two servers) on one database, racing over the same
// held batch and the same queued rebuild, release and count every response exactly once.
func TestTwoRefreshersReleaseOnce(t *testing.T) {
	f := newFixture(t, testdb.Postgres(t))
	ctx := context.Background()
	w := f.wave(t, "raced", f.st.Now().Add(-time.Hour))
	f.answer(t, w, f.schools[0], nil, 12, 0)
	f.refresh(t)
	f.answer(t, w, f.schools[0], nil, 20, 0)
	f.answer(t, w, f.schools[1], nil, 20, 0)
	must(t, f.rep.SetReporting(ctx, f.district, 10, nil, nil)) // queues a rebuild of the wave too
	other := &report.Service{Store: f.st, Surveys: f.rep.Surveys, Floor: 10}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, rs := range []*report.Service{f.rep, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = rs.Refresh(ctx)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		must(t, err)
	}
	var batches []int
	must(t, f.st.DB.Model(&store.ResponseRelease{}).Where("district_id = ? AND wave_id = ?", f.district, w.ID).
		Distinct("batch").Order("batch").Pluck("batch", &batches).Error)
	if n := released(t, f.st, w); n != 52 || fmt.Sprint(batches) != "[1 2]" {
		t.Errorf("%d of 52 released in batches %v, want 52 in [1 2]", n, batches)
	}
	if got := shown(t, f.st, w); !strings.Contains(got, "n=52") {
		t.Errorf("district total is not 52:\n%s", got)
	}
}

// TestDailyRelease: under a daily release at 14:30 (the schools' zone is UTC here), a batch that
// meets the rule waits until 14:30, is released once that day, and the next day's batch waits for
// the next 14:30 — the held set unchanged in between, so only the clock decides.
func TestDailyRelease(t *testing.T) {
	st := testdb.Postgres(t)
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	st.Now = func() time.Time { return now }
	f := newFixture(t, st)
	ctx := context.Background()
	must(t, f.rep.SetResults(ctx, f.district, 10, nil, nil, report.ReleasePolicy{Mode: report.ReleaseDaily, K: 5, At: "14:30"}))
	w := f.wave(t, "daily", now.Add(-time.Hour))
	f.answer(t, w, f.schools[0], nil, 12, 0)
	f.refresh(t)
	if n := released(t, st, w); n != 0 {
		t.Fatalf("released %d before the first 14:30", n)
	}
	now = time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)
	f.refresh(t)
	if n := released(t, st, w); n != 12 {
		t.Fatalf("released %d of 12 at 14:30", n)
	}
	f.answer(t, w, f.schools[0], nil, 6, 0)
	now = time.Date(2026, 3, 10, 20, 0, 0, 0, time.UTC)
	f.refresh(t)
	now = time.Date(2026, 3, 11, 14, 29, 0, 0, time.UTC)
	f.refresh(t)
	if n := released(t, st, w); n != 12 {
		t.Fatalf("released %d, want 12 until the next 14:30", n)
	}
	now = time.Date(2026, 3, 11, 14, 31, 0, 0, time.UTC)
	f.refresh(t)
	if n := released(t, st, w); n != 18 {
		t.Errorf("released %d of 18 after the second 14:30", n)
	}
}

// TestRareRespondentDoesNotHoldOthersBack: after the first release, ten ninth graders and one
// twelfth grader answer. The ten are released as a batch; the one stays held (alone they would be
// recovered by subtraction) until four more twelfth graders make a batch of five.
func TestRareRespondentDoesNotHoldOthersBack(t *testing.T) {
	f := newFixture(t, testdb.Postgres(t))
	a := f.schools[0]
	w := f.wave(t, "rare", f.st.Now().Add(-time.Hour))
	f.answer(t, w, a, store.Attrs{"grade": "09"}, 20, 0)
	f.answer(t, w, a, store.Attrs{"grade": "12"}, 12, 0)
	f.refresh(t)
	f.answer(t, w, a, store.Attrs{"grade": "09"}, 10, 0)
	f.answer(t, w, a, store.Attrs{"grade": "12"}, 1, 0)
	f.refresh(t)
	if n := released(t, f.st, w); n != 42 {
		t.Fatalf("released %d, want 32 + the 10 ninth graders", n)
	}
	got := cells(t, f.st, w)
	if c := got["||grade|12|"+string(rune(a%1000))]; c.N != 12 {
		t.Errorf("grade 12 shows %d, want 12 (the new one held)", c.N)
	}
	f.answer(t, w, a, store.Attrs{"grade": "12"}, 4, 0)
	f.refresh(t)
	if n := released(t, f.st, w); n != 47 {
		t.Errorf("released %d, want 47 once five twelfth graders are held", n)
	}
}
