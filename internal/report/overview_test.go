package report

import (
	"math"
	"slices"
	"testing"

	"github.com/trustpulse/trustpulse/internal/survey"
)

func TestWeakest(t *testing.T) {
	in := &survey.Instrument{Measures: []survey.Measure{
		{ID: "teachers", Relationship: "student-teacher"}, {ID: "peers", Relationship: "student-student"},
		{ID: "adult", Relationship: "student-adult", SingleItem: true}, {ID: "climate"},
	}}
	row := func(m string, fav float64) Row { return Row{Measure: m, Group: All, Stat: Stat{N: 20, Favorable: fav}} }
	hidden := func(m string) Row { return Row{Measure: m, Group: All, Stat: Stat{Suppressed: true}} }
	tests := []struct {
		name string
		rows []Row
		want string
	}{
		{"lowest", []Row{row("teachers", 62), row("peers", 48), row("adult", 51), row("climate", 20)}, "peers"},
		{"single item counts", []Row{row("teachers", 62), row("peers", 48), row("adult", 37.6)}, "adult"},
		{"measure without relationship ignored", []Row{row("teachers", 62), row("peers", 70), row("climate", 10)}, "teachers"},
		{"hidden rows ignored", []Row{row("teachers", 62), hidden("peers"), row("adult", 70)}, "teachers"},
		{"one shown: nothing to compare", []Row{row("teachers", 62), hidden("peers"), hidden("adult")}, ""},
		{"tie", []Row{row("teachers", 50), row("peers", 50), row("adult", 70)}, ""},
		{"no %% favorable", []Row{row("teachers", math.NaN()), row("peers", 50)}, ""},
	}
	for _, tt := range tests {
		if got := Weakest(in, tt.rows); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCompareBy(t *testing.T) {
	rows := []Row{
		{Group: "c", Stat: Stat{Favorable: 70}}, {Group: "h", Stat: Stat{Suppressed: true}},
		{Group: "a", Stat: Stat{Favorable: 40}}, {Group: "n", Stat: Stat{Favorable: math.NaN()}}, {Group: "b", Stat: Stat{Favorable: 55}},
	}
	slices.SortStableFunc(rows, CompareBy)
	var got []string
	for _, r := range rows {
		got = append(got, r.Group)
	}
	if want := []string{"a", "b", "c", "h", "n"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
