package httpserver

import (
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Limits for survey links and class codes. A whole school answers from one public address (NAT),
// so nothing here limits an address's valid lookups: each link or code has its own request
// budget, and only misses (unknown links or codes) are counted per address and overall.
// A valid personal link is never refused because its address missed before: links carry 160
// random bits, so guessing them is hopeless and refusing them would only lock out the school.
// Class codes are short (about 49 bits), so an address that has spent its miss budget has its
// code lookups refused before they are made; every distinct valid link or code an address uses
// earns it one more miss, so a school whose students mistype keeps working while a guesser, who
// finds nothing, does not.
//
// All of this is per process (memory): behind a balancer with N instances a guesser gets N times
// the budget, which the README's guess budget counts in. The per-account sign-in waits live in
// the database instead (auth), because there one account's budget must not multiply.
type Limits struct {
	LookupsPerSecond float64 // each link's or code's own request rate (a class shares one code)
	LookupBurst      int
	FailuresPerMin   float64 // each address's misses
	FailureBurst     int
	// GlobalFailuresPerMin and GlobalFailureBurst bound the misses of all addresses together;
	// when they are spent, class-code lookups from any address that missed in the last 30
	// minutes wait too (a guesser spread over many addresses). Zero means the defaults.
	GlobalFailuresPerMin float64
	GlobalFailureBurst   int
}

// DefaultLimits fit a school of 2,000 behind one address and stop a guesser after 30 misses.
func DefaultLimits() Limits {
	return Limits{LookupsPerSecond: 20, LookupBurst: 600, FailuresPerMin: 10, FailureBurst: 30,
		GlobalFailuresPerMin: 600, GlobalFailureBurst: 3000}
}

// credentialLimiter is middleware.RateLimiter keyed by the link or code (not the address),
// answering 429 beyond the budget: one hammered link cannot load the server, one school can.
func credentialLimiter(l Limits, deny echo.HandlerFunc) echo.MiddlewareFunc {
	store := middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(l.LookupsPerSecond), Burst: l.LookupBurst, ExpiresIn: 3 * time.Minute,
	})
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: store,
		IdentifierExtractor: func(c echo.Context) (string, error) {
			if t := c.Param("token"); t != "" {
				return "s:" + t, nil
			}
			return "j:" + c.Param("code"), nil
		},
		DenyHandler: func(c echo.Context, _ string, _ error) error { return deny(c) },
	})
}

// bucket is a token bucket on an injected clock: level refills at perSec up to capacity.
type bucket struct {
	tokens float64
	at     time.Time
}

func (b *bucket) level(now time.Time, perSec, capacity float64) float64 {
	if b.at.IsZero() {
		b.tokens, b.at = capacity, now
	}
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		b.tokens = min(capacity, b.tokens+dt*perSec)
		b.at = now
	}
	return b.tokens
}

func (b *bucket) take(now time.Time, perSec, capacity float64) {
	if b.level(now, perSec, capacity) >= 1 {
		b.tokens--
	}
}

// maxEarned bounds the misses an address can earn by using valid links and codes.
const maxEarned = 2000

type guessEntry struct {
	b      bucket
	earned int                 // extra misses earned by distinct valid credentials
	used   map[string]struct{} // credentials already counted for earned (bounded by maxEarned)
	seen   time.Time
	missed time.Time // the last miss
}

// recentMiss is how long an address that missed counts as guessing once the overall budget is spent.
const recentMiss = 30 * time.Minute

// guessLimiter counts misses per address and overall; see Limits.
type guessLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	l       Limits
	entries map[string]*guessEntry
	global  bucket
	sweep   time.Time
}

func newGuessLimiter(l Limits, now func() time.Time) *guessLimiter {
	d := DefaultLimits()
	if l.GlobalFailuresPerMin == 0 {
		l.GlobalFailuresPerMin = d.GlobalFailuresPerMin
	}
	if l.GlobalFailureBurst == 0 {
		l.GlobalFailureBurst = d.GlobalFailureBurst
	}
	if now == nil {
		now = time.Now
	}
	return &guessLimiter{now: now, l: l, entries: map[string]*guessEntry{}}
}

func (g *guessLimiter) entry(ip string, now time.Time) *guessEntry {
	if now.Sub(g.sweep) > time.Minute {
		for k, e := range g.entries {
			if now.Sub(e.seen) > 30*time.Minute {
				delete(g.entries, k)
			}
		}
		g.sweep = now
	}
	e := g.entries[ip]
	if e == nil {
		e = &guessEntry{}
		g.entries[ip] = e
	}
	e.seen = now
	return e
}

func (g *guessLimiter) ipLevel(e *guessEntry, now time.Time) (level, capacity float64) {
	capacity = float64(g.l.FailureBurst + e.earned)
	return e.b.level(now, g.l.FailuresPerMin/60, capacity), capacity
}

// refuseCode reports whether a class-code lookup from ip is refused before it is made: the
// address has no misses left, or all addresses together have none and this one missed in the
// last 30 minutes (a guesser spread thinly over many addresses).
func (g *guessLimiter) refuseCode(ip string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	e := g.entry(ip, now)
	if level, _ := g.ipLevel(e, now); level < 1 {
		return true
	}
	global := g.global.level(now, g.l.GlobalFailuresPerMin/60, float64(g.l.GlobalFailureBurst))
	return global < 1 && !e.missed.IsZero() && now.Sub(e.missed) < recentMiss
}

// miss spends one miss of ip (and of everyone) and reports whether ip was already out of misses
// (a miss beyond the budget: answered 429 instead of 404).
func (g *guessLimiter) miss(ip string) (over bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	e := g.entry(ip, now)
	level, capacity := g.ipLevel(e, now)
	e.b.take(now, g.l.FailuresPerMin/60, capacity)
	e.missed = now
	g.global.take(now, g.l.GlobalFailuresPerMin/60, float64(g.l.GlobalFailureBurst))
	return level < 1
}

// hit records that ip used the valid link or code key: the first use of each earns one miss.
func (g *guessLimiter) hit(ip, key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	e := g.entry(ip, now)
	if e.earned >= maxEarned {
		return
	}
	if _, ok := e.used[key]; ok {
		return
	}
	if e.used == nil {
		e.used = map[string]struct{}{}
	}
	e.used[key] = struct{}{}
	e.earned++
	_, capacity := g.ipLevel(e, now)
	e.b.tokens = min(capacity, e.b.tokens+1)
}

// guardCodes answers 429 to a class-code lookup from an address out of misses, before any lookup.
// Personal links are never refused here (see Limits).
func (s *Server) guardCodes(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Param("code") != "" && s.guesses.refuseCode(c.RealIP()) {
			return s.respondentNotice(c, http.StatusTooManyRequests, "error.title", "error.rate_limited")
		}
		return next(c)
	}
}

// failureLimiter counts failed sign-ins per IP. Its state is per process: behind a balancer each
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

// loginLimits bound failed sign-ins per address: a school's staff share one address, so the
// budget is wider than one person's typos; each account also slows on its own (auth.SignInDelay),
// and a browser the account signed in from before skips both.
func loginLimits() Limits { return Limits{FailuresPerMin: 10, FailureBurst: 30} }

// storeClock is the store's clock (tests inject one there, also after New), or the real one
// without a store.
func storeClock(st *store.Store) func() time.Time {
	if st == nil {
		return time.Now
	}
	return func() time.Time { return st.Now() }
}
