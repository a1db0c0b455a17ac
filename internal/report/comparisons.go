package report

import (
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// A school year starts on August 1 (as US districts' do; the roster generator uses the same
// boundary): the baseline of a wave is the first wave of its instrument since then.
const schoolYearStartMonth = time.August

// YearAgoWindow is how far from exactly one year earlier a wave may have opened to count as "the
// same season last year".
const YearAgoWindow = 45 * 24 * time.Hour

// SchoolYearStart is the first day of the school year t falls in.
func SchoolYearStart(t time.Time) time.Time {
	y := t.Year()
	if t.Month() < schoolYearStartMonth {
		y--
	}
	return time.Date(y, schoolYearStartMonth, 1, 0, 0, 0, 0, t.Location())
}

// BaselineOf is the first of earlier (the instrument's waves that opened before cur) in cur's
// school year, or nil when cur is the first.
func BaselineOf(earlier []store.Wave, cur store.Wave) *store.Wave {
	start := SchoolYearStart(cur.OpensAt)
	var best *store.Wave
	for i := range earlier {
		w := &earlier[i]
		if w.ID == cur.ID || w.OpensAt.Before(start) || !w.OpensAt.Before(cur.OpensAt) {
			continue
		}
		if best == nil || w.OpensAt.Before(best.OpensAt) {
			best = w
		}
	}
	return best
}

// YearAgoOf is the wave of earlier that opened closest to one year before cur, within
// YearAgoWindow, or nil.
func YearAgoOf(earlier []store.Wave, cur store.Wave) *store.Wave {
	target := cur.OpensAt.AddDate(-1, 0, 0)
	var best *store.Wave
	var bestD time.Duration
	for i := range earlier {
		w := &earlier[i]
		d := w.OpensAt.Sub(target)
		if d < 0 {
			d = -d
		}
		if w.ID == cur.ID || d > YearAgoWindow {
			continue
		}
		if best == nil || d < bestD {
			best, bestD = w, d
		}
	}
	return best
}
