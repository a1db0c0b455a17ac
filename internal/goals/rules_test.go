package goals

import (
	"math"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/survey"
)

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		judged bool
		c      *report.Compare
		target float64
		want   string
	}{
		{"no later wave", false, nil, 5, NotYet},
		{"hidden group", true, nil, 5, Hidden},
		{"too small to compare", true, &report.Compare{Diff: 6, Low: math.NaN(), High: math.NaN()}, 5, Hidden},
		{"met", true, &report.Compare{Diff: 6, Low: 1, High: 11}, 5, Met},
		{"met exactly", true, &report.Compare{Diff: 5, Low: 0.1, High: 9.9}, 5, Met},
		{"big enough, interval takes in zero", true, &report.Compare{Diff: 6, Low: -1, High: 13}, 5, NotMet},
		{"clear but short of the target", true, &report.Compare{Diff: 4, Low: 1, High: 7}, 5, NotMet},
		{"a fall", true, &report.Compare{Diff: -6, Low: -10, High: -2}, 5, NotMet},
	} {
		if got := Judge(tc.judged, tc.c, tc.target); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5", 5, true}, {"+5", 5, true}, {" 2.5 ", 2.5, true}, {"50", 50, true},
		{"0", 0, false}, {"-3", 0, false}, {"51", 0, false}, {"2.25", 0, false}, {"five", 0, false}, {"", 0, false}, {"NaN", 0, false},
	} {
		got, p := CheckTarget(tc.in)
		if (p == nil) != tc.ok || got != tc.want {
			t.Errorf("CheckTarget(%q) = %v %v", tc.in, got, p)
		}
	}
}

func TestCheckLine(t *testing.T) {
	for _, tc := range []struct {
		in, what, id, msg string
	}{
		{"  ", "goal", "refusal.goals.goal_empty", "Write the goal."},
		{"a\nb", "action", "refusal.goals.action_lines", "Keep the action on one line."},
		{"ñññññññññññ", "goal", "refusal.goals.goal_long", "Keep the goal to 10 characters."},
	} {
		if _, p := CheckLine(tc.in, 10, tc.what); p == nil || p.ID != tc.id || p.Msg != tc.msg {
			t.Errorf("CheckLine(%q, %s) = %+v, want %s %q", tc.in, tc.what, p, tc.id, tc.msg)
		}
	}
	if s, p := CheckLine(" ñññ ", 10, "goal"); p != nil || s != "ñññ" {
		t.Errorf("%q %v", s, p)
	}
}

// TestRefusalIDs: every message a check can refuse with, including the IDs CheckLine builds from
// what, is in the staff catalog's English file and renders there as the refusal's English text.
func TestRefusalIDs(t *testing.T) {
	var ps []*Problem
	for _, in := range []string{"x", "0", "51", "2.25"} {
		_, p := CheckTarget(in)
		ps = append(ps, p)
	}
	for _, what := range []string{"goal", "action"} {
		for _, in := range []string{"", "a\nb", strings.Repeat("a", TextMax+1)} {
			_, p := CheckLine(in, TitleMax, what)
			ps = append(ps, p)
		}
	}
	_, p := CheckDate("1 May", false)
	ps = append(ps, p)
	refusaltest.Rendered(t, "dashboard-refusals.en.toml", ps...)
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		r          auth.Role
		read, edit bool
	}{
		{auth.DistrictAdmin, true, true}, {auth.SchoolLeader, true, true}, {auth.Counselor, true, false},
		{auth.Staff, false, false}, {auth.Analyst, false, false},
	} {
		if CanRead(tc.r) != tc.read || CanEdit(tc.r) != tc.edit {
			t.Errorf("%s: read %v edit %v", tc.r, CanRead(tc.r), CanEdit(tc.r))
		}
	}
}

func TestMetric(t *testing.T) {
	if MetricFor(survey.Measure{SingleItem: true}) != MetricFavorable || MetricFor(survey.Measure{}) != MetricScore {
		t.Fatal("metric")
	}
	st := report.Stat{Mean: 52, CILow: 50, CIHigh: 54, Favorable: 70, FavLow: 65, FavHigh: 75}
	if Value(st, MetricScore) != 52 || Value(st, MetricFavorable) != 70 || !math.IsNaN(Value(report.Stat{Suppressed: true}, MetricScore)) {
		t.Fatal("value")
	}
	if lo, hi := Interval(st, MetricFavorable); lo != 65 || hi != 75 {
		t.Fatal("interval")
	}
}

func TestStudentChange(t *testing.T) {
	if d, ok := StudentChange(MetricScore, Scored{Score: 40, Answered: 4}, Scored{Score: 47.5, Answered: 3}); !ok || d != 7.5 {
		t.Errorf("score: %v %v", d, ok)
	}
	if d, ok := StudentChange(MetricFavorable, Scored{Favorable: 1, Answered: 4}, Scored{Favorable: 3, Answered: 4}); !ok || d != 50 {
		t.Errorf("favorable: %v %v", d, ok)
	}
	if _, ok := StudentChange(MetricScore, Scored{Score: 40}, Scored{Score: 50, Answered: 2}); ok {
		t.Error("an unanswered measure counted")
	}
}

func TestCompareMoved(t *testing.T) {
	rise := func(n int, base float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = base + float64(i%5) - 2 // base ± 2
		}
		return out
	}
	// Either group below the floor: no figure, only why.
	if mv := CompareMoved(rise(9, 6), rise(40, 0), 10); mv.Shown || mv.Reason != "reached-small" || mv.NReached != 9 {
		t.Errorf("9 reached at floor 10: %+v", mv)
	}
	if mv := CompareMoved(rise(40, 6), rise(9, 0), 10); mv.Shown || mv.Reason != "not-reached-small" {
		t.Errorf("9 not reached at floor 10: %+v", mv)
	}
	mv := CompareMoved(rise(10, 6), rise(40, 0), 10)
	if !mv.Shown || math.Abs(mv.Reached.Mean-6) > 1e-9 || math.Abs(mv.Not.Mean) > 1e-9 || mv.Diff == nil || math.Abs(mv.Diff.Diff-6) > 1e-9 {
		t.Fatalf("shown: %+v", mv)
	}
	if !(mv.Reached.Low < 6 && mv.Reached.High > 6) || !(mv.Diff.Low > 0) || !mv.Diff.Flagged {
		t.Errorf("intervals: %+v %+v", mv.Reached, mv.Diff)
	}
}
