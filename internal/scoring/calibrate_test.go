package scoring

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func rmse(got []ItemParam, want []float64) (rms, worst float64) {
	for i, w := range want {
		d := got[i].Location - w
		rms += d * d
		worst = math.Max(worst, math.Abs(d))
	}
	return math.Sqrt(rms / float64(len(want))), worst
}

func checkIdentified(t *testing.T, c Calibration) {
	t.Helper()
	s, ts := 0.0, 0.0
	for _, it := range c.Items {
		s += it.Location
	}
	for _, v := range c.Thresholds {
		ts += v
	}
	if math.Abs(s) > 1e-9 || math.Abs(ts) > 1e-9 {
		t.Fatalf("Σδ = %g, Στ = %g; want 0", s, ts)
	}
}

// Issue requirement: 2,000 persons, 8 items, 4 categories, 5 % missing at
// random → item RMSE against the truth ≤ 0.05 logits.
func TestCalibrateRecovery(t *testing.T) {
	m, _ := simulate(simSpec{persons: 2000, delta: simDelta8, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, missing: 0.05, seed: 20240501})
	c, err := Calibrate(m)
	if err != nil {
		t.Fatal(err)
	}
	checkIdentified(t, c)
	rms, worst := rmse(c.Items, simDelta8)
	t.Logf("item RMSE %.4f, max error %.4f; thresholds %.3f", rms, worst, c.Thresholds)
	if rms > 0.05 {
		t.Errorf("item RMSE %.4f > 0.05", rms)
	}
	for k, v := range c.Thresholds {
		if math.Abs(v-simTau3[k]) > 0.1 {
			t.Errorf("τ_%d = %.3f, truth %.3f", k+1, v, simTau3[k])
		}
	}
	if c.NPersons != 2000 || c.K != 4 || len(c.Items) != 8 || c.Items[3].ID != "q4" {
		t.Errorf("bookkeeping: n %d K %d items %d id %q", c.NPersons, c.K, len(c.Items), c.Items[3].ID)
	}
	// Model-conforming data: mean-squares near 1 (a bit below with WLE persons, §7).
	for _, it := range c.Items {
		if it.Infit < 0.75 || it.Infit > 1.1 || it.Outfit < 0.75 || it.Outfit > 1.15 {
			t.Errorf("item %s infit %.3f outfit %.3f outside the range expected for model data", it.ID, it.Infit, it.Outfit)
		}
		if it.SE < 0.02 || it.SE > 0.06 {
			t.Errorf("item %s SE %.4f implausible for N = 2000", it.ID, it.SE)
		}
	}
	// §6: ≈ 0.81 for this kind of design.
	if c.PersonReliability < 0.7 || c.PersonReliability > 0.9 {
		t.Errorf("person reliability %.3f", c.PersonReliability)
	}
	if c.Alpha < 0.75 || c.Alpha > 0.95 {
		t.Errorf("alpha %.3f", c.Alpha)
	}
}

// A 4-of-8 rotating form (70 missing patterns, every person half missing)
// must converge; §9 reports eRm's RMSE 0.038 on such a design.
func TestCalibrateRotatingForm(t *testing.T) {
	m, _ := simulate(simSpec{persons: 2000, delta: simDelta8, tau: simTau3, thetaMean: 0.5, thetaSD: 1.2, form: 4, seed: 7})
	c, err := Calibrate(m)
	if err != nil {
		t.Fatal(err)
	}
	checkIdentified(t, c)
	rms, worst := rmse(c.Items, simDelta8)
	t.Logf("4-of-8: item RMSE %.4f, max %.4f, α %.3f, person reliability %.3f", rms, worst, c.Alpha, c.PersonReliability)
	if rms > 0.08 {
		t.Errorf("item RMSE %.4f > 0.08", rms)
	}
	// §6: pairwise α describes the full form and stays high while the
	// reliability of 4-item measures drops.
	if !(c.Alpha > c.PersonReliability+0.1) {
		t.Errorf("α %.3f should clearly exceed person reliability %.3f on a 4-of-8 design", c.Alpha, c.PersonReliability)
	}
}

// Dichotomous data (K = 2) is the plain Rasch model: τ is fixed at 0.
func TestCalibrateDichotomous(t *testing.T) {
	delta := []float64{-1, -0.5, 0, 0.5, 1}
	m, _ := simulate(simSpec{persons: 3000, delta: delta, tau: []float64{0}, thetaSD: 1, missing: 0.1, seed: 3})
	c, err := Calibrate(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Thresholds) != 1 || c.Thresholds[0] != 0 {
		t.Fatalf("thresholds %v, want [0]", c.Thresholds)
	}
	if rms, _ := rmse(c.Items, delta); rms > 0.06 {
		t.Fatalf("RMSE %.4f", rms)
	}
}

func TestCalibrateRejects(t *testing.T) {
	good, _ := simulate(simSpec{persons: 40, delta: []float64{-0.5, 0, 0.5}, tau: []float64{-1, 0, 1}, thetaSD: 1, seed: 11})
	clone := func(edit func(m *Matrix)) Matrix {
		c := good
		c.Items = append([]string(nil), good.Items...)
		c.Data = make([][]int8, len(good.Data))
		for n, row := range good.Data {
			c.Data[n] = append([]int8(nil), row...)
		}
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		m    Matrix
		item string
		want string
	}{
		{"too few persons", clone(func(m *Matrix) { m.Data, m.Persons = m.Data[:29], m.Persons[:29] }), "", "at least 30"},
		{"blank rows do not count", clone(func(m *Matrix) {
			for n := 29; n < 40; n++ {
				m.Data[n] = []int8{Missing, Missing, Missing}
			}
		}), "", "29 respondents"},
		{"nobody answered", clone(func(m *Matrix) {
			for _, row := range m.Data {
				row[1] = Missing
			}
		}), "q2", "nobody answered"},
		{"no variance", clone(func(m *Matrix) {
			for _, row := range m.Data {
				row[2] = 1
			}
		}), "q3", "no variance"},
		{"unused category", clone(func(m *Matrix) {
			for _, row := range m.Data {
				for i := range row {
					if row[i] == 3 {
						row[i] = 2
					}
				}
			}
		}), "", "category 3 is never chosen"},
		{"one item", clone(func(m *Matrix) {
			m.Items = m.Items[:1]
			for n := range m.Data {
				m.Data[n] = m.Data[n][:1]
			}
		}), "", "at least 2"},
		{"ragged", clone(func(m *Matrix) { m.Data[5] = m.Data[5][:2] }), "", "2 answers for 3 items"},
		{"out of range", clone(func(m *Matrix) { m.Data[7][0] = 4 }), "q1", "answered 4, outside 0..3"},
		{"duplicate item", clone(func(m *Matrix) { m.Items[2] = "q1" }), "q1", "appears twice"},
		{"K too small", clone(func(m *Matrix) { m.K = 1 }), "", "at least 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Calibrate(tt.m)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v, want *InputError", err)
			}
			if ie.Item != tt.item || !strings.Contains(ie.Problem, tt.want) {
				t.Fatalf("got item %q problem %q; want item %q and %q", ie.Item, ie.Problem, tt.item, tt.want)
			}
		})
	}
	if _, err := Calibrate(good); err != nil {
		t.Fatalf("the unedited data must calibrate: %v", err)
	}
}

// Designs that stress the optimiser: few persons, many missing patterns,
// many categories, disordered thresholds, a badly targeted sample, a 2-of-12
// form. Each must converge to estimates that satisfy the constraints and
// stay near the truth.
func TestCalibrateHardDesigns(t *testing.T) {
	tests := []struct {
		name string
		spec simSpec
		tol  float64 // RMSE bound
	}{
		{"30 persons", simSpec{persons: 30, delta: []float64{-1, 0, 1}, tau: []float64{-1, 0, 1}, thetaSD: 1.5, seed: 21}, 1.0},
		{"40% missing, 12 items", simSpec{persons: 3000, delta: delta12, tau: simTau3, thetaSD: 1.2, missing: 0.4, seed: 22}, 0.08},
		{"7 categories", simSpec{persons: 2000, delta: simDelta8, tau: []float64{-2, -1.2, -0.4, 0.3, 1.1, 2.2}, thetaSD: 1.2, missing: 0.05, seed: 23}, 0.06},
		{"disordered thresholds", simSpec{persons: 2000, delta: simDelta8, tau: []float64{0.6, -1.2, 0.6}, thetaSD: 1.2, missing: 0.05, seed: 24}, 0.06},
		{"mistargeted sample", simSpec{persons: 2000, delta: simDelta8, tau: simTau3, thetaMean: 3, thetaSD: 0.8, missing: 0.05, seed: 25}, 0.1},
		{"2-of-12 form", simSpec{persons: 5000, delta: delta12, tau: simTau3, thetaSD: 1.2, form: 2, seed: 26}, 0.1},
		{"wide item spread", simSpec{persons: 3000, delta: []float64{-4, -2, 0, 2, 4}, tau: simTau3, thetaSD: 2, missing: 0.1, seed: 27}, 0.1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := simulate(tt.spec)
			c, err := Calibrate(m)
			if err != nil {
				t.Fatal(err)
			}
			checkIdentified(t, c)
			rms, worst := rmse(c.Items, tt.spec.delta)
			t.Logf("RMSE %.3f, max %.3f, τ %.2f, α %.3f, rel %.3f", rms, worst, c.Thresholds, c.Alpha, c.PersonReliability)
			if rms > tt.tol {
				t.Errorf("item RMSE %.3f > %.2f", rms, tt.tol)
			}
			for _, it := range c.Items {
				if math.IsNaN(it.SE) || math.IsNaN(it.Infit) || math.IsNaN(it.Outfit) || it.SE <= 0 {
					t.Errorf("item %s: %+v", it.ID, it)
				}
			}
		})
	}
}
