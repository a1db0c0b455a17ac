// Package goals owns what a school sets out to change and whether it did: a goal on one measure
// for one group (a target change in points from a baseline wave, due by a date or a wave), the
// actions behind it (owner, dates, status), the goal's result once a later wave has closed, and
// how trust moved for the students the team reached after a confidential wave compared with
// those it did not. Results come from internal/report, already under the privacy floor; the
// reached/not-reached comparison reads confidential scores and shows only aggregates of groups
// at or above the floor. Who may read and change what is decided here (CanRead, CanEdit).
package goals

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// Audit actions of this package.
const (
	ActionGoalCreate   = "goal.create"
	ActionActionAdd    = "goal.action_add"
	ActionActionStatus = "goal.action_status"
)

// Metrics: what a goal's target counts points of.
const (
	MetricScore     = "score"     // the 0–100 measure score
	MetricFavorable = "favorable" // % favorable, in percentage points
)

// Statuses of an action, in the order a form lists them.
var Statuses = []string{"planned", "in-progress", "done", "dropped"}

// Bounds of what a form accepts.
const (
	TextMax   = 280 // a goal's sentence
	TitleMax  = 120 // an action's title
	TargetMax = 50  // points: more is not a goal, it is a wish
)

// CanRead is who reads a school's goals: district admins, and the leaders and counselors of the
// school. District goals (school 0) are district admins' only.
func CanRead(r auth.Role) bool {
	return r == auth.DistrictAdmin || r == auth.SchoolLeader || r == auth.Counselor
}

// CanEdit is who sets goals and records actions: district admins and the school's leaders.
// Counselors read them.
func CanEdit(r auth.Role) bool { return r == auth.DistrictAdmin || r == auth.SchoolLeader }

// MetricFor is the figure a goal on measure counts: the one the results pages compare from wave
// to wave for it — % favorable for a single-item measure (it has no scale score worth
// comparing), the 0–100 score otherwise.
func MetricFor(m survey.Measure) string {
	if m.SingleItem {
		return MetricFavorable
	}
	return MetricScore
}

// Value is a shown result's figure on metric (NaN when hidden or unknown).
func Value(st report.Stat, metric string) float64 {
	if st.Suppressed {
		return math.NaN()
	}
	if metric == MetricFavorable {
		return st.Favorable
	}
	return st.Mean
}

// Interval is a shown result's 95% interval on metric.
func Interval(st report.Stat, metric string) (lo, hi float64) {
	if st.Suppressed {
		return math.NaN(), math.NaN()
	}
	if metric == MetricFavorable {
		return st.FavLow, st.FavHigh
	}
	return st.CILow, st.CIHigh
}

// ChangeOf picks a series point's change on metric.
func ChangeOf(p report.SeriesPoint, metric string) *report.Compare {
	if metric == MetricFavorable {
		return p.FavChange
	}
	return p.Change
}

// CheckTarget parses a target change in points: a positive number up to TargetMax, at most one
// decimal ("5", "2.5"). The refusal names no field (the caller's form does).
func CheckTarget(s string) (float64, *Problem) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, refusal.New("", "refusal.goals.target_number", "Give the target as a number of points, for example 5.")
	}
	if v <= 0 {
		return 0, refusal.New("", "refusal.goals.target_positive", "A goal is a rise: give a target above zero.")
	}
	if v > TargetMax {
		return 0, refusal.New("", "refusal.goals.target_max", "Give a target of at most "+strconv.Itoa(TargetMax)+" points.", "Count", TargetMax)
	}
	if math.Abs(v*10-math.Round(v*10)) > 1e-9 {
		return 0, refusal.New("", "refusal.goals.target_decimal", "Give the target with at most one decimal.")
	}
	return v, nil
}

// CheckLine validates a one-line text of 1..max characters; what ("goal" or "action") names the
// text in the message, and so its message IDs.
func CheckLine(s string, max int, what string) (string, *Problem) {
	s = strings.TrimSpace(s)
	id := "refusal.goals." + what
	switch {
	case s == "":
		return "", refusal.New("", id+"_empty", "Write the "+what+".")
	case utf8.RuneCountInString(s) > max:
		return "", refusal.New("", id+"_long", "Keep the "+what+" to "+strconv.Itoa(max)+" characters.", "Count", max)
	case strings.ContainsAny(s, "\r\n"):
		return "", refusal.New("", id+"_lines", "Keep the "+what+" on one line.")
	}
	return s, nil
}

// CheckDate parses a date (YYYY-MM-DD); "" is allowed when optional.
func CheckDate(s string, optional bool) (string, *Problem) {
	s = strings.TrimSpace(s)
	if s == "" && optional {
		return "", nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", refusal.New("", "refusal.goals.date", "Give a date as YYYY-MM-DD.")
	}
	return d.Format(time.DateOnly), nil
}

// CheckStatus reports whether s is an action status.
func CheckStatus(s string) bool { return slices.Contains(Statuses, s) }

// Verdicts of a goal.
const (
	NotYet = "not-yet" // no closed wave after the baseline (that the viewer may see)
	Hidden = "hidden"  // the group is below the floor in the baseline or the judged wave
	Met    = "met"
	NotMet = "not-met"
)

// Judge is the rule of a goal: met when the group's change from the baseline wave to the judged
// wave is at least the target and its 95% interval lies wholly above zero; not met otherwise.
// change is nil when either wave's result is hidden (or too small to compare): then no verdict
// and no number. judged false means no closed wave after the baseline yet.
func Judge(judged bool, change *report.Compare, target float64) string {
	switch {
	case !judged:
		return NotYet
	case change == nil || math.IsNaN(change.Diff) || math.IsNaN(change.Low):
		return Hidden
	case change.Diff >= target && change.Low > 0:
		return Met
	}
	return NotMet
}

// Moved is how one measure moved, from one confidential wave to the next, for the students the
// team reached after the first and for those it did not (students who answered both waves).
// The figures are shown only when both groups have at least the floor: otherwise Shown is false
// and only the reason is.
type Moved struct {
	NReached, NNot int
	Shown          bool
	Reason         string // when not shown: "reached-small" or "not-reached-small"
	// Mean change of each group with its 95% interval, in points of the metric.
	Reached, Not Change
	// Diff is reached minus not reached, with its Welch interval (the results' gap test).
	Diff *report.Compare
}

// Change is a mean change with its 95% interval.
type Change struct{ Mean, Low, High float64 }

// CompareMoved computes Moved from each student's change (second wave minus first).
func CompareMoved(reached, not []float64, floor int) Moved {
	mv := Moved{NReached: len(reached), NNot: len(not)}
	switch {
	case len(reached) < floor:
		mv.Reason = "reached-small"
		return mv
	case len(not) < floor:
		mv.Reason = "not-reached-small"
		return mv
	}
	var a, b scoring.Moments
	for _, x := range reached {
		a.Add(x)
	}
	for _, x := range not {
		b.Add(x)
	}
	mv.Shown = true
	mv.Reached, mv.Not = changeOf(a), changeOf(b)
	d, lo, hi, flagged := scoring.GapTest(a, b, report.GapPoints)
	if !math.IsNaN(lo) {
		mv.Diff = &report.Compare{Diff: d, Low: lo, High: hi, Flagged: flagged}
	}
	return mv
}

func changeOf(m scoring.Moments) Change {
	lo, hi := m.CI95()
	return Change{Mean: m.Mean(), Low: lo, High: hi}
}

// StudentChange is one student's change on metric between two scored answers: the 0–100 score,
// or the share of their answered items that are favorable, in percentage points. ok is false when
// either answer has no item of the measure answered.
func StudentChange(metric string, from, to Scored) (float64, bool) {
	if from.Answered == 0 || to.Answered == 0 {
		return 0, false
	}
	if metric == MetricFavorable {
		return 100 * (float64(to.Favorable)/float64(to.Answered) - float64(from.Favorable)/float64(from.Answered)), true
	}
	return to.Score - from.Score, true
}

// Scored is what the comparison needs of one student's measure score in one wave.
type Scored struct {
	Score               float64
	Favorable, Answered int
}
