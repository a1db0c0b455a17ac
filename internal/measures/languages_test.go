package measures_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// rsmAnswer draws one rating-scale answer (0..len(tau)) for ability theta on an item at delta.
func rsmAnswer(rng *rand.Rand, theta, delta float64, tau []float64) byte {
	w := make([]float64, len(tau)+1)
	cum, total := 0.0, 0.0
	for x := range w {
		if x > 0 {
			cum += tau[x-1]
		}
		w[x] = math.Exp(float64(x)*(theta-delta) - cum)
		total += w[x]
	}
	u := rng.Float64() * total
	for x := range w {
		if u -= w[x]; u < 0 {
			return byte('0' + x)
		}
	}
	return byte('0' + len(tau))
}

// TestLanguageChecks stores Rasch answers in English, Spanish (one trust-in-teachers item made a
// logit harder: a mistranslation), Somali (too few to check) and class-code answers without a
// language, calibrates, and expects exactly the planted item flagged for Spanish.
func TestLanguageChecks(t *testing.T) {
	st := testdb.Postgres(t)
	ctx := context.Background()
	m, _, w, in := setup(t, st, 0)
	var school store.WaveSchool
	must(t, st.DB.Where("district_id = ? AND wave_id = ?", w.DistrictID, w.ID).First(&school).Error)

	trust := -1
	planted := ""
	for _, it := range in.Items {
		if it.Measure == "student-teacher-trust" {
			if trust++; trust == 1 {
				planted = it.ID
			}
		}
	}
	tau := []float64{-1.2, 0, 1.2}
	rng := rand.New(rand.NewPCG(7, 7))
	var rows []store.Response
	add := func(lang string, n int, impact float64) {
		for range n {
			theta := impact + rng.NormFloat64()
			b := make([]byte, len(in.Items))
			for i, it := range in.Items {
				delta := float64(i%5)*0.4 - 0.8
				if lang == "es" && it.ID == planted {
					delta += 1.0
				}
				b[i] = rsmAnswer(rng, theta, delta, tau)
			}
			rows = append(rows, store.Response{DistrictID: w.DistrictID, ID: store.NewID(), WaveID: w.ID, SchoolID: school.SchoolID, Language: lang, Answers: string(b)})
		}
	}
	add("en", 700, 0)
	add("es", 300, 0.4)
	add("so", 30, 0)
	add("", 200, 0) // class-code answers: no language kept
	must(t, st.DB.CreateInBatches(rows, 200).Error)

	checks, err := m.LanguageChecks(ctx, w.DistrictID)
	must(t, err)
	if len(checks) != 0 {
		t.Fatalf("before any calibration: %d checks, want none", len(checks))
	}
	made, err := m.Calibrate(ctx, w.DistrictID, w.ID, false)
	must(t, err)
	if !made {
		t.Fatal("no calibration made")
	}
	checks, err = m.LanguageChecks(ctx, w.DistrictID)
	must(t, err)
	multi := 0
	for _, ms := range in.Measures {
		if len(in.ItemsOf(ms.ID)) > 1 {
			multi++
		}
	}
	if len(checks) != multi {
		t.Fatalf("%d checks, want one per multi-item measure (%d)", len(checks), multi)
	}
	for _, c := range checks {
		if c.Responses != 1030 {
			t.Errorf("%s: read %d responses, want 1030 (those with a language)", c.Measure.ID, c.Responses)
		}
		if c.Unchecked != "" || c.Result.Reference != "en" || len(c.Result.Groups) != 1 || c.Result.Groups[0].Group != "es" ||
			!slices.Equal(c.Result.Skipped, []string{"so"}) {
			t.Fatalf("%s: %+v", c.Measure.ID, c)
		}
		flagged := c.Result.Groups[0].Flagged()
		if c.Measure.ID == "student-teacher-trust" {
			if !slices.Equal(flagged, []string{planted}) {
				t.Errorf("trust in teachers: flagged %v, want [%s]", flagged, planted)
			}
		} else if len(flagged) > 0 {
			t.Errorf("%s: flagged %v, want none", c.Measure.ID, flagged)
		}
	}

	// Another district sees nothing of this one.
	other := testdb.NewDistrict(t, st)
	checks, err = m.LanguageChecks(ctx, other)
	must(t, err)
	if len(checks) != 0 {
		t.Errorf("other district: %d checks", len(checks))
	}

}
