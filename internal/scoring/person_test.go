package scoring

import (
	"errors"
	"math"
	"testing"
)

func dichotomous(locs ...float64) Calibration {
	c := Calibration{K: 2, Thresholds: []float64{0}}
	for i, d := range locs {
		c.Items = append(c.Items, ItemParam{ID: string(rune('a' + i)), Location: d})
	}
	return c
}

// Warm's known answer (Fischer & Molenaar 1995, Table 4.1, §4).
func TestPersonWarmKnownAnswer(t *testing.T) {
	c := dichotomous(-1.5, -0.75, 0, 0.75, 1.5)
	want := []float64{-2.95, -1.45, -0.46, 0.46, 1.45, 2.95}
	for r, w := range want {
		ans := make([]int8, 5)
		for i := 0; i < r; i++ {
			ans[i] = 1
		}
		got, err := c.Person(ans)
		if err != nil {
			t.Fatalf("raw %d: %v", r, err)
		}
		if got.Raw != r || got.NAnswered != 5 {
			t.Errorf("raw %d: got Raw %d NAnswered %d", r, got.Raw, got.NAnswered)
		}
		if math.Abs(got.WLE-w) > 0.01 {
			t.Errorf("raw %d: WLE %.4f, want %.2f ± 0.01", r, got.WLE, w)
		}
		if !(got.SE > 0.5 && got.SE < 2) {
			t.Errorf("raw %d: SE %.4f implausible", r, got.SE)
		}
	}
}

// The WLE depends only on the raw score, not on which items make it up (the
// raw score is sufficient), and satisfies Warm's equation at the root.
func TestPersonWLESatisfiesWarmEquation(t *testing.T) {
	c := Calibration{K: 4, Thresholds: []float64{-1.4, 0.1, 1.3}}
	for i, d := range simDelta8 {
		c.Items = append(c.Items, ItemParam{ID: string(rune('a' + i)), Location: d})
	}
	a, _ := c.Person([]int8{3, 0, 2, 1, Missing, 0, 0, 3})
	b, _ := c.Person([]int8{0, 3, 0, 3, Missing, 1, 2, 0})
	if a.Raw != 9 || b.Raw != 9 || math.Abs(a.WLE-b.WLE) > 1e-12 {
		t.Fatalf("same raw score, different measures: %+v %+v", a, b)
	}
	// Check Warm's equation by finite differences of log(L·√I), independent of the J formula.
	locs := []float64{simDelta8[0], simDelta8[1], simDelta8[2], simDelta8[3], simDelta8[5], simDelta8[6], simDelta8[7]}
	obj := func(th float64) float64 {
		ll, info := 0.0, 0.0
		for _, d := range locs {
			var lg [4]float64
			cum, s := 0.0, 0.0
			for x := 0; x < 4; x++ {
				if x > 0 {
					cum += c.Thresholds[x-1]
				}
				lg[x] = math.Exp(float64(x)*(th-d) - cum)
				s += lg[x]
			}
			e, e2 := 0.0, 0.0
			for x := 0; x < 4; x++ {
				e += float64(x) * lg[x] / s
				e2 += float64(x*x) * lg[x] / s
			}
			ll += -math.Log(s)
			info += e2 - e*e
		}
		return float64(9)*th + ll + 0.5*math.Log(info)
	}
	const h = 1e-5
	if d := (obj(a.WLE+h) - obj(a.WLE-h)) / (2 * h); math.Abs(d) > 1e-6 {
		t.Fatalf("d/dθ log(L·√I) = %g at the WLE %.6f, want 0", d, a.WLE)
	}
}

func TestPersonExtremesFinite(t *testing.T) {
	c := Calibration{K: 4, Thresholds: []float64{-1.4, 0.1, 1.3}}
	for i, d := range simDelta8 {
		c.Items = append(c.Items, ItemParam{ID: string(rune('a' + i)), Location: d})
	}
	low, _ := c.Person([]int8{0, 0, 0, 0, 0, 0, 0, 0})
	high, _ := c.Person([]int8{3, 3, 3, 3, 3, 3, 3, 3})
	one, _ := c.Person([]int8{Missing, Missing, Missing, 3, Missing, Missing, Missing, Missing})
	for _, pm := range []PersonMeasure{low, high, one} {
		if math.IsNaN(pm.WLE) || math.IsInf(pm.WLE, 0) || math.IsNaN(pm.SE) || math.IsInf(pm.SE, 0) {
			t.Fatalf("not finite: %+v", pm)
		}
	}
	// §4 reports ≈ −4.17 (SE 1.48) and +4.12 (SE 1.47) for a similar design.
	if low.WLE > -3.5 || low.WLE < -5 || high.WLE < 3.5 || high.WLE > 5 {
		t.Errorf("extreme WLEs %.3f / %.3f outside the plausible ±3.5..5", low.WLE, high.WLE)
	}
	if low.SE < 1 || high.SE < 1 {
		t.Errorf("extreme SEs %.3f / %.3f, want > 1", low.SE, high.SE)
	}
}

func TestPersonErrors(t *testing.T) {
	c := dichotomous(-1, 1)
	tests := []struct {
		name    string
		c       Calibration
		answers []int8
		is      error
	}{
		{"no answers", c, []int8{Missing, Missing}, ErrNoAnswers},
		{"wrong length", c, []int8{1}, nil},
		{"out of range", c, []int8{2, 0}, nil},
		{"bad thresholds", Calibration{K: 4, Items: c.Items, Thresholds: []float64{0}}, []int8{1, 0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Person(tt.answers)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Fatalf("error %v, want %v", err, tt.is)
			}
		})
	}
}

// Thresholds given without "categories" (K = 0) are accepted: K is inferred.
func TestPersonInfersK(t *testing.T) {
	c := Calibration{Thresholds: []float64{-1, 1}, Items: []ItemParam{{ID: "a"}, {ID: "b"}}}
	pm, err := c.Person([]int8{2, 0})
	if err != nil || math.Abs(pm.WLE) > 1e-9 {
		t.Fatalf("got %+v, %v; want WLE 0 by symmetry", pm, err)
	}
}
