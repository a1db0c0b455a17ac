package scoring

import (
	"fmt"
	"math"
)

// Favorable reports whether answer x counts as favorable: one of the top two
// categories once a reverse-coded item is flipped (x' = K-1-x), the common
// "top two boxes" rule (§2.3). On a two-category item "top two" would be every
// answer, so there only the top category counts. Missing is never favorable.
func Favorable(x int8, K int, reverse bool) bool {
	if x < 0 || int(x) >= K {
		return false
	}
	v := int(x)
	if reverse {
		v = K - 1 - v
	}
	if K <= 2 {
		return v == K-1
	}
	return v >= K-2
}

// Tally counts favorable answers among answered ones.
type Tally struct {
	Favorable int
	Answered  int
}

// Percent is 100·Favorable/Answered, NaN when nothing was answered (a
// percentage of nobody must not be shown as 0 %).
func (t Tally) Percent() float64 {
	if t.Answered == 0 {
		return math.NaN()
	}
	return 100 * float64(t.Favorable) / float64(t.Answered)
}

// Wilson is the 95 % Wilson interval of the tally, in percent.
func (t Tally) Wilson() (lo, hi float64) {
	lo, hi = Wilson(t.Favorable, t.Answered)
	return 100 * lo, 100 * hi
}

// PercentFavorable tallies favorable answers per item and pooled over the
// measure. reverse[i] marks reverse-coded items (nil: none).
//
// The pooled figure counts every answered (person, item) cell once — not the
// mean of the item percentages — so items answered by fewer people (rotating
// forms) weigh less, and the Wilson interval applies to it directly (§2.3
// leaves the choice open; this is ours).
func PercentFavorable(m Matrix, reverse []bool) (items []Tally, pooled Tally, err error) {
	if reverse != nil && len(reverse) != len(m.Items) {
		return nil, Tally{}, fmt.Errorf("scoring: %d reverse flags for %d items", len(reverse), len(m.Items))
	}
	if m.K < 2 {
		return nil, Tally{}, fmt.Errorf("scoring: %d categories; need at least 2", m.K)
	}
	items = make([]Tally, len(m.Items))
	for n, row := range m.Data {
		if len(row) != len(m.Items) {
			return nil, Tally{}, fmt.Errorf("scoring: %s has %d answers for %d items", m.personName(n), len(row), len(m.Items))
		}
		for i, x := range row {
			if x == Missing {
				continue
			}
			items[i].Answered++
			if Favorable(x, m.K, reverse != nil && reverse[i]) {
				items[i].Favorable++
			}
		}
	}
	for _, t := range items {
		pooled.Favorable += t.Favorable
		pooled.Answered += t.Answered
	}
	return items, pooled, nil
}
