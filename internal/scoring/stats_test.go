package scoring

import (
	"math"
	"testing"
)

// Reference values from R 4.2 qt() and prop.test(correct = FALSE).
func TestTQuantile(t *testing.T) {
	tests := []struct{ p, df, want float64 }{
		{0.975, 1, 12.7062047361747},
		{0.975, 2, 4.30265272974946},
		{0.975, 3, 3.18244630528371},
		{0.975, 5, 2.57058183563631},
		{0.975, 9, 2.2621571627982},
		{0.975, 30, 2.04227245630124},
		{0.975, 100, 1.98397151852355},
		{0.975, 1e5, 1.95998770753461},
		{0.975, 1e9, 1.95996398691232},
		{0.975, math.Inf(1), 1.95996398454005},
		{0.995, 10, 3.16927267261695},
		{0.9, 3, 1.63774435369621},
		{0.999, 4, 7.17318221978231},
		{0.6, 20, 0.256742753854502},
		{0.975, 2.5, 3.57465484200369},
		{0.975, 7.3, 2.3450667365477},
		{0.975, 0.5, 164.557673480494},
		{0.9999999, 3, 222.571590986251},
		{0.025, 9, -2.2621571627982},
		{0.5, 4, 0},
	}
	for _, tt := range tests {
		got := TQuantile(tt.p, tt.df)
		if math.Abs(got-tt.want) > 1e-9*math.Max(1, math.Abs(tt.want)) {
			t.Errorf("TQuantile(%g, %g) = %.15g, want %.15g", tt.p, tt.df, got, tt.want)
		}
	}
	for _, bad := range [][2]float64{{0, 5}, {1, 5}, {0.5, 0}, {math.NaN(), 3}, {0.9, -1}} {
		if got := TQuantile(bad[0], bad[1]); !math.IsNaN(got) {
			t.Errorf("TQuantile(%g, %g) = %g, want NaN", bad[0], bad[1], got)
		}
	}
}

func TestWilson(t *testing.T) {
	tests := []struct {
		k, n   int
		lo, hi float64
	}{
		{5, 10, 0.236593090512564, 0.763406909487436},
		{0, 10, 0, 0.277532799862889},
		{10, 10, 0.722467200137111, 1},
		{17, 23, 0.535299951625746, 0.874513839550137},
	}
	for _, tt := range tests {
		lo, hi := Wilson(tt.k, tt.n)
		if math.Abs(lo-tt.lo) > 1e-12 || math.Abs(hi-tt.hi) > 1e-12 {
			t.Errorf("Wilson(%d, %d) = %.15g, %.15g; want %.15g, %.15g", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
	for _, bad := range [][2]int{{0, 0}, {-1, 5}, {6, 5}} {
		if lo, hi := Wilson(bad[0], bad[1]); !math.IsNaN(lo) || !math.IsNaN(hi) {
			t.Errorf("Wilson(%d, %d) = %g, %g; want NaN", bad[0], bad[1], lo, hi)
		}
	}
}

func moments(xs ...float64) Moments {
	var m Moments
	for _, x := range xs {
		m.Add(x)
	}
	return m
}

func TestMoments(t *testing.T) {
	m := moments(2, 4, 4, 4, 5, 5, 7, 9)
	if m.N != 8 || m.Mean() != 5 {
		t.Fatalf("N %d mean %g", m.N, m.Mean())
	}
	sd := math.Sqrt(32.0 / 7)
	if math.Abs(m.SD()-sd) > 1e-12 || math.Abs(m.SE()-sd/math.Sqrt(8)) > 1e-12 {
		t.Fatalf("SD %g SE %g", m.SD(), m.SE())
	}
	lo, hi := m.CI95()
	// R: t.test(c(2,4,4,4,5,5,7,9))$conf.int
	if math.Abs(lo-3.21251208176379) > 1e-9 || math.Abs(hi-6.78748791823621) > 1e-9 {
		t.Fatalf("CI95 %.12g %.12g", lo, hi)
	}
	a, b := moments(2, 4, 4), moments(4, 5, 5, 7, 9)
	a.Merge(b)
	if a != m {
		t.Fatalf("merge %+v, want %+v", a, m)
	}
	var empty Moments
	one := moments(3)
	if !math.IsNaN(empty.Mean()) || !math.IsNaN(one.SD()) {
		t.Fatal("empty mean and single-value SD must be NaN")
	}
	if lo, hi := one.CI95(); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Fatal("CI95 of one value must be NaN")
	}
	if sd := moments(1e8+1, 1e8+1, 1e8+1).SD(); sd != 0 {
		t.Fatalf("constant values: SD %g, want 0", sd)
	}
}

func TestGapTest(t *testing.T) {
	tests := []struct {
		name     string
		a, b     Moments
		min      float64
		diff     float64
		lo, hi   float64 // 0,0: not checked
		flagged  bool
		nanRange bool
	}{
		// R: t.test(c(60,62,65,70,71,75,78,80,81,85), c(40,45,50,52,55,58,60,61,65,70))  (Welch)
		{"clear and large", moments(60, 62, 65, 70, 71, 75, 78, 80, 81, 85), moments(40, 45, 50, 52, 55, 58, 60, 61, 65, 70), 5,
			17.1, 8.80353535694317, 25.39646464305683, true, false},
		{"clear but small", moments(60, 62, 65, 70, 71, 75, 78, 80, 81, 85), moments(40, 45, 50, 52, 55, 58, 60, 61, 65, 70), 20,
			17.1, 0, 0, false, false},
		{"large but uncertain", moments(30, 90, 50), moments(20, 80, 10), 5, 20, -59.3745496925743, 99.3745496925743, false, false},
		{"too small a group", moments(80), moments(20, 30, 40), 5, 50, 0, 0, false, true},
		{"no spread", moments(60, 60), moments(50, 50, 50), 5, 10, 10, 10, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff, lo, hi, flagged := GapTest(tt.a, tt.b, tt.min)
			if math.Abs(diff-tt.diff) > 1e-9 || flagged != tt.flagged {
				t.Fatalf("diff %g flagged %v; want %g %v", diff, flagged, tt.diff, tt.flagged)
			}
			if tt.nanRange != (math.IsNaN(lo) || math.IsNaN(hi)) {
				t.Fatalf("interval %g..%g", lo, hi)
			}
			if tt.lo != 0 && (math.Abs(lo-tt.lo) > 1e-8 || math.Abs(hi-tt.hi) > 1e-8) {
				t.Fatalf("interval %.12g..%.12g, want %.12g..%.12g", lo, hi, tt.lo, tt.hi)
			}
		})
	}
}

func TestFavorable(t *testing.T) {
	tests := []struct {
		x       int8
		K       int
		reverse bool
		want    bool
	}{
		{3, 4, false, true}, {2, 4, false, true}, {1, 4, false, false}, {0, 4, false, false},
		{0, 4, true, true}, {1, 4, true, true}, {2, 4, true, false}, {3, 4, true, false},
		{4, 5, false, true}, {3, 5, false, true}, {2, 5, false, false}, // top two of five, neutral excluded
		{1, 2, false, true}, {0, 2, false, false}, {0, 2, true, true}, // two categories: top one
		{Missing, 4, false, false}, {Missing, 4, true, false}, {4, 4, false, false},
	}
	for _, tt := range tests {
		if got := Favorable(tt.x, tt.K, tt.reverse); got != tt.want {
			t.Errorf("Favorable(%d, %d, %v) = %v, want %v", tt.x, tt.K, tt.reverse, got, tt.want)
		}
	}
}

func TestPercentFavorable(t *testing.T) {
	M := Missing
	m := Matrix{K: 4, Items: []string{"a", "b", "c"}, Data: [][]int8{
		{3, 0, M},
		{2, 1, M},
		{1, 3, M},
		{M, 2, M},
	}}
	items, pooled, err := PercentFavorable(m, []bool{false, true, false})
	if err != nil {
		t.Fatal(err)
	}
	want := []Tally{{2, 3}, {2, 4}, {0, 0}}
	for i, w := range want {
		if items[i] != w {
			t.Errorf("item %d: %+v, want %+v", i, items[i], w)
		}
	}
	// Pooled over cells: 4 of 7, not the mean of 66.7 % and 50 %.
	if pooled != (Tally{4, 7}) || math.Abs(pooled.Percent()-400.0/7) > 1e-12 {
		t.Errorf("pooled %+v = %g %%", pooled, pooled.Percent())
	}
	if !math.IsNaN(items[2].Percent()) {
		t.Errorf("unanswered item: %g %%, want NaN", items[2].Percent())
	}
	lo, hi := pooled.Wilson()
	wl, wh := Wilson(4, 7)
	if lo != 100*wl || hi != 100*wh {
		t.Errorf("Tally.Wilson %g..%g", lo, hi)
	}
	if _, _, err := PercentFavorable(m, []bool{true}); err == nil {
		t.Error("wrong number of reverse flags accepted")
	}
	if _, _, err := PercentFavorable(Matrix{K: 4, Items: []string{"a"}, Data: [][]int8{{1, 2}}}, nil); err == nil {
		t.Error("ragged row accepted")
	}
}

func TestReportScale(t *testing.T) {
	s, err := BenchmarkScale(0.5, 1.25)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		logit, score float64
		cat          int
	}{
		{0.5, 50, 2},             // the benchmark mean
		{0.5 + 1.25, 70, 3},      // +1 SD
		{0.5 + 0.625, 60, 3},     // exactly +0.5 SD: the higher band
		{0.5 - 0.625, 40, 2},     // exactly −0.5 SD
		{0.5 - 1.875, 20, 1},     // −1.5 SD
		{0.5 - 1.876, 19.984, 0}, // just below
		{0.5 + 1.875, 80, 4},
		{10, 100, 4}, // clamped
		{-10, 0, 0},
	}
	for _, tt := range tests {
		got := s.Score(tt.logit)
		if math.Abs(got-tt.score) > 1e-9 {
			t.Errorf("Score(%g) = %.6f, want %g", tt.logit, got, tt.score)
		}
		if c := s.Category(got); c != tt.cat {
			t.Errorf("Category(%g) = %d, want %d", got, c, tt.cat)
		}
	}
	bad := []ReportScale{
		{Center: 50, PerLogit: 0, Cuts: []float64{20, 40, 60, 80}},
		{Center: 50, PerLogit: 10, Cuts: []float64{20, 40, 60}},
		{Center: 50, PerLogit: 10, Cuts: []float64{20, 60, 40, 80}},
		{Center: 50, PerLogit: 10, Cuts: []float64{20, 40, 60, 120}},
		{Center: math.NaN(), PerLogit: 10, Cuts: []float64{20, 40, 60, 80}},
	}
	for _, b := range bad {
		if b.Validate() == nil {
			t.Errorf("%+v accepted", b)
		}
	}
	if BandKey(0) != "very_weak" || BandKey(4) != "very_strong" || BandKey(5) != "" || BandKey(-1) != "" {
		t.Error("BandKey")
	}
	if _, err := BenchmarkScale(0, 0); err == nil {
		t.Error("zero SD accepted")
	}
}

// TestNewcombeDiff checks the hybrid score interval against Newcombe (1998), Table II, method 10
// (four decimals there).
func TestNewcombeDiff(t *testing.T) {
	tests := []struct {
		k1, n1, k2, n2 int
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{6, 7, 2, 7, 0.0582, 0.8062},
		{5, 56, 0, 29, -0.0381, 0.1926},
		{0, 10, 0, 20, -0.1611, 0.2775},
		{10, 10, 0, 20, 0.6791, 1},
	}
	for _, tt := range tests {
		d, lo, hi := NewcombeDiff(tt.k1, tt.n1, tt.k2, tt.n2)
		want := float64(tt.k1)/float64(tt.n1) - float64(tt.k2)/float64(tt.n2)
		if math.Abs(d-want) > 1e-12 || math.Abs(lo-tt.lo) > 5e-5 || math.Abs(hi-tt.hi) > 5e-5 {
			t.Errorf("NewcombeDiff(%d/%d, %d/%d) = %.4f (%.4f, %.4f); want %.4f (%.4f, %.4f)", tt.k1, tt.n1, tt.k2, tt.n2, d, lo, hi, want, tt.lo, tt.hi)
		}
	}
	if d, lo, hi := NewcombeDiff(1, 0, 1, 2); !math.IsNaN(d) || !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("NewcombeDiff with n1 = 0: %g (%g, %g), want NaN", d, lo, hi)
	}
}
