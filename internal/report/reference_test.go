package report_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestBandOf(t *testing.T) {
	cuts := [4]float64{35, 45, 55, 65}
	for _, tt := range []struct {
		v    float64
		band int
	}{{0, 0}, {34.99, 0}, {35, 1}, {44.9, 1}, {45, 2}, {54.99, 2}, {55, 3}, {65, 4}, {100, 4}} {
		if got := report.BandOf(cuts, tt.v); got != tt.band {
			t.Errorf("BandOf(%g) = %d, want %d", tt.v, got, tt.band)
		}
	}
}

// TestCutsFromMoments: mean ± 0.5 and ± 1.5 SD of the reference group, whole points, within 0–100;
// refused under the floor or when the scores are too alike to separate bands.
func TestCutsFromMoments(t *testing.T) {
	moments := func(mean, sd float64, n int) scoring.Moments {
		// n values with this mean and sample SD: half at mean−a, half at mean+a.
		a := sd * math.Sqrt(float64(n-1)/float64(n))
		var m scoring.Moments
		for i := range n {
			if i%2 == 0 {
				m.Add(mean - a)
			} else {
				m.Add(mean + a)
			}
		}
		return m
	}
	tests := []struct {
		name  string
		m     scoring.Moments
		floor int
		want  [4]float64
		err   bool
	}{
		{"typical", moments(52, 12, 400), 10, [4]float64{34, 46, 58, 70}, false},
		{"rounded", moments(47.3, 9.1, 200), 10, [4]float64{34, 43, 52, 61}, false},
		{"clipped at 100", moments(90, 10, 200), 10, [4]float64{75, 85, 95, 100}, false},
		{"under the floor", moments(50, 10, 8), 10, [4]float64{}, true},
		{"too alike", moments(50, 0.4, 100), 10, [4]float64{}, true},
	}
	for _, tt := range tests {
		got, err := report.CutsFromMoments(tt.m, tt.floor)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("%s: %v, %v; want %v (error %v)", tt.name, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, report.ErrReference) {
			t.Errorf("%s: error %v is not ErrReference", tt.name, err)
		}
		if err != nil {
			referenceRefusal(t, err)
		}
	}
	for _, bad := range [][4]float64{{35, 35, 55, 65}, {45, 35, 55, 65}, {-1, 45, 55, 65}, {35, 45, 55, 101}, {math.NaN(), 45, 55, 65}} {
		if err := report.CheckCuts(bad); err == nil {
			t.Errorf("CheckCuts(%v) accepted", bad)
		} else {
			referenceRefusal(t, err)
		}
	}
}

// referenceRefusal checks a refused reference value: ErrReference, read as "invalid reference
// values: <sentence>", with a refusal whose message (locales/dashboard-refusals-report) renders
// that sentence in English, so the reference page reads as before in English and is worded in the
// page's language otherwise (#16 line 6).
func referenceRefusal(t *testing.T, err error) {
	t.Helper()
	var r *refusal.Error
	if !errors.Is(err, report.ErrReference) || !errors.As(err, &r) || err.Error() != report.ErrReference.Error()+": "+r.Msg {
		t.Errorf("%v: want ErrReference with a refusal", err)
		return
	}
	refusaltest.Rendered(t, "dashboard-refusals-report.en.toml", r)
}

// TestChangeReference: bands are provisional until the district sets reference values; setting
// them from a wave freezes that wave's district mean ± 0.5/1.5 SD, audits the change, marks the
// survey's waves for a rebuild, and the rebuilt band distribution follows the new cut points.
// Single-item measures cannot get bands; a draft wave or a wave of another survey cannot be the
// reference.
func TestChangeReference(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		now := st.Now()
		w := f.wave(t, "Fall", now.Add(-24*time.Hour))
		f.answer(t, w, f.schools[0], store.Attrs{"gender": "female"}, 40, 0.5)
		f.answer(t, w, f.schools[1], store.Attrs{"gender": "male"}, 40, -0.5)
		f.refresh(t)
		m := f.in.Measures[0].ID
		overall := row(t, f.data(t, w).Results(0, ""), m, report.All)
		if overall.Band == nil || !overall.Band.Provisional {
			t.Fatalf("before any reference the band is not provisional: %+v", overall.Band)
		}
		var dc store.RollupCell
		must(t, st.DB.Where("district_id = ? AND wave_id = ? AND school_id = 0 AND measure_id = ? AND item_id = '' AND attribute = ''", f.district, w.ID, m).
			First(&dc).Error)
		by := auth.Actor{Email: "admin@example.test"}
		err := f.rep.ChangeReference(ctx, f.district, report.ReferenceChange{InstrumentID: f.in.ID, MeasureID: m, WaveID: w.ID}, by)
		must(t, err)
		var stale []bool
		must(t, st.DB.Model(&store.RollupWave{}).Where("district_id = ? AND wave_id = ?", f.district, w.ID).Pluck("stale", &stale).Error)
		if len(stale) != 1 || !stale[0] {
			t.Errorf("the survey's wave is not marked for a rebuild: %v", stale)
		}
		var audits []store.AuditEntry
		must(t, st.DB.Where("district_id = ? AND action = ?", f.district, report.ActionReference).Find(&audits).Error)
		if len(audits) != 1 || !strings.Contains(audits[0].Detail, "from wave") || audits[0].Actor != by.Email {
			t.Errorf("audit rows: %+v", audits)
		}
		f.refresh(t)
		wd := f.data(t, w)
		cuts, ref := wd.Cuts(m)
		want, err := report.CutsFromMoments(scoring.Moments{N: dc.N, Sum: dc.Sum, SumSq: dc.SumSq}, 10)
		must(t, err)
		if ref == nil || ref.Source != report.SourceWave || cuts != want {
			t.Errorf("cuts %v (ref %+v), want %v from the wave", cuts, ref, want)
		}
		overall = row(t, wd.Results(0, ""), m, report.All)
		if overall.Band == nil || overall.Band.Provisional || overall.Band.Index != report.BandOf(want, overall.Mean) {
			t.Errorf("band after the reference: %+v (mean %g, cuts %v)", overall.Band, overall.Mean, want)
		}
		// Cut points at mean ± 0.5/1.5 SD put roughly 7/24/38/24/7 % of respondents in the bands.
		if d := overall.Dist; d[2] < 25 || d[0] > 20 || d[4] > 20 {
			t.Errorf("band distribution not counted under the reference cut points: %v", d)
		}
		other := row(t, wd.Results(0, ""), f.in.Measures[1].ID, report.All)
		if other.Band == nil || !other.Band.Provisional {
			t.Errorf("a measure without reference values lost its provisional mark: %+v", other.Band)
		}
		// Explicit cut points (nearly every score between 3 and 99: "strong"), then back to provisional.
		must(t, f.rep.ChangeReference(ctx, f.district, report.ReferenceChange{InstrumentID: f.in.ID, MeasureID: m, Cuts: [4]float64{1, 2, 3, 99}}, by))
		f.refresh(t)
		wd = f.data(t, w)
		if cuts, ref := wd.Cuts(m); ref == nil || ref.Source != report.SourceCuts || cuts != [4]float64{1, 2, 3, 99} {
			t.Errorf("explicit cuts: %v %+v", cuts, ref)
		}
		if d := row(t, wd.Results(0, ""), m, report.All).Dist; d[3] < 90 {
			t.Errorf("distribution under cut points 1/2/3/99: %v, want nearly all strong", d)
		}
		must(t, f.rep.ChangeReference(ctx, f.district, report.ReferenceChange{InstrumentID: f.in.ID, MeasureID: m, Clear: true}, by))
		if _, ref := f.data(t, w).Cuts(m); ref != nil {
			t.Errorf("cleared, still %+v", ref)
		}
		var single string
		for _, ms := range f.in.Measures {
			if ms.SingleItem {
				single = ms.ID
			}
		}
		if r := row(t, f.data(t, w).Results(0, ""), single, report.All); r.Band != nil {
			t.Errorf("single-item measure has a band: %+v", r.Band)
		}
		draft := f.wave(t, "Draft", now)
		must(t, st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, draft.ID).Update("status", store.StatusDraft).Error)
		for name, ch := range map[string]report.ReferenceChange{
			"single item":     {InstrumentID: f.in.ID, MeasureID: single, Cuts: [4]float64{20, 40, 60, 80}},
			"draft wave":      {InstrumentID: f.in.ID, MeasureID: m, WaveID: draft.ID},
			"bad cuts":        {InstrumentID: f.in.ID, MeasureID: m, Cuts: [4]float64{60, 40, 20, 10}},
			"unknown survey":  {InstrumentID: "nope", MeasureID: m, Cuts: [4]float64{20, 40, 60, 80}},
			"unknown wave":    {InstrumentID: f.in.ID, MeasureID: m, WaveID: 12345},
			"unknown measure": {InstrumentID: f.in.ID, MeasureID: "nope", Cuts: [4]float64{20, 40, 60, 80}},
		} {
			if err := f.rep.ChangeReference(ctx, f.district, ch, by); !errors.Is(err, report.ErrReference) {
				t.Errorf("%s: %v, want ErrReference", name, err)
			} else {
				referenceRefusal(t, err)
			}
		}
		var n int64
		must(t, st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", f.district, report.ActionReference).Count(&n).Error)
		if n != 3 {
			t.Errorf("%d audit rows, want 3 (refused changes leave none)", n)
		}
	})
}
