package scoring

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestFlagDIF(t *testing.T) {
	se := func(v float64, n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	cases := []struct {
		name  string
		d, se []float64
		want  []bool
		shift float64 // expected shift, ±0.001
	}{
		{"no difference", []float64{0, 0, 0, 0}, se(0.1, 4), []bool{false, false, false, false}, 0},
		{"uniform shift is impact, not DIF", []float64{0.7, 0.7, 0.7, 0.7}, se(0.1, 4), []bool{false, false, false, false}, 0.7},
		// One item 0.8 harder; sum-zero centring moved the others by -0.2: purification finds it
		// and re-centres on the three anchors.
		{"one planted item", []float64{-0.2, -0.2, -0.2, 0.6}, se(0.1, 4), []bool{false, false, false, true}, -0.2},
		{"large but not significant", []float64{-0.15, -0.15, -0.15, 0.45}, se(0.4, 4), []bool{false, false, false, false}, 0},
		{"significant but small", []float64{-0.1, -0.1, -0.1, 0.3}, se(0.01, 4), []bool{false, false, false, false}, 0},
		// Two of three items "differ": fewer than two anchors would remain, so the first pass stands.
		{"too few anchors", []float64{-1, 0, 1}, se(0.05, 3), []bool{true, false, true}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			shift, got := FlagDIF(c.d, c.se, DIFThreshold, 2.5)
			if !slices.Equal(got, c.want) {
				t.Errorf("flags %v, want %v", got, c.want)
			}
			if math.Abs(shift-c.shift) > 0.001 {
				t.Errorf("shift %.4f, want %.4f", shift, c.shift)
			}
		})
	}
}

// TestGroupDIFSimulation plants a 0.8 logit DIF on one item for Spanish respondents, who also trust
// more overall (impact 0.5 logits, which must not be flagged), next to a clean English group and a
// Somali group too small to check. Over 200 replications it reports how often the planted item is
// flagged (power) and how often a clean item is (false flags).
func TestGroupDIFSimulation(t *testing.T) {
	reps := 200
	if testing.Short() {
		reps = 40
	}
	const planted = 4 // q5
	detected, falseFlags, clean := 0, 0, 0
	for r := 0; r < reps; r++ {
		en, _ := simulate(simSpec{persons: 900, delta: simDelta8, tau: simTau3, thetaSD: 1, missing: 0.03, seed: uint64(3*r + 1)})
		dEs := slices.Clone(simDelta8)
		dEs[planted] += 0.8
		es, _ := simulate(simSpec{persons: 300, delta: dEs, tau: simTau3, thetaMean: 0.5, thetaSD: 1, missing: 0.03, seed: uint64(3*r + 2)})
		so, _ := simulate(simSpec{persons: 40, delta: simDelta8, tau: simTau3, thetaSD: 1, seed: uint64(3*r + 3)})
		m := Matrix{Items: en.Items, K: en.K}
		var groups []string
		for _, part := range []struct {
			g string
			m Matrix
		}{{"en", en}, {"es", es}, {"so", so}} {
			m.Data = append(m.Data, part.m.Data...)
			for range part.m.Data {
				groups = append(groups, part.g)
			}
		}
		res, err := GroupDIF(m, groups, "en")
		if err != nil {
			t.Fatal(err)
		}
		if res.Reference != "en" || len(res.Groups) != 1 || res.Groups[0].Group != "es" || !slices.Equal(res.Skipped, []string{"so"}) {
			t.Fatalf("rep %d: reference %q, groups %+v, skipped %v", r, res.Reference, res.Groups, res.Skipped)
		}
		for i, it := range res.Groups[0].Items {
			if i == planted {
				if it.Flagged {
					detected++
				}
				continue
			}
			clean++
			if it.Flagged {
				falseFlags++
			}
		}
	}
	power := float64(detected) / float64(reps)
	t.Logf("planted 0.8 logit DIF (es n=300 vs en n=900, impact 0.5): detected in %d of %d (%.2f); false flags %d of %d clean item checks",
		detected, reps, power, falseFlags, clean)
	if power < 0.9 {
		t.Errorf("detection rate %.2f, want ≥ 0.90", power)
	}
	if float64(falseFlags) > 0.01*float64(clean) {
		t.Errorf("%d false flags in %d clean item checks, want ≤ 1%%", falseFlags, clean)
	}
}

func TestGroupDIFInput(t *testing.T) {
	en, _ := simulate(simSpec{persons: 150, delta: simDelta8, tau: simTau3, thetaSD: 1, seed: 9})
	if _, err := GroupDIF(en, make([]string, 3), "en"); err == nil {
		t.Error("mismatched group labels accepted")
	}
	small := Matrix{Items: en.Items, K: en.K, Data: en.Data[:50]}
	groups := make([]string, 50)
	for i := range groups {
		groups[i] = "en"
	}
	if _, err := GroupDIF(small, groups, "en"); !errors.Is(err, ErrDIFNoReference) {
		t.Errorf("50 respondents: err %v, want ErrDIFNoReference", err)
	}
	// English too small: the largest group becomes the reference and nothing is compared.
	groups = make([]string, 150)
	for i := range groups {
		groups[i] = "es"
	}
	groups[0] = "en"
	res, err := GroupDIF(en, groups, "en")
	if err != nil {
		t.Fatal(err)
	}
	if res.Reference != "es" || len(res.Groups) != 0 || !slices.Equal(res.Skipped, []string{"en"}) {
		t.Errorf("fallback reference: %+v", res)
	}
}

// BenchmarkGroupDIF is one measure's language check at LanguageCheckLimit's size: 20,000
// respondents, 8 items, English 14,000, Spanish 5,000, Vietnamese 1,000.
func BenchmarkGroupDIF(b *testing.B) {
	var m Matrix
	var groups []string
	for i, g := range []struct {
		lang string
		n    int
	}{{"en", 14000}, {"es", 5000}, {"vi", 1000}} {
		part, _ := simulate(simSpec{persons: g.n, delta: simDelta8, tau: simTau3, thetaSD: 1, missing: 0.03, seed: uint64(i + 1)})
		m.Items, m.K = part.Items, part.K
		m.Data = append(m.Data, part.Data...)
		for range part.Data {
			groups = append(groups, g.lang)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GroupDIF(m, groups, "en"); err != nil {
			b.Fatal(err)
		}
	}
}
