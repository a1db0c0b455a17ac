package report

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBatchSafe(t *testing.T) {
	k := func(school int64, measure, attr, value string) Key {
		return Key{School: school, Measure: measure, Attribute: attr, Value: value}
	}
	tests := []struct {
		name  string
		delta Cells
		k     int
		want  bool
	}{
		{"nothing changes", Cells{}, 5, true},
		{"every changed cell gains k", Cells{k(1, "", "", ""): {N: 5}, k(0, "", "", ""): {N: 5}, k(1, "m", "grade", "06"): {N: 5}}, 5, true},
		{"an empty cell is not changed", Cells{k(1, "", "", ""): {N: 6}, k(1, "", "grade", "07"): {N: 0}}, 5, true},
		{"one new response", Cells{k(1, "", "", ""): {N: 1}}, 5, false},
		{"the school gains 9 but one grade gains 1", Cells{k(1, "", "", ""): {N: 9}, k(1, "", "grade", "06"): {N: 8}, k(1, "", "grade", "07"): {N: 1}}, 5, false},
		{"a hidden group still counts: its 1 falls out of its school's sum", Cells{k(1, "m", "", ""): {N: 5}, k(1, "m", "gender", "x"): {N: 1}, k(1, "m", "gender", "f"): {N: 4}}, 3, false},
		{"an item answered by 2 of the batch", Cells{k(1, "", "", ""): {N: 5}, {School: 1, Measure: "m", Item: "i1"}: {N: 2}}, 5, false},
		{"k of 3", Cells{k(1, "", "", ""): {N: 3}, k(0, "", "", ""): {N: 3}}, 3, true},
	}
	for _, tt := range tests {
		if got := BatchSafe(tt.delta, tt.k); got != tt.want {
			t.Errorf("%s: BatchSafe = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDecideRelease(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, chicago)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ptr := func(v time.Time) *time.Time { return &v }
	one := Cells{{School: 1}: {N: 1}, {}: {N: 1}}
	five := Cells{{School: 1}: {N: 5}, {}: {N: 5}}
	batch := ReleasePolicy{Mode: ReleaseBatch, K: 5, At: "06:00"}
	daily := ReleasePolicy{Mode: ReleaseDaily, K: 5, At: "14:30"}
	atClose := ReleasePolicy{Mode: ReleaseAtClose, K: 5, At: "06:00"}
	base := func(p ReleasePolicy, delta Cells, last *time.Time, now time.Time) ReleaseInput {
		n := 0
		if c := delta[Key{}]; c != nil {
			n = c.N
		}
		return ReleaseInput{Anonymous: true, Held: n, Delta: delta, FirstRelease: last == nil, Now: now, Zone: chicago, LastRelease: last,
			Opened: at("2026-03-09 08:00")}
	}
	noon := at("2026-03-10 12:00")
	tests := []struct {
		name   string
		policy ReleasePolicy
		in     ReleaseInput
		want   bool
		reason string
	}{
		{"nothing held", batch, base(batch, Cells{}, ptr(noon), noon), false, ReasonNothingHeld},
		{"batch: one response waits", batch, base(batch, one, ptr(noon.Add(-time.Hour)), noon), false, ReasonSmallCell},
		{"batch: k responses go", batch, base(batch, five, ptr(noon.Add(-time.Hour)), noon), true, ReasonReleased},
		{"batch: the first release has nothing to compare with", batch, base(batch, one, nil, noon), true, ReasonReleased},
		{"confidential: live", batch, func() ReleaseInput { in := base(batch, one, ptr(noon), noon); in.Anonymous = false; return in }(), true, ReasonLive},
		{"daily: before the time", daily, base(daily, five, ptr(at("2026-03-09 14:31")), at("2026-03-10 14:29")), false, ReasonNotYet},
		{"daily: after the time", daily, base(daily, five, ptr(at("2026-03-09 14:31")), at("2026-03-10 14:30")), true, ReasonReleased},
		{"daily: already released today", daily, base(daily, five, ptr(at("2026-03-10 14:31")), at("2026-03-10 20:00")), false, ReasonNotYet},
		{"daily: after midnight, yesterday's time counts", daily, base(daily, five, ptr(at("2026-03-09 10:00")), at("2026-03-10 01:00")), true, ReasonReleased},
		{"daily: the first release waits for the first time after opening", daily, base(daily, five, nil, at("2026-03-09 14:00")), false, ReasonNotYet},
		{"daily: the first release at that time", daily, base(daily, one, nil, at("2026-03-09 14:30")), true, ReasonReleased},
		{"daily: due but one response", daily, base(daily, one, ptr(at("2026-03-09 14:31")), at("2026-03-10 15:00")), false, ReasonSmallCell},
		{"close: open wave waits", atClose, base(atClose, five, nil, noon), false, ReasonNotYet},
		{"close: closed wave goes", atClose, func() ReleaseInput { in := base(atClose, one, nil, noon); in.Closed = true; return in }(), true, ReasonReleased},
		{"close: a residue that breaks the rule stays held", batch, func() ReleaseInput { in := base(batch, one, ptr(noon), noon); in.Closed = true; return in }(), false, ReasonSmallCell},
	}
	for _, tt := range tests {
		got := DecideRelease(tt.policy, tt.in)
		if got.Release != tt.want || got.Reason != tt.reason {
			t.Errorf("%s: %+v, want release %v (%s)", tt.name, got, tt.want, tt.reason)
		}
	}
}

func TestReleasePolicy(t *testing.T) {
	tests := []struct {
		name    string
		p       ReleasePolicy
		wantErr string
	}{
		{"default", DefaultReleasePolicy(), ""},
		{"daily", ReleasePolicy{Mode: ReleaseDaily, K: 3, At: "23:59"}, ""},
		{"k below 3", ReleasePolicy{Mode: ReleaseBatch, K: 2, At: "06:00"}, "invalid reporting settings: release batch size 2: must be from 3 to 1000"},
		{"unknown mode", ReleasePolicy{Mode: "hourly", K: 5, At: "06:00"}, `invalid reporting settings: release of results: unknown choice "hourly"`},
		{"bad time", ReleasePolicy{Mode: ReleaseDaily, K: 5, At: "24:00"}, `invalid reporting settings: daily release time "24:00": enter a time as HH:MM, from 00:00 to 23:59`},
		{"not a time", ReleasePolicy{Mode: ReleaseDaily, K: 5, At: "6pm"}, `invalid reporting settings: daily release time "6pm": enter a time as HH:MM, from 00:00 to 23:59`},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil && tt.wantErr != "") || (err != nil && err.Error() != tt.wantErr) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	// A stored value is never read laxer than the rules allow.
	if p := ReleasePolicyOf(map[string]string{SettingReleaseK: "1", SettingReleaseMode: "weird", SettingReleaseAt: "99:99"}); p.K != MinReleaseK || p.Mode != ReleaseBatch || p.At != "06:00" {
		t.Errorf("ReleasePolicyOf(bad) = %+v", p)
	}
}

func TestSelectRelease(t *testing.T) {
	// Cells: 0 = the school, 1 = grade 09, 2 = grade 12, 3 = home language "so", 4 = an item.
	repeat := func(n int, cells ...int) [][]int {
		out := make([][]int, n)
		for i := range out {
			out[i] = cells
		}
		return out
	}
	concat := func(parts ...[][]int) [][]int {
		var out [][]int
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		cells [][]int
		k     int
		want  int // how many are kept
	}{
		{"nothing held", nil, 5, 0},
		{"all meet the rule", repeat(6, 0, 1), 5, 6},
		{"one rare respondent stays held, the others go", concat(repeat(10, 0, 1), repeat(1, 0, 2)), 5, 10},
		{"dropping the rare one leaves too few", concat(repeat(4, 0, 1), repeat(1, 0, 2)), 5, 0},
		{"a cascade: dropping the rare ones shrinks another cell below k", concat(repeat(3, 0, 1, 3), repeat(2, 0, 2, 3), repeat(6, 0, 2)), 5, 6},
		{"an item only two answered holds those two back", concat(repeat(6, 0, 1), repeat(2, 0, 1, 4)), 5, 6},
	}
	for _, tt := range tests {
		got := SelectRelease(tt.cells, tt.k)
		if len(got) != tt.want {
			t.Errorf("%s: kept %v, want %d", tt.name, got, tt.want)
		}
	}
	// Whatever it keeps meets the batch rule, on many random batches.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		cells := make([][]int, rng.IntN(40))
		for i := range cells {
			cells[i] = []int{0, 1 + rng.IntN(4), 5 + rng.IntN(8), 13 + rng.IntN(3)}
		}
		k := 3 + rng.IntN(4)
		count := map[int]int{}
		for _, i := range SelectRelease(cells, k) {
			for _, c := range cells[i] {
				count[c]++
			}
		}
		for c, n := range count {
			if n < k {
				t.Fatalf("kept a batch with %d in cell %d (k %d): %v", n, c, k, cells)
			}
		}
	}
}
