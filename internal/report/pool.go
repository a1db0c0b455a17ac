package report

import (
	"cmp"
	"maps"
	"slices"
)

// Combined is the value of a pooled group: the small groups of one attribute in one school (or
// the district) counted together, so that together they meet the floor where one of them alone
// would have hidden a big sibling to protect it (the way Panorama and Peakon report an "other"
// group). Its members are hidden (HiddenPooled) and not listed; the school is then the sum of the
// groups shown and the pool, so subtracting shown figures recovers only the pool.
const Combined = "*combined"

type poolKey struct {
	school    int64
	attribute string
}

// pool decides the pools of a wave from its respondent counts and adds their cells, for every
// measure too, so a pool is the same set of groups across the measures and items of a school and
// wave. Each school first, on its own counts (choosePool); then the district, whose pool must also
// take in every group a school's pool would otherwise give away: a group pooled in a single
// school (or in schools that together count fewer than the floor) while the district and the
// other schools show it would be the district's figure minus theirs. Anything pooling leaves open
// is closed by the usual complementary suppression that runs afterwards over the pools' lines.
func pool(cs Cells, floor int) {
	counts := map[poolKey]map[string]int{}
	for k, c := range cs {
		if k.Measure == "" && k.Item == "" && k.Attribute != "" && !IsPair(k.Attribute) && c.N > 0 {
			pk := poolKey{k.School, k.Attribute}
			if counts[pk] == nil {
				counts[pk] = map[string]int{}
			}
			counts[pk][k.Value] = c.N
		}
	}
	pools := map[poolKey][]string{}
	for pk, values := range counts {
		if pk.school != 0 {
			if p := choosePool(values, floor, nil); p != nil {
				pools[pk] = p
			}
		}
	}
	applyPools(cs, pools, floor)
	// A probe: what the schools' own lines would hide with their pools. A district pool grows by
	// groups some school hides anyway; one every school shows would be hidden for nothing (the
	// schools' figures add up to it) and would take a school's group with it to protect it.
	probe := make(Cells, len(cs))
	for k, c := range cs {
		cc := *c
		probe[k] = &cc
	}
	settle(probe, floor, slices.DeleteFunc(linesOf(probe), func(l line) bool { return l.total.School == 0 }))
	hiddenIn := map[poolKey]bool{} // (0, attribute) per group: hidden in some school
	for k, c := range probe {
		if k.School != 0 && k.Measure == "" && k.Item == "" && c.Suppressed && c.N > 0 {
			hiddenIn[poolKey{0, k.Attribute + "\x00" + k.Value}] = true
		}
	}
	district := map[poolKey][]string{}
	for pk, values := range counts {
		if pk.school != 0 {
			continue
		}
		// For each group, the schools that pool it and how many they count there.
		in, n := map[string]int{}, map[string]int{}
		for sk, members := range pools {
			if sk.attribute == pk.attribute {
				for _, v := range members {
					in[v]++
					n[v] += counts[sk][v]
				}
			}
		}
		var seed []string
		for v := range in {
			if in[v] == 1 || n[v] < floor {
				seed = append(seed, v)
			}
		}
		hidden := func(v string) bool { return hiddenIn[poolKey{0, pk.attribute + "\x00" + v}] }
		if p := choosePool(values, floor, seed, hidden); p != nil {
			district[pk] = p
		}
	}
	applyPools(cs, district, floor)
}

// applyPools marks the members of each pool and adds up its Combined cells.
func applyPools(cs Cells, pools map[poolKey][]string, floor int) {
	if len(pools) == 0 {
		return
	}
	for k := range maps.Clone(cs) {
		if k.Item != "" || k.Attribute == "" || IsPair(k.Attribute) || k.Value == Combined {
			continue
		}
		if !slices.Contains(pools[poolKey{k.School, k.Attribute}], k.Value) {
			continue
		}
		c := cs[k]
		c.Suppressed, c.Why = true, HiddenPooled
		cs.at(Key{School: k.School, Measure: k.Measure, Attribute: k.Attribute, Value: Combined}).add(c)
	}
	for k, c := range cs {
		if k.Value == Combined && pools[poolKey{k.School, k.Attribute}] != nil {
			c.Suppressed, c.Why = c.N < floor, ""
			if c.Suppressed {
				c.Why = HiddenSmall
			}
		}
	}
}

// choosePool picks the groups of one attribute to pool from their respondent counts (n > 0
// only): those under the floor and the seed; while they count fewer than the floor together (or
// are a single group), the next smallest is added, preferring those first says go first. It
// returns nil when there is nothing to pool, when the pool cannot reach the floor, or when it
// would take in every group (it would be the school's total by another name; suppression then
// hides the groups as it always did).
func choosePool(values map[string]int, floor int, seed []string, first ...func(string) bool) []string {
	in := map[string]bool{}
	for _, v := range seed {
		if values[v] > 0 {
			in[v] = true
		}
	}
	for v, n := range values {
		if n < floor {
			in[v] = true
		}
	}
	if len(in) == 0 {
		return nil
	}
	rest := slices.Collect(maps.Keys(values))
	rest = slices.DeleteFunc(rest, func(v string) bool { return in[v] })
	preferred := func(v string) bool { return len(first) > 0 && first[0](v) }
	slices.SortFunc(rest, func(a, b string) int {
		pa, pb := preferred(a), preferred(b)
		if pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(values[a], values[b]), compareValues(a, b))
	})
	sum := 0
	for v := range in {
		sum += values[v]
	}
	for len(rest) > 0 && (sum < floor || len(in) < 2) {
		in[rest[0]] = true
		sum += values[rest[0]]
		rest = rest[1:]
	}
	if sum < floor || len(in) < 2 || len(rest) == 0 {
		return nil
	}
	out := slices.Collect(maps.Keys(in))
	slices.SortFunc(out, compareValues)
	return out
}

// add counts another cell's statistics into c.
func (c *Cell) add(o *Cell) {
	c.N += o.N
	c.Sum += o.Sum
	c.SumSq += o.SumSq
	c.Favorable += o.Favorable
	c.Answered += o.Answered
	c.Invited += o.Invited
	for i := range c.Cats {
		c.Cats[i] += o.Cats[i]
	}
}
