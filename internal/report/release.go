package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Results of anonymous waves are released in batches, never one respondent at a time: a reader
// who compares the results before and after one student answers must learn nothing. Responses
// that land in `responses` are held until a release admits them; rollups, and so every page,
// export, API answer and participation count, are built only from released responses.

// Release modes a district may choose.
const (
	// ReleaseBatch releases held responses as soon as every cell they change gains at least k.
	ReleaseBatch = "batch"
	// ReleaseDaily releases at most once a day, at or after a fixed time, under the same rule.
	ReleaseDaily = "daily"
	// ReleaseAtClose releases only once the wave has closed.
	ReleaseAtClose = "close"
)

// ReleaseModes lists the modes in the order the settings page offers them.
var ReleaseModes = []string{ReleaseBatch, ReleaseDaily, ReleaseAtClose}

// Batch sizes: the default, and the smallest a district may choose. A batch of 2 would give away
// each of the two answers to either of them.
const (
	DefaultReleaseK = 5
	MinReleaseK     = 3
	maxReleaseK     = 1000
)

// District settings holding the release rule.
const (
	SettingReleaseMode = "release_mode" // one of ReleaseModes; unset is ReleaseBatch
	SettingReleaseK    = "release_k"    // the batch size k; unset is DefaultReleaseK
	SettingReleaseAt   = "release_at"   // "HH:MM", the daily release time in the wave's schools' time zone
)

// ReleasePolicy is a district's release rule.
type ReleasePolicy struct {
	Mode string
	K    int
	At   string // "HH:MM", for ReleaseDaily
}

// DefaultReleasePolicy is the rule when a district chose none.
func DefaultReleasePolicy() ReleasePolicy {
	return ReleasePolicy{Mode: ReleaseBatch, K: DefaultReleaseK, At: "06:00"}
}

// ReleasePolicyOf reads a district's rule from its settings. A stored value that no longer
// validates falls back to the stricter of itself and the default, never to something laxer.
func ReleasePolicyOf(settings store.Attrs) ReleasePolicy {
	p := DefaultReleasePolicy()
	if m := settings[SettingReleaseMode]; m == ReleaseDaily || m == ReleaseAtClose {
		p.Mode = m
	}
	if k, err := strconv.Atoi(settings[SettingReleaseK]); err == nil {
		p.K = max(k, MinReleaseK)
	}
	if _, err := parseClock(settings[SettingReleaseAt]); err == nil {
		p.At = settings[SettingReleaseAt]
	}
	return p
}

// Validate names the first field of p that cannot be accepted.
func (p ReleasePolicy) Validate() error {
	known := false
	for _, m := range ReleaseModes {
		known = known || p.Mode == m
	}
	if !known {
		return refusal.Of(ErrSettings, refusal.New("release_mode", "refusal.report.release_mode", fmt.Sprintf("release of results: unknown choice %q", p.Mode), "Mode", strconv.Quote(p.Mode)))
	}
	if p.K < MinReleaseK || p.K > maxReleaseK {
		return refusal.Of(ErrSettings, refusal.New("release_k", "refusal.report.release_k", fmt.Sprintf("release batch size %d: must be from %d to %d", p.K, MinReleaseK, maxReleaseK),
			"K", p.K, "Min", MinReleaseK, "Max", maxReleaseK))
	}
	if _, err := parseClock(p.At); err != nil {
		return refusal.Of(ErrSettings, refusal.New("release_at", "refusal.report.release_at", fmt.Sprintf("daily release time %q: enter a time as HH:MM, from 00:00 to 23:59", p.At), "At", strconv.Quote(p.At)))
	}
	return nil
}

func (p ReleasePolicy) apply(settings store.Attrs) {
	settings[SettingReleaseMode] = p.Mode
	settings[SettingReleaseK] = strconv.Itoa(p.K)
	settings[SettingReleaseAt] = p.At
}

// parseClock reads "HH:MM" as minutes after midnight.
func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) != 2 || len(m) != 2 {
		return 0, fmt.Errorf("not HH:MM: %q", s)
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("not a time of day: %q", s)
	}
	return hh*60 + mm, nil
}

// ReleaseInput is what a release decision for one wave depends on.
type ReleaseInput struct {
	Anonymous bool
	Closed    bool
	// Held counts the responses not yet released; Delta is what releasing them all would add
	// to the wave's cells (every school, district, group, measure and item cell).
	Held  int
	Delta Cells
	// FirstRelease: nothing of the wave has been released, so there is no earlier moment to
	// compare with and the floor alone protects what is shown.
	FirstRelease bool
	Now          time.Time
	Zone         *time.Location // the daily time's time zone
	Opened       time.Time      // when the wave opened
	LastRelease  *time.Time
}

// Release reasons, for logs and the wave page.
const (
	ReasonNothingHeld = "nothing held"
	ReasonLive        = "confidential wave: released as answered"
	ReasonReleased    = "released"
	ReasonNotYet      = "waiting for the release time"
	ReasonSmallCell   = "a changed group has fewer than k new responses"
)

// ReleaseDecision is the outcome of DecideRelease.
type ReleaseDecision struct {
	Release bool
	Due     bool // the schedule allows a release now (whether or not the batch rule does)
	Reason  string
}

// ReleaseDue reports whether the schedule allows a release at now: always in batch mode; in
// daily mode once a release time has passed with no release since (or, before the first, since
// the wave opened); at close, once the
// wave has closed (a closed wave is due in every mode, for its last batch).
func ReleaseDue(p ReleasePolicy, in ReleaseInput) bool {
	if in.Closed {
		return true
	}
	switch p.Mode {
	case ReleaseBatch:
		return true
	case ReleaseDaily:
		at, err := parseClock(p.At)
		if err != nil {
			return false
		}
		zone := in.Zone
		if zone == nil {
			zone = time.UTC
		}
		local := in.Now.In(zone)
		y, mo, d := local.Date()
		boundary := time.Date(y, mo, d, at/60, at%60, 0, 0, zone)
		if local.Before(boundary) {
			boundary = boundary.AddDate(0, 0, -1)
		}
		since := in.Opened // nothing released yet: the first daily time after the wave opened
		if in.LastRelease != nil {
			since = *in.LastRelease
		}
		return since.Before(boundary)
	}
	return false
}

// BatchSafe is the batch rule: releasing delta moves no number by fewer than k respondents —
// every cell it changes gains none or at least k responses (answers, for an item). Then the
// difference between two moments is itself a group of at least k, never one person.
func BatchSafe(delta Cells, k int) bool {
	for _, c := range delta {
		if c.N > 0 && c.N < k {
			return false
		}
	}
	return true
}

// DecideRelease decides whether a wave's held responses are released now. Confidential waves
// are released as they are answered: their respondents are known to the district by design, and
// their results still obey the floor. Anonymous waves are released when the schedule is due and
// the batch rule holds, or at their first release (nothing was shown before, so nothing can be
// subtracted). Held responses that would break the rule stay held, even at close.
func DecideRelease(p ReleasePolicy, in ReleaseInput) ReleaseDecision {
	if in.Held == 0 {
		return ReleaseDecision{Reason: ReasonNothingHeld}
	}
	if !in.Anonymous {
		return ReleaseDecision{Release: true, Due: true, Reason: ReasonLive}
	}
	due := ReleaseDue(p, in)
	switch {
	case !due:
		return ReleaseDecision{Reason: ReasonNotYet}
	case in.FirstRelease || BatchSafe(in.Delta, p.K):
		return ReleaseDecision{Release: true, Due: true, Reason: ReasonReleased}
	}
	return ReleaseDecision{Due: true, Reason: ReasonSmallCell}
}

// SelectRelease picks the held responses a batch may release when releasing all of them would
// break the batch rule: starting from all, it drops every response counted in a cell that the
// remaining batch would change by fewer than k, and again, until no such cell is left. What
// remains meets the rule (it may be nothing); the dropped responses stay held for a later batch,
// so one respondent of a rare group does not hold everyone back, and is never released alone.
// cells[i] lists the cells (numbered) that response i adds one to; it returns the indexes kept.
func SelectRelease(cells [][]int, k int) []int {
	count := map[int]int{}
	active := make([]bool, len(cells))
	for i, cs := range cells {
		active[i] = true
		for _, c := range cs {
			count[c]++
		}
	}
	for {
		small := map[int]bool{}
		for c, n := range count {
			if n > 0 && n < k {
				small[c] = true
			}
		}
		if len(small) == 0 {
			break
		}
		// Every small cell has an active response in it, so each round drops at least one: it ends.
		for i, cs := range cells {
			if !active[i] || !slices.ContainsFunc(cs, func(c int) bool { return small[c] }) {
				continue
			}
			active[i] = false
			for _, c := range cs {
				count[c]--
			}
		}
	}
	out := []int{}
	for i, a := range active {
		if a {
			out = append(out, i)
		}
	}
	return out
}

// merge adds delta's counts into cs (invitations and suppression are decided separately).
func (cs Cells) merge(delta Cells) {
	for k, d := range delta {
		c := cs.at(k)
		c.N += d.N
		c.Sum += d.Sum
		c.SumSq += d.SumSq
		c.Favorable += d.Favorable
		c.Answered += d.Answered
		for i := range c.Cats {
			c.Cats[i] += d.Cats[i]
		}
	}
}
