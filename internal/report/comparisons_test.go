package report

import (
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

func TestBaselineAndYearAgo(t *testing.T) {
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	waves := []store.Wave{
		{ID: 1, OpensAt: day("2025-09-02")}, {ID: 2, OpensAt: day("2025-11-03")}, {ID: 3, OpensAt: day("2026-02-02")},
		{ID: 4, OpensAt: day("2026-08-25")}, {ID: 5, OpensAt: day("2026-10-20")}, {ID: 6, OpensAt: day("2026-12-01")},
	}
	for _, c := range []struct {
		cur           int
		base, yearAgo int64
	}{
		{6, 4, 2}, // December: since August; last year's November (28 days away)
		{5, 4, 2}, // October: November last year is 14 days from a year ago
		{4, 0, 1}, // the year's first wave has no baseline; last September is 8 days away
		{3, 1, 0}, // no wave a year before February 2026
		{1, 0, 0},
	} {
		cur := waves[c.cur-1]
		var earlier []store.Wave
		for _, w := range waves {
			if w.OpensAt.Before(cur.OpensAt) {
				earlier = append(earlier, w)
			}
		}
		b, y := BaselineOf(earlier, cur), YearAgoOf(earlier, cur)
		if id(b) != c.base || id(y) != c.yearAgo {
			t.Errorf("wave %d: baseline %d, year ago %d; want %d, %d", c.cur, id(b), id(y), c.base, c.yearAgo)
		}
	}
	if got := SchoolYearStart(day("2026-07-31")); !got.Equal(day("2025-08-01")) {
		t.Errorf("school year of July 31: %v", got)
	}
	if got := SchoolYearStart(day("2026-08-01")); !got.Equal(day("2026-08-01")) {
		t.Errorf("school year of August 1: %v", got)
	}
}

func id(w *store.Wave) int64 {
	if w == nil {
		return 0
	}
	return w.ID
}
