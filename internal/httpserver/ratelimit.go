package httpserver

import (
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"
)

// Limits for survey links and class codes. Whole schools share one address behind a NAT, so the
// per-IP budget for lookups is generous; guessing is caught by the much tighter budget for failed
// lookups (unknown tokens or codes), which blocks the address for a while.
type Limits struct {
	LookupsPerSecond float64
	LookupBurst      int
	FailuresPerMin   float64
	FailureBurst     int
}

// DefaultLimits fit a school of 2,000 behind one address and stop a guesser after 20 misses.
func DefaultLimits() Limits {
	return Limits{LookupsPerSecond: 30, LookupBurst: 300, FailuresPerMin: 10, FailureBurst: 20}
}

// lookupLimiter is middleware.RateLimiter keyed by client IP, answering 429 beyond the budget.
func lookupLimiter(l Limits, deny echo.HandlerFunc) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(l.LookupsPerSecond), Burst: l.LookupBurst, ExpiresIn: 3 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store:               store,
		IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
		DenyHandler:         func(c echo.Context, _ string, _ error) error { return deny(c) },
	})
}

// failureLimiter counts failed lookups per IP. Its state is per process: behind a balancer each
// instance limits on its own, which still bounds guessing to (instances × budget).
type failureLimiter struct {
	mu      sync.Mutex
	perMin  float64
	burst   int
	entries map[string]*failEntry
	sweep   time.Time
}

type failEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newFailureLimiter(l Limits) *failureLimiter {
	return &failureLimiter{perMin: l.FailuresPerMin, burst: l.FailureBurst, entries: map[string]*failEntry{}}
}

func (f *failureLimiter) entry(ip string, now time.Time) *failEntry {
	if now.Sub(f.sweep) > time.Minute {
		for k, e := range f.entries {
			if now.Sub(e.seen) > 10*time.Minute {
				delete(f.entries, k)
			}
		}
		f.sweep = now
	}
	e := f.entries[ip]
	if e == nil {
		e = &failEntry{lim: rate.NewLimiter(rate.Limit(f.perMin/60), f.burst)}
		f.entries[ip] = e
	}
	e.seen = now
	return e
}

// blocked reports whether ip has no failures left in its budget.
func (f *failureLimiter) blocked(ip string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry(ip, time.Now()).lim.Tokens() < 1
}

// fail spends one failure from ip's budget.
func (f *failureLimiter) fail(ip string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entry(ip, time.Now()).lim.Allow()
}

// guard answers 429 to an address that has spent its failure budget, before any lookup.
func (s *Server) guardFailures(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.failedLookups.blocked(c.RealIP()) {
			return s.respondentNotice(c, http.StatusTooManyRequests, "error.title", "error.rate_limited")
		}
		return next(c)
	}
}

// loginLimits bound failed sign-ins per address: a school's staff share one address, so the
// budget is wider than one person's typos; each account also locks on its own (auth.Options).
func loginLimits() Limits { return Limits{FailuresPerMin: 10, FailureBurst: 30} }
