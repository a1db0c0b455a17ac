package scoring

import (
	"fmt"
	"math"
)

// ReportScale maps logits to the 0–100 reporting scale and its five bands
// (§2.1, §0.8): score = clamp(Center + PerLogit·logit, 0, 100); Cuts are four
// ascending scores splitting it into categories 0..4.
type ReportScale struct {
	Center   float64
	PerLogit float64
	Cuts     []float64
}

// BandKey names category c (0..4) for translation by the UI: very_weak,
// weak, moderate, strong, very_strong; "" outside 0..4.
func BandKey(c int) string {
	keys := [5]string{"very_weak", "weak", "moderate", "strong", "very_strong"}
	if c < 0 || c >= len(keys) {
		return ""
	}
	return keys[c]
}

// BenchmarkScale is the 5Essentials-style scale (§2.1): the benchmark mean
// scores 50, one benchmark SD is 20 points, and the bands break at ±0.5 and
// ±1.5 SD, i.e. at 20, 40, 60 and 80. mean and sd are in logits and come from
// a fixed reference wave so later scores are not chasing a moving target.
func BenchmarkScale(mean, sd float64) (ReportScale, error) {
	if !(sd > 0) || math.IsInf(sd, 0) || math.IsNaN(mean) || math.IsInf(mean, 0) {
		return ReportScale{}, fmt.Errorf("scoring: benchmark needs a finite mean and a positive SD, got %g and %g", mean, sd)
	}
	return ReportScale{Center: 50 - 20*mean/sd, PerLogit: 20 / sd, Cuts: []float64{20, 40, 60, 80}}, nil
}

// Validate checks that the scale maps logits upwards and has four ascending cuts.
func (s ReportScale) Validate() error {
	if !(s.PerLogit > 0) || math.IsInf(s.PerLogit, 0) || math.IsNaN(s.Center) || math.IsInf(s.Center, 0) {
		return fmt.Errorf("scoring: report scale needs a finite center and positive points per logit, got %g and %g", s.Center, s.PerLogit)
	}
	if len(s.Cuts) != 4 {
		return fmt.Errorf("scoring: report scale needs 4 cut points, got %d", len(s.Cuts))
	}
	for k, c := range s.Cuts {
		if c < 0 || c > 100 || math.IsNaN(c) || (k > 0 && c <= s.Cuts[k-1]) {
			return fmt.Errorf("scoring: report scale cuts %v must ascend strictly within 0..100", s.Cuts)
		}
	}
	return nil
}

// Score maps a logit to the reporting scale, clamped to 0..100.
func (s ReportScale) Score(logit float64) float64 {
	return math.Max(0, math.Min(100, s.Center+s.PerLogit*logit))
}

// Category is the band of a score: how many cuts it reaches. A score exactly
// on a cut belongs to the higher band, as 5Essentials' "≥ +1.5 SD" is the top one.
func (s ReportScale) Category(score float64) int {
	c := 0
	for _, cut := range s.Cuts {
		if score >= cut {
			c++
		}
	}
	return c
}
