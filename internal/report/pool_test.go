package report

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

func TestSuppressPooled(t *testing.T) {
	const a, b = 1, 2
	g := func(school int64, v string) Key { return Key{School: school, Attribute: "gender", Value: v} }
	tests := []struct {
		name   string
		counts map[int64]map[string]int
		want   map[Key]Hidden // every other cell is shown
	}{
		{"small groups that meet the floor together are pooled, the big ones shown",
			// The principal's case: 7 non-binary students used to hide 216 girls.
			map[int64]map[string]int{a: {"female": 216, "male": 230, "nonbinary": 7, NotRecorded: 4}, b: {"female": 200, "male": 190}},
			map[Key]Hidden{g(a, "nonbinary"): HiddenPooled, g(a, NotRecorded): HiddenPooled,
				// The district's non-binary students are school a's: pooled there too.
				g(0, "nonbinary"): HiddenPooled, g(0, NotRecorded): HiddenPooled}},
		{"a pool too small takes the next smallest group",
			map[int64]map[string]int{a: {"female": 216, "male": 230, "nonbinary": 7}, b: {"female": 200, "male": 190}},
			map[Key]Hidden{g(a, "nonbinary"): HiddenPooled, g(a, "female"): HiddenPooled,
				g(0, "nonbinary"): HiddenPooled, g(0, "female"): HiddenPooled}},
		{"the district pools a group one school pooled though it meets the floor there",
			// Otherwise district non-binary (18) minus school b's (12) is school a's 6.
			map[int64]map[string]int{a: {"female": 100, "male": 100, "nonbinary": 6, NotRecorded: 5}, b: {"female": 100, "male": 100, "nonbinary": 12}},
			map[Key]Hidden{g(a, "nonbinary"): HiddenPooled, g(a, NotRecorded): HiddenPooled,
				g(0, "nonbinary"): HiddenPooled, g(0, NotRecorded): HiddenPooled}},
		{"schools that each pool a group let the district show it",
			map[int64]map[string]int{a: {"female": 100, "male": 100, "nonbinary": 6, NotRecorded: 5}, b: {"female": 100, "male": 100, "nonbinary": 7, NotRecorded: 6}},
			map[Key]Hidden{g(a, "nonbinary"): HiddenPooled, g(a, NotRecorded): HiddenPooled,
				g(b, "nonbinary"): HiddenPooled, g(b, NotRecorded): HiddenPooled}},
		{"no small group, no pool", map[int64]map[string]int{a: {"female": 20, "male": 30}, b: {"female": 15, "male": 12}}, nil},
		{"a pool of every group is no pool: the old rules apply",
			map[int64]map[string]int{a: {"female": 216, "nonbinary": 7}, b: {"female": 200, "male": 190}},
			map[Key]Hidden{g(a, "nonbinary"): HiddenSmall, g(a, "female"): HiddenProtect,
				g(0, "nonbinary"): HiddenPooled, g(0, "female"): HiddenPooled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := grid(tt.counts)
			SuppressPooled(cs, 10)
			pools := map[Key]int{}
			for k, c := range cs {
				if k.Value == Combined {
					if c.Suppressed || c.N < 10 {
						t.Errorf("%+v: pool of %d, suppressed %v", k, c.N, c.Suppressed)
					}
					pools[Key{School: k.School}] = c.N
					continue
				}
				if want := tt.want[k]; c.Why != want || c.Suppressed != (want != "") {
					t.Errorf("%+v (n=%d): suppressed %v (%q), want %q", k, c.N, c.Suppressed, c.Why, want)
				}
			}
			for k, c := range cs {
				if c.Why == HiddenPooled {
					if pools[Key{School: k.School}] == 0 {
						t.Errorf("%+v pooled but its school has no pool", k)
					}
				}
			}
			if r := attack(cs, 10); len(r) > 0 {
				t.Errorf("recovered hidden cells %v", r)
			}
		})
	}
}

// TestPoolsFollowRespondentCounts: the measure cells of a school pool the same groups as its
// respondent cells, whatever their own counts, and the pool's figures are its members' sums.
func TestPoolsFollowRespondentCounts(t *testing.T) {
	cs := grid(map[int64]map[string]int{1: {"female": 216, "male": 230, "nonbinary": 7, NotRecorded: 4}})
	for k, c := range cs {
		mk := k
		mk.Measure = "trust"
		cs[mk] = &Cell{N: c.N, Sum: 50 * float64(c.N), Favorable: c.N, Answered: 2 * c.N}
	}
	// Fewer answered this measure among the non-binary students than responded.
	cs[Key{School: 1, Measure: "trust", Attribute: "gender", Value: "nonbinary"}].N = 6
	cs[Key{School: 0, Measure: "trust", Attribute: "gender", Value: "nonbinary"}].N = 6
	SuppressPooled(cs, 10)
	for _, s := range []int64{0, 1} {
		p := cs[Key{School: s, Measure: "trust", Attribute: "gender", Value: Combined}]
		if p == nil || p.Suppressed || p.N != 10 || p.Answered != 22 {
			t.Fatalf("school %d: pooled measure cell %+v, want n=10 shown", s, p)
		}
		for _, v := range []string{"female", "male"} {
			if c := cs[Key{School: s, Measure: "trust", Attribute: "gender", Value: v}]; c.Suppressed {
				t.Errorf("school %d: %s hidden (%s)", s, v, c.Why)
			}
		}
	}
	if r := attack(cs, 10); len(r) > 0 {
		t.Errorf("recovered %v", r)
	}
}

// TestPoolingResistsRecovery is TestSuppressResistsRecovery with pooling: random districts, the
// attacker solving every line — the pools', the schools' as shown parts plus pool, the schools'
// columns into the district — chained as far as it goes. It also counts what pooling saves: big
// groups (at least the floor) hidden to protect a smaller one, with and without pools.
func TestPoolingResistsRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	pooledTrials, protectedPlain, protectedPooled, pools := 0, 0, 0, 0
	bigPlain, bigPooled := 0, 0 // groups of at least the floor not shown on their own
	bigPlainDistrict, bigPooledDistrict := 0, 0
	for trial := range 500 {
		cs := Cells{}
		counts := map[int64]int{}
		for s := range 1 + rng.IntN(5) {
			school := int64(s + 1)
			counts[school] = 1 + rng.IntN(300)
			// A few big groups and a few rare ones, as gender or home language often are.
			big, rare := 1+rng.IntN(3), rng.IntN(4)
			for range counts[school] {
				v := fmt.Sprint("g", rng.IntN(big))
				if rare > 0 && rng.IntN(25) == 0 {
					v = fmt.Sprint("r", rng.IntN(rare))
				}
				g := store.Attrs{"gender": v, "grade": fmt.Sprint(rng.IntN(1 + rng.IntN(4)))}
				cs.Add(&survey.Instrument{}, []string{"gender", "grade", Pair("gender", "grade")}, Response{School: school, Groups: g})
			}
			for v := range rng.IntN(2) {
				cs.at(Key{School: school, Attribute: "grade", Value: fmt.Sprint("empty", v)})
				cs.at(Key{Attribute: "grade", Value: fmt.Sprint("empty", v)})
			}
		}
		floor := 5 + rng.IntN(8)
		plain := Cells{}
		for k, c := range cs {
			cc := *c
			plain[k] = &cc
		}
		Suppress(plain, floor)
		SuppressPooled(cs, floor)
		if r := attack(cs, floor); len(r) > 0 {
			t.Fatalf("trial %d (floor %d, %v): recovered %v", trial, floor, counts, r)
		}
		if u := smallUnions(cs, floor); len(u) > 0 {
			t.Fatalf("trial %d (floor %d, %v): hidden parts of %+v add up to fewer than the floor", trial, floor, counts, u[0].total)
		}
		pooled := false
		for k, c := range cs {
			if c.N < floor && !c.Suppressed {
				t.Fatalf("trial %d: %+v with n=%d is shown under floor %d", trial, k, c.N, floor)
			}
			if k.Value == Combined && !c.Suppressed {
				pooled = true
				pools++
			}
			if !IsPair(k.Attribute) && k.Attribute != "" && c.Why == HiddenProtect {
				protectedPooled++
			}
			if !IsPair(k.Attribute) && k.Attribute != "" && k.Value != Combined && c.Suppressed && c.N >= floor {
				bigPooled++
				if k.School == 0 {
					bigPooledDistrict++
				}
			}
		}
		for k, c := range plain {
			if !IsPair(k.Attribute) && k.Attribute != "" && c.Why == HiddenProtect {
				protectedPlain++
			}
			if !IsPair(k.Attribute) && k.Attribute != "" && c.Suppressed && c.N >= floor {
				bigPlain++
				if k.School == 0 {
					bigPlainDistrict++
				}
			}
		}
		if pooled {
			pooledTrials++
		}
	}
	t.Logf("pools shown: %d in %d of 500 districts; one-way groups hidden to protect another: %d without pooling, %d with; "+
		"groups of at least the floor not shown on their own (hidden or pooled): %d without pooling (%d of them district rows), %d with (%d)",
		pools, pooledTrials, protectedPlain, protectedPooled, bigPlain, bigPlainDistrict, bigPooled, bigPooledDistrict)
	if pooledTrials < 100 || protectedPooled >= protectedPlain {
		t.Errorf("pooling should occur often and hide fewer groups: %d districts pooled, %d protected (was %d)", pooledTrials, protectedPooled, protectedPlain)
	}
}
