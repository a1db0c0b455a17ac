package wave

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Other is the value a snapshot attribute takes when its real value is shared by too few rostered
// people of the school to be stored.
const Other = "other"

// DefaultCohortK is the k of snapshot k-anonymity when the deployment sets none: every
// combination of attributes stored on an anonymous response is shared by at least this many
// rostered people of the wave's school.
const DefaultCohortK = 5

// Scheme says which attributes an anonymous response of one wave × school keeps and which of
// their values stay as they are; any other value of a kept attribute becomes Other, and
// attributes not listed are not stored at all. "" (no value in the roster) is a value like any
// other. A Scheme is computed once per wave × school (see Service.scheme) and then only read, so
// every response of the school is coarsened alike and rollups stay consistent.
type Scheme struct {
	Keep map[string][]string `json:"keep"`
	// Language reports whether the respondent's chosen language may be stored (only for
	// roster-verified respondents, and only when the district reports it).
	Language bool `json:"response_language,omitempty"`
}

// Apply coarsens attrs (a person's full snapshot) by the scheme.
func (sc Scheme) Apply(attrs map[string]string) map[string]string {
	out := map[string]string{}
	for k, keep := range sc.Keep {
		v := attrs[k]
		if !slices.Contains(keep, v) {
			v = Other
		}
		if v != "" {
			out[k] = v
		}
	}
	return out
}

func (sc Scheme) encode() string {
	b, _ := json.Marshal(sc) // a map of string slices always encodes
	return string(b)
}

func decodeScheme(s string) (Scheme, error) {
	var sc Scheme
	if err := json.Unmarshal([]byte(s), &sc); err != nil {
		return Scheme{}, fmt.Errorf("snapshot scheme: %w", err)
	}
	return sc, nil
}

// CohortScheme chooses how to coarsen the snapshots of a school's respondents so that every
// combination of stored values is shared by at least k of people (the school's roster within the
// wave's audience, each as its full snapshot), keeping as much as it can, in three steps:
//
//  1. per attribute, values held by fewer than k people become Other;
//  2. if Other itself then holds fewer than k (but some), the least common kept values join it
//     until it holds k or nothing is left to fold;
//  3. while some combination of the remaining attributes is shared by fewer than k people, an
//     attribute is dropped: the least useful (keys lists the most useful first) whose removal
//     leaves fewer people in such combinations, or the least useful of all if none does; then
//     every dropped attribute that can come back without exposing anyone does, most useful first.
//
// It is a pure function of its arguments: the same roster always gives the same scheme.
func CohortScheme(keys []string, people []map[string]string, k int) Scheme {
	sc := Scheme{Keep: map[string][]string{}}
	if k < 1 {
		k = 1
	}
	for _, key := range keys {
		counts := map[string]int{}
		for _, p := range people {
			counts[p[key]]++
		}
		values := make([]string, 0, len(counts))
		for v := range counts {
			values = append(values, v)
		}
		// Least common first, so step 2 folds from the front; ties in text order.
		slices.SortFunc(values, func(a, b string) int { return cmp.Or(cmp.Compare(counts[a], counts[b]), strings.Compare(a, b)) })
		other := 0
		keep := values[:0:0]
		for _, v := range values {
			if counts[v] < k || v == Other {
				other += counts[v]
			} else {
				keep = append(keep, v)
			}
		}
		for other > 0 && other < k && len(keep) > 0 {
			other += counts[keep[0]]
			keep = keep[1:]
		}
		slices.Sort(keep)
		sc.Keep[key] = keep
	}
	active := slices.Clone(keys)
	for len(active) > 0 {
		exposed := smallCohorts(sc, active, people, k)
		if exposed == 0 {
			break
		}
		drop := len(active) - 1
		for i := len(active) - 1; i >= 0; i-- {
			if smallCohorts(sc, slices.Delete(slices.Clone(active), i, i+1), people, k) < exposed {
				drop = i
				break
			}
		}
		active = slices.Delete(active, drop, drop+1)
	}
	// Dropping one at a time can drop more than needed: put back, most useful first, every
	// attribute that exposes nobody once the others are gone.
	for _, key := range keys {
		if slices.Contains(active, key) {
			continue
		}
		with := append(slices.Clone(active), key)
		slices.SortFunc(with, func(a, b string) int { return cmp.Compare(slices.Index(keys, a), slices.Index(keys, b)) })
		if smallCohorts(sc, with, people, k) == 0 {
			active = with
		}
	}
	for key := range sc.Keep {
		if !slices.Contains(active, key) {
			delete(sc.Keep, key)
		}
	}
	return sc
}

// smallCohorts counts the people whose combination of coarsened values of keys is shared by
// fewer than k people.
func smallCohorts(sc Scheme, keys []string, people []map[string]string, k int) int {
	size := map[string]int{}
	combo := func(p map[string]string) string {
		var b strings.Builder
		for _, key := range keys {
			v := p[key]
			if !slices.Contains(sc.Keep[key], v) {
				v = Other
			}
			b.WriteString(v)
			b.WriteByte(0)
		}
		return b.String()
	}
	combos := make([]string, len(people))
	for i, p := range people {
		combos[i] = combo(p)
		size[combos[i]]++
	}
	small := 0
	for _, c := range combos {
		if size[c] < k {
			small++
		}
	}
	return small
}
