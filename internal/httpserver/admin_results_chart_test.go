package httpserver

import (
	"math"
	"slices"
	"testing"
)

func TestFitScale(t *testing.T) {
	for _, c := range []struct {
		lo, hi   float64
		min, max float64
	}{
		{math.NaN(), math.NaN(), 0, 100},
		{44, 52, 30, 65}, // widened to at least 30 points
		{41.2, 58.9, 35, 65},
		{2, 10, 0, 30},      // held at 0, span kept
		{95, 99.5, 65, 100}, // held at 100
		{5, 95, 0, 100},
	} {
		sc := fitScale(c.lo, c.hi)
		if sc.Min != c.min || sc.Max != c.max {
			t.Errorf("fitScale(%v, %v) = %v, want [%v, %v]", c.lo, c.hi, sc, c.min, c.max)
		}
	}
	if got := (chartScale{30, 60}).ticks(10); !slices.Equal(got, []float64{30, 40, 50, 60}) {
		t.Errorf("ticks = %v", got)
	}
	if got := (chartScale{35, 65}).ticks(10); !slices.Equal(got, []float64{35, 40, 50, 60, 65}) {
		t.Errorf("ticks = %v", got)
	}
	if y := (chartScale{30, 60}).y(60); y != plotTop {
		t.Errorf("top of the scale at %v", y)
	}
}
