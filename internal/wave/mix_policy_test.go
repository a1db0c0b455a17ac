package wave

import (
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// When a school's ballots are mixed: at MinBatch, once one has waited MaxDelay, and always once
// the wave has ended (closed, or past its closing time) — and only then with fewer than MinBatch.
func TestMixDue(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	p := MixPolicy{}.withDefaults()
	open := ballotGroup{Status: store.StatusOpen, ClosesAt: now.Add(time.Hour)}
	with := func(g ballotGroup, edit func(*ballotGroup)) ballotGroup { edit(&g); return g }
	for _, c := range []struct {
		name        string
		g           ballotGroup
		due, forced bool
	}{
		{"empty", open, false, false},
		{"one waiting", with(open, func(g *ballotGroup) { g.N = 1 }), false, false},
		{"one below the batch", with(open, func(g *ballotGroup) { g.N = DefaultMixMinBatch - 1 }), false, false},
		{"a batch", with(open, func(g *ballotGroup) { g.N = DefaultMixMinBatch }), true, false},
		{"one overdue", with(open, func(g *ballotGroup) { g.N, g.Overdue = 1, 1 }), true, true},
		{"closed", with(open, func(g *ballotGroup) { g.N, g.Status = 1, store.StatusClosed }), true, true},
		{"past its close", with(open, func(g *ballotGroup) { g.N, g.ClosesAt = 2, now }), true, true},
		{"closed and empty", with(open, func(g *ballotGroup) { g.Status = store.StatusClosed }), false, false},
	} {
		due, forced := mixDue(c.g, p, now)
		if due != c.due || forced != c.forced {
			t.Errorf("%s: due %v forced %v, want %v %v", c.name, due, forced, c.due, c.forced)
		}
	}
	if q := (MixPolicy{MinBatch: 10, MaxBatch: 3}).withDefaults(); q.MaxBatch != 10 || q.MaxDelay != DefaultMixMaxDelay {
		t.Errorf("withDefaults %+v: a batch holds at least MinBatch", q)
	}
}
