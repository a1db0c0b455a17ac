package report

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Key names one cell of a wave. School 0 is the district; Measure "" counts respondents; Item is
// set on item rows (always for everyone); Attribute ""/Value "" is everyone.
type Key struct {
	School    int64
	Measure   string
	Item      string
	Attribute string
	Value     string
}

// Cell holds a group's sufficient statistics in one wave. Every field but Invited adds up: a
// district cell is the sum of its schools', an overall cell the sum of its subgroups'.
type Cell struct {
	N          int // respondents (measure and respondent cells) or answers (item cells)
	Sum, SumSq float64
	Favorable  int
	Answered   int
	Cats       [5]int
	Invited    int
	Suppressed bool
	// Why says why a hidden cell is hidden (HiddenSmall, HiddenProtect or HiddenPooled); "" when shown.
	Why Hidden
}

// Hidden is the reason a cell is not shown. Pages word each one differently: only a group that
// is itself small is "fewer than N responses".
type Hidden string

const (
	// HiddenSmall: the group (or, for a group's scores, its respondents) counts fewer than the floor.
	HiddenSmall Hidden = "small"
	// HiddenProtect: big enough itself, hidden so that no subtraction recovers a smaller group
	// (complementary suppression), or part of a two-way table withheld whole.
	HiddenProtect Hidden = "protect"
	// HiddenPooled: the group is one of the small groups of its attribute combined into one
	// Combined group (see pool.go); it is not listed on its own.
	HiddenPooled Hidden = "pooled"
)

// Cells is one wave's rollup.
type Cells map[Key]*Cell

// cellOf reads a stored rollup row.
func cellOf(r store.RollupCell) (Key, *Cell) {
	return Key{r.SchoolID, r.MeasureID, r.ItemID, r.Attribute, r.Value}, &Cell{N: r.N, Sum: r.Sum, SumSq: r.SumSq, Favorable: r.Favorable,
		Answered: r.Answered, Cats: [5]int{r.C0, r.C1, r.C2, r.C3, r.C4}, Invited: r.Invited, Suppressed: r.Suppressed, Why: Hidden(r.Hidden)}
}

func (cs Cells) at(k Key) *Cell {
	c := cs[k]
	if c == nil {
		c = &Cell{}
		cs[k] = c
	}
	return c
}

// line is one additive identity between cells: total = Σ parts. Anyone holding the shown cells of a
// line can solve it for a single hidden one, which is what complementary suppression prevents.
type line struct {
	total Key
	parts []Key
}

// Suppress decides which cells are hidden under the privacy floor. A cell is hidden when:
//   - it counts fewer than floor respondents (or answers, for an item) — primary suppression;
//   - its group's respondent cell is hidden (so its n cannot give the hidden count away), or, for an
//     item, its school's measure cell is hidden;
//   - it is needed to protect another: in every additive line (subgroups of a school summing to the
//     school, schools summing to the district) never exactly one cell is hidden, and hidden parts
//     together count at least floor, so no subtraction recovers a hidden group or a group smaller
//     than the floor. The smallest shown part is hidden first, to lose as little as possible.
//     Empty cells (n = 0) take no part in this: see protect.
//
// The rules are applied until nothing changes; hiding only ever grows, so this ends. Two-way
// breakdowns are decided afterwards, whole tables at a time: see suppressPairs. Each hidden
// cell's Why says which rule hid it first.
//
// Suppress pools nothing: the results use SuppressPooled, which first combines small groups.
func Suppress(cs Cells, floor int) {
	suppress(cs, floor, false)
}

// SuppressPooled is Suppress after pooling: where an attribute has groups smaller than the floor
// in a school (or the district), they are combined into one Combined group that meets it instead
// of hiding a big sibling to protect them (see pool.go). The same rules then run over every cell,
// the pools and their lines included, so whatever pooling cannot settle is still protected.
func SuppressPooled(cs Cells, floor int) {
	suppress(cs, floor, true)
}

func suppress(cs Cells, floor int, pooled bool) {
	maps.DeleteFunc(cs, func(k Key, _ *Cell) bool { return k.Value == Combined }) // pools are decided afresh
	for _, c := range cs {
		c.Suppressed, c.Why = c.N < floor, ""
		if c.Suppressed {
			c.Why = HiddenSmall
		}
	}
	if pooled {
		pool(cs, floor)
	}
	settle(cs, floor, linesOf(cs))
	suppressPairs(cs, floor)
}

// settle applies the parent and protection rules over lines until nothing changes.
// A school's own lines (and the district's own) settle before the lines across schools are
// looked at, so a sibling a school must hide anyway is hidden before another school's group is
// taken to protect the same figure in the district.
func settle(cs Cells, floor int, lines []line) {
	keys := sortKeys(slices.Collect(maps.Keys(cs)))
	var own, across []line
	for _, l := range lines {
		if l.parts[0].School != l.total.School {
			across = append(across, l)
		} else {
			own = append(own, l)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, k := range keys {
			if c := cs[k]; !c.Suppressed {
				if why := parentHidden(cs, k); why != "" {
					c.Suppressed, c.Why, changed = true, why, true
				}
			}
		}
		for _, l := range own {
			if protect(cs, l, floor) {
				changed = true
			}
		}
		if changed {
			continue
		}
		for _, l := range across {
			if protect(cs, l, floor) {
				changed = true
			}
		}
	}
}

// suppressPairs shows a two-way table (one school or the district, one pair of attributes, every
// measure and the respondent counts) only where nothing in it can give anything away: every
// combination with respondents meets the floor, the table's margins — the school's one-way cells
// of both attributes and its total — are all shown, and, for the district, every school's table
// is shown too (or the district's minus the others' would be the hidden one). Anything less hides
// the whole table. Its cells then add up only to shown cells, so they open no new subtraction.
func suppressPairs(cs Cells, floor int) {
	type table struct {
		school int64
		attr   string
	}
	tables := map[table][]Key{}
	for k := range cs {
		if k.Item == "" && IsPair(k.Attribute) {
			t := table{k.School, k.Attribute}
			tables[t] = append(tables[t], k)
		}
	}
	ok := map[table]bool{}
	for t, keys := range tables {
		ok[t] = pairTableSafe(cs, t.school, t.attr, keys, floor)
	}
	for t := range tables {
		if t.school == 0 && ok[t] {
			for u := range tables {
				if u.attr == t.attr && u.school != 0 && !ok[u] {
					ok[t] = false
				}
			}
		}
	}
	for t, keys := range tables {
		for _, k := range keys {
			c := cs[k]
			c.Suppressed, c.Why = !ok[t] || c.N < floor, ""
			switch {
			case c.N < floor:
				c.Why = HiddenSmall
			case c.Suppressed:
				c.Why = HiddenProtect
			}
		}
	}
}

func pairTableSafe(cs Cells, school int64, attr string, keys []Key, floor int) bool {
	a, b, _ := SplitPair(attr)
	for _, k := range keys {
		c := cs[k]
		if c.N > 0 && c.N < floor {
			return false
		}
		va, vb, _ := strings.Cut(k.Value, ",")
		for _, margin := range []Key{{School: school, Measure: k.Measure}, {School: school, Measure: k.Measure, Attribute: a, Value: va},
			{School: school, Measure: k.Measure, Attribute: b, Value: vb}} {
			if m := cs[margin]; m == nil || (m.Suppressed && m.N > 0) {
				return false
			}
		}
	}
	return true
}

// parentHidden is the reason k's parent cell is hidden ("" when it is shown or there is none): a
// group's scores follow its respondent cell, an item follows its school's measure cell.
func parentHidden(cs Cells, k Key) Hidden {
	if k.Measure == "" {
		return ""
	}
	parent := Key{School: k.School, Attribute: k.Attribute, Value: k.Value}
	if k.Item != "" {
		parent = Key{School: k.School, Measure: k.Measure}
	}
	if p := cs[parent]; p != nil && p.Suppressed {
		return cmp.Or(p.Why, HiddenProtect)
	}
	return ""
}

// protect hides one more cell of l if l would otherwise reveal something; it reports whether it did.
// An empty cell (a group invited but with no respondents) is hidden like any small one, but it
// holds no answer to protect and solving for it gives only the zero: it neither needs protection
// nor protects anything, so a school's or grade's empty groups never hide its real ones.
func protect(cs Cells, l line, floor int) bool {
	hidden, hiddenN := 0, 0
	var smallest *Cell
	for _, k := range l.parts {
		c := cs[k]
		if c.Suppressed {
			if c.N > 0 {
				hidden++
				hiddenN += c.N
			}
		} else if smallest == nil || c.N < smallest.N {
			smallest = c
		}
	}
	total := cs[l.total]
	if total.Suppressed && total.N > 0 {
		hidden++
	}
	leaks := hidden == 1 || (!total.Suppressed && hidden > 0 && hiddenN < floor)
	if !leaks {
		return false
	}
	if smallest == nil {
		if total.Suppressed {
			return false // everything in the line is hidden already
		}
		total.Suppressed, total.Why = true, HiddenProtect
		return true
	}
	smallest.Suppressed, smallest.Why = true, HiddenProtect
	return true
}

// linesOf lists the additive identities among a wave's cells: per school, measure and attribute,
// the subgroups sum to the school; per measure and group, the schools sum to the district; per item,
// the schools' answers sum to the district's. Where an attribute is pooled, its Combined cell is
// the sum of its members, and the school is also the sum of the groups left out of the pool and
// the pool. Combined cells of different schools pool different groups, so they sum to nothing.
func linesOf(cs Cells) []line {
	type rowKey struct {
		school             int64
		measure, attribute string
	}
	type colKey struct{ measure, item, attribute, value string }
	rows := map[rowKey][]Key{}
	cols := map[colKey][]Key{}
	for k := range cs {
		if IsPair(k.Attribute) || k.Value == Combined {
			continue // two-way tables are shown whole or not at all: see suppressPairs
		}
		if k.Item == "" && k.Attribute != "" {
			rk := rowKey{k.School, k.Measure, k.Attribute}
			rows[rk] = append(rows[rk], k)
		}
		if k.School != 0 {
			ck := colKey{k.Measure, k.Item, k.Attribute, k.Value}
			cols[ck] = append(cols[ck], k)
		}
	}
	var out []line
	for rk, parts := range rows {
		total := Key{School: rk.school, Measure: rk.measure}
		if cs[total] == nil {
			continue
		}
		out = append(out, line{total: total, parts: sortKeys(parts)})
		pooled := Key{School: rk.school, Measure: rk.measure, Attribute: rk.attribute, Value: Combined}
		if cs[pooled] == nil {
			continue
		}
		var members, rest []Key
		for _, k := range parts {
			if cs[k].Why == HiddenPooled {
				members = append(members, k)
			} else {
				rest = append(rest, k)
			}
		}
		out = append(out, line{total: pooled, parts: sortKeys(members)}, line{total: total, parts: sortKeys(append(rest, pooled))})
	}
	for ck, parts := range cols {
		total := Key{Measure: ck.measure, Item: ck.item, Attribute: ck.attribute, Value: ck.value}
		if cs[total] != nil {
			out = append(out, line{total: total, parts: sortKeys(parts)})
		}
	}
	// A fixed order makes the outcome the same on every refresh of the same data.
	slices.SortFunc(out, func(a, b line) int {
		return cmp.Or(compareKeys(a.total, b.total), cmp.Compare(len(a.parts), len(b.parts)), compareKeys(a.parts[0], b.parts[0]))
	})
	return out
}

func sortKeys(ks []Key) []Key {
	slices.SortFunc(ks, compareKeys)
	return ks
}

func compareKeys(a, b Key) int {
	return cmp.Or(cmp.Compare(a.School, b.School), cmp.Compare(a.Measure, b.Measure), cmp.Compare(a.Item, b.Item),
		cmp.Compare(a.Attribute, b.Attribute), cmp.Compare(a.Value, b.Value))
}
