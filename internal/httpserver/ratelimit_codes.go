package httpserver

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// codeSubmitLimiter bounds the class-code submissions one address makes per code: a burst the
// size of a minute's budget, then that many per minute. A class behind one school address
// finishes over several minutes and passes; a script submitting made-up answers (94 in 30 s on
// the old code) is slowed to the budget, and the code's own cap (wave.ErrCodeFull) bounds it in
// total. Its state is per process, like the lookup limits: behind a balancer each instance
// limits on its own; the cap, kept in the database, holds across all of them.
type codeSubmitLimiter struct {
	mu      sync.Mutex
	perMin  float64
	entries map[[2]string]*failEntry // (code, address)
	sweep   time.Time
	now     func() time.Time
}

// defaultCodeSubmitsPerMinute applies when the configuration leaves it unset (tests).
const defaultCodeSubmitsPerMinute = 15

func newCodeSubmitLimiter(perMin float64, now func() time.Time) *codeSubmitLimiter {
	if perMin <= 0 {
		perMin = defaultCodeSubmitsPerMinute
	}
	return &codeSubmitLimiter{perMin: perMin, entries: map[[2]string]*failEntry{}, now: now}
}

// allow spends one submission of ip's budget for code, or reports that none is left.
func (l *codeSubmitLimiter) allow(code, ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > time.Minute {
		for k, e := range l.entries {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(l.entries, k)
			}
		}
		l.sweep = now
	}
	k := [2]string{code, ip}
	e := l.entries[k]
	if e == nil {
		burst := max(1, int(l.perMin))
		e = &failEntry{lim: rate.NewLimiter(rate.Limit(l.perMin/60), burst)}
		l.entries[k] = e
	}
	e.seen = now
	return e.lim.AllowN(now, 1)
}
