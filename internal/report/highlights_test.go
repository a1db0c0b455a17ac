package report

import (
	"math"
	"slices"
	"testing"

	"github.com/trustpulse/trustpulse/internal/survey"
)

func TestStrongestWeakest(t *testing.T) {
	item := func(id string, fav float64) ItemRow { return ItemRow{Item: id, Stat: Stat{N: 20, Favorable: fav}} }
	hidden := func(id string) ItemRow { return ItemRow{Item: id, Stat: Stat{Suppressed: true}} }
	ids := func(rs []ItemRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Item)
		}
		return out
	}
	tests := []struct {
		name           string
		items          []ItemRow
		n              int
		strong, weaker []string
	}{
		{"top and bottom", []ItemRow{item("a", 50), item("b", 90), item("c", 10), item("d", 70), item("e", 30), item("f", 60)}, 2,
			[]string{"b", "d"}, []string{"c", "e"}},
		{"hidden never ranked", []ItemRow{item("a", 50), hidden("b"), item("c", 10), item("d", 70)}, 1, []string{"d"}, []string{"c"}},
		{"few items split, none in both", []ItemRow{item("a", 50), item("b", 90), item("c", 10)}, 3, []string{"b", "a"}, []string{"c"}},
		{"one item", []ItemRow{item("a", 50)}, 3, []string{"a"}, nil},
		{"ties keep order", []ItemRow{item("a", 50), item("b", 50), item("c", 50), item("d", 50)}, 1, []string{"a"}, []string{"d"}},
		{"no % favorable", []ItemRow{item("a", math.NaN()), hidden("b")}, 2, nil, nil},
	}
	for _, tt := range tests {
		s, w := StrongestWeakest(tt.items, tt.n)
		if !slices.Equal(ids(s), tt.strong) || !slices.Equal(ids(w), tt.weaker) {
			t.Errorf("%s: strongest %v weakest %v, want %v and %v", tt.name, ids(s), ids(w), tt.strong, tt.weaker)
		}
	}
}

func TestBiggestGaps(t *testing.T) {
	in := &survey.Instrument{Measures: []survey.Measure{{ID: "teachers"}, {ID: "adult", SingleItem: true}}}
	flag := func(d float64) *Compare { return &Compare{Diff: d, Low: d - 2, High: d + 2, Flagged: true} }
	rows := []Row{
		{Measure: "teachers", Attribute: "gender", Group: "female", Stat: Stat{N: 30}, Gap: flag(6)},
		{Measure: "teachers", Attribute: "gender", Group: "male", Stat: Stat{N: 28}, Gap: flag(-9), FavGap: flag(-30)},
		{Measure: "teachers", Attribute: "grade", Group: "05", Stat: Stat{N: 28}, Gap: &Compare{Diff: 12, Low: -1, High: 25}}, // not flagged
		{Measure: "teachers", Attribute: "gender", Group: "nonbinary", Stat: Stat{Suppressed: true}, Gap: flag(40)},           // hidden: never
		{Measure: "adult", Attribute: "gender", Group: "male", Stat: Stat{N: 28}, Gap: flag(-50), FavGap: flag(-7)},           // % favorable gap
		{Measure: "teachers", Group: All, Stat: Stat{N: 61}, Gap: flag(20)},                                                   // no breakdown
	}
	got := BiggestGaps(in, rows, 5)
	var desc []string
	for _, g := range got {
		desc = append(desc, g.Measure+"/"+g.Group)
	}
	if want := []string{"teachers/male", "adult/male", "teachers/female"}; !slices.Equal(desc, want) {
		t.Fatalf("gaps %v, want %v", desc, want)
	}
	if !got[1].Points || got[1].Gap.Diff != -7 || got[0].Points {
		t.Errorf("single-item gap: %+v; score gap: %+v", got[1], got[0])
	}
	if got := BiggestGaps(in, rows, 1); len(got) != 1 || got[0].Group != "male" {
		t.Errorf("n=1: %+v", got)
	}
}
