package httpserver

import (
	"fmt"
	"testing"
	"time"
)

// The guess budget, on an injected clock: what one address and many addresses get.
func TestGuessBudget(t *testing.T) {
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	l := DefaultLimits()

	// One address, guessing as fast as it is let: 30 at once, then 10 a minute.
	g := newGuessLimiter(l, clock)
	tries := 0
	for s := 0; s < 3600; s++ {
		now = now.Add(time.Second)
		for !g.refuseCode("198.51.100.1") {
			g.miss("198.51.100.1")
			tries++
		}
	}
	if tries < 600 || tries > 632 {
		t.Errorf("one address: %d code lookups in an hour, want 30 + 600", tries)
	}
	t.Logf("one address: %d code guesses an hour (%d a day) per server process", tries, 30+10*60*24)

	// A school: every valid link or code earns a miss, so 40 typos among 600 never block it.
	g = newGuessLimiter(l, clock)
	for i := 0; i < 600; i++ {
		if g.refuseCode("203.0.113.5") {
			t.Fatalf("school refused at student %d", i)
		}
		if i < 40 {
			g.miss("203.0.113.5")
		}
		g.hit("203.0.113.5", fmt.Sprintf("s:token%d", i))
	}
	// Using one valid credential again and again earns nothing more.
	g = newGuessLimiter(l, clock)
	for i := 0; i < 100; i++ {
		g.hit("192.0.2.7", "j:MYOWNCODE")
	}
	n := 0
	for !g.refuseCode("192.0.2.7") {
		g.miss("192.0.2.7")
		n++
	}
	if n != l.FailureBurst+1 {
		t.Errorf("one valid code used 100 times earned %d misses, want %d", n, l.FailureBurst+1)
	}

	// Many addresses: once all misses together (3,000 at once, then 600 a minute) are spent,
	// addresses that have missed lately are refused codes; one that never missed is not.
	g = newGuessLimiter(l, clock)
	for i := 0; i < 3000; i++ {
		ip := fmt.Sprintf("10.%d.%d.1", i/250, i%250)
		g.miss(ip)
	}
	if !g.refuseCode("10.0.5.1") {
		t.Error("an address that missed is not refused after the global budget is spent")
	}
	if g.refuseCode("192.0.2.99") {
		t.Error("an address that never missed is refused")
	}
	// A thin spread: an address that missed once, 10 minutes ago (its own budget full again),
	// is still refused while the overall budget stays spent; after 30 minutes it is not.
	now = now.Add(10 * time.Minute)
	for i := 0; i < 6000; i++ { // keep the overall budget spent
		g.miss(fmt.Sprintf("10.%d.%d.2", i/250%250, i%250))
	}
	if !g.refuseCode("10.0.7.1") {
		t.Error("an address that missed 10 minutes ago is not refused while the overall budget is spent")
	}
	now = now.Add(31 * time.Minute)
	if g.refuseCode("10.0.7.1") {
		t.Error("an address that last missed 41 minutes ago is still refused")
	}
}
