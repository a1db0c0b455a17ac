package httpserver

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

// goalsError turns the goals package's refusals into answers: out of reach is 404 like a thing
// that does not exist; a refused form is shown back with its message, in the page's language.
func (s *Server) goalsError(c echo.Context, err error) (int, string, error) {
	var p *goals.Problem
	switch {
	case errors.Is(err, goals.ErrNotFound):
		return 0, "", staffErr(http.StatusNotFound, "http_error.no_goal", "No such school, goal or action.")
	case errors.As(err, &p):
		return http.StatusUnprocessableEntity, s.adminRefusal(c, p), nil
	}
	return 0, "", err
}

// goalsPage is the goals page of one place.
type goalsPage struct {
	Places   []goals.Place
	Place    goals.Place
	PlaceKey string // the place's ?school= value ("0": the district)
	CanEdit  bool
	Rule     string
	Goals    []goalCard
	Owners   []goals.Adult
	Statuses []string
	Today    string
	Error    string
	Reached  *reachedView
}

// reachedView is the reached/not-reached section, worded.
type reachedView struct {
	Intro    string
	Measures []measureChoice
	Waves    []reachedRow
}

type measureChoice struct {
	ID, Name string
	Chosen   bool
}

type reachedRow struct {
	Wave, Reached, ByAction, Next string
	Lines                         []string // the comparison, or why it is not shown
}

// goalCard is one goal, worded.
type goalCard struct {
	ID                                          int64
	Text, Measure, Group, Target, Baseline, Due string
	Owner, SetOn, Verdict, VerdictText, Caption string
	TargetLine                                  string      // the chart's target line in words ("" when there is none)
	Chart                                       *trendChart // the group's series with the target line; nil without a shown baseline
	Rows                                        []goalRow
	Actions                                     []goals.ActionView
}

type goalRow struct {
	Wave, Value, Change, N string
	Hidden, Baseline, Open bool
}

// placeParam reads ?school= (the district is "0"); absent: the viewer's first school, or the
// district when they have none.
func placeParam(c echo.Context, places []goals.Place) int64 {
	if q := strings.TrimSpace(c.FormValue("school")); q != "" {
		id, err := strconv.ParseInt(q, 10, 64)
		if err != nil {
			return -1
		}
		return id
	}
	for _, p := range places {
		if !p.District {
			return p.ID
		}
	}
	return 0
}

// adminGoals is the goals page (?school=).
func (s *Server) adminGoals(c echo.Context) error { return s.goalsRender(c, http.StatusOK, "") }

func (s *Server) goalsRender(c echo.Context, status int, errMsg string) error {
	ctx := c.Request().Context()
	v := goals.ViewerOf(principal(c), c.RealIP())
	places, err := s.Goals.Places(ctx, v)
	if err != nil {
		return err
	}
	gp, err := s.Goals.Goals(ctx, v, placeParam(c, places), c.QueryParam("measure"))
	if _, _, err := s.goalsError(c, err); err != nil {
		return err
	}
	d := s.dashFor(c)
	pg := goalsPage{Places: places, Place: gp.Place, PlaceKey: strconv.FormatInt(gp.Place.ID, 10), CanEdit: gp.CanEdit, Owners: gp.Owners,
		Statuses: goals.Statuses, Today: gp.Today, Error: errMsg, Rule: d.T("goals.rule", "Floor", gp.Floor)}
	for _, g := range gp.Goals {
		pg.Goals = append(pg.Goals, s.goalCard(d, g, gp.Floor))
	}
	if gp.Reached != nil {
		pg.Reached = reachedWords(d, gp.Reached, gp.Floor)
	}
	return s.adminRender(c, status, "goals", s.adminT(c, "goals.title"), pg)
}

// goalCard words one goal: what, for whom, the target, the baseline, when due, the verdict by
// the package's rule, and the series with each wave's change against the baseline.
func (s *Server) goalCard(d dash, g goals.GoalView, floor int) goalCard {
	gc := goalCard{ID: g.ID, Text: g.Text, Measure: measureName(g.Measure, d.lang), Group: d.T("goals.everyone"), Owner: g.Owner,
		SetOn: d.T("goals.set_by", "Day", g.CreatedAt.Format("2006-01-02")), Verdict: g.Verdict, Actions: g.Actions}
	if g.Attribute != "" {
		gc.Group = d.attrName(g.Attribute) + ": " + d.groupName(g.Attribute, g.Value)
	}
	target := d.num(g.Target)
	gc.Target = d.T("goals.target_"+g.Metric, "Target", target)
	switch {
	case len(g.Series) == 0:
		gc.Baseline = d.T("goals.baseline_closed", "Wave", g.Baseline.Name)
	case math.IsNaN(g.BaselineValue):
		gc.Baseline = d.T("goals.baseline_hidden", "Wave", g.Baseline.Name, "Floor", floor)
	default:
		gc.Baseline = d.T("goals.baseline_value", "Wave", g.Baseline.Name, "Value", s.goalValue(d, g.Series[0].Stat, g.Metric))
		gc.TargetLine = d.T("goals.target_line", "Value", d.num(g.BaselineValue+g.Target), "Baseline", d.num(g.BaselineValue), "Target", target)
	}
	var due []string
	if g.DueOn != "" {
		due = append(due, d.T("goals.due_date", "Date", g.DueOn))
	}
	if g.DueWave != nil {
		due = append(due, d.T("goals.due_wave", "Wave", g.DueWave.Name))
	}
	gc.Due = strings.Join(due, ", ")
	from, to := g.Baseline.Name, ""
	if g.Judged != nil {
		to = g.Judged.Name
	}
	switch g.Verdict {
	case goals.Met, goals.NotMet:
		key := "goals.verdict_" + strings.ReplaceAll(g.Verdict, "-", "_")
		if !g.Final {
			key += "_sofar"
		}
		gc.VerdictText = d.T(key, "From", from, "To", to, "Change", d.signed(g.Change.Diff), "Low", d.signed(g.Change.Low), "High", d.signed(g.Change.High), "Target", target)
	case goals.Hidden:
		gc.VerdictText = d.T("goals.verdict_hidden", "Floor", floor, "From", from, "To", to)
	default:
		gc.VerdictText = d.T("goals.verdict_not_yet")
	}
	gc.Caption = d.T("goals.series_caption", "Group", gc.Group, "Measure", gc.Measure)
	if gc.TargetLine != "" {
		gc.Chart = goalChart(d, g, gc)
	}
	for i, p := range g.Series {
		row := goalRow{Wave: p.Wave.Name, Baseline: i == 0, Open: p.Wave.Status != store.StatusClosed}
		if p.Stat.Suppressed {
			row.Hidden, row.Value = true, d.T("goals.hidden", "Floor", floor)
			gc.Rows = append(gc.Rows, row)
			continue
		}
		row.Value, row.N = s.goalValue(d, p.Stat, g.Metric), strconv.Itoa(p.Stat.N)
		switch {
		case i == 0:
			row.Change = d.T("goals.baseline_row")
		case p.Change != nil && !math.IsNaN(p.Change.Low):
			row.Change = d.T("goals.change_value", "Change", d.signed(p.Change.Diff), "Low", d.signed(p.Change.Low), "High", d.signed(p.Change.High))
		default:
			row.Change = "–"
		}
		gc.Rows = append(gc.Rows, row)
	}
	return gc
}

// goalChart draws a goal's group from the baseline wave on, on the goal's metric, with the target
// as a dashed line: the trend chart of the results pages, for this group (no bands: the goal's
// line is the reference here).
func goalChart(d dash, g goals.GoalView, gc goalCard) *trendChart {
	opens := make([]time.Time, len(g.Series))
	vals := make([]chartValue, len(g.Series))
	for i, p := range g.Series {
		opens[i] = p.Wave.OpensAt
		lo, hi := goals.Interval(p.Stat, g.Metric)
		vals[i] = chartValue{V: goals.Value(p.Stat, g.Metric), Lo: lo, Hi: hi, Hidden: p.Stat.Suppressed}
	}
	desc := d.T("goals.chart_desc_" + g.Metric)
	level := g.BaselineValue + g.Target
	ch := d.seriesChart("goal-chart-"+strconv.FormatInt(g.ID, 10), d.T("goals.chart_title", "Group", gc.Group, "Measure", gc.Measure),
		desc, d.waveLabels(opens), vals, nil, []chartTarget{{Value: level, Label: d.T("goals.chart_label", "Value", d.num(level))}})
	return &ch
}

// goalValue writes a shown result on a goal's metric with its interval.
func (s *Server) goalValue(d dash, st report.Stat, metric string) string {
	v := goals.Value(st, metric)
	lo, hi := goals.Interval(st, metric)
	if math.IsNaN(v) {
		return d.T("results.not_shown")
	}
	return d.T("goals.value_"+metric, "Value", d.num(v), "Low", d.num(lo), "High", d.num(hi))
}

// goalFormPage is the new-goal form.
type goalFormPage struct {
	goals.Form
	PlaceKey string
	Choice   string
	Error    string
	In       goals.GoalInput
}

// adminGoalNew is the new-goal form (?school=&measure=).
func (s *Server) adminGoalNew(c echo.Context) error {
	return s.goalFormRender(c, http.StatusOK, "", goals.GoalInput{})
}

func (s *Server) goalFormRender(c echo.Context, status int, errMsg string, in goals.GoalInput) error {
	ctx := c.Request().Context()
	v := goals.ViewerOf(principal(c), c.RealIP())
	places, err := s.Goals.Places(ctx, v)
	if err != nil {
		return err
	}
	school := placeParam(c, places)
	choice := strings.TrimSpace(c.FormValue("measure"))
	f, err := s.Goals.NewGoalForm(ctx, v, school, choice)
	code, msg, err := s.goalsError(c, err)
	if err != nil {
		return err
	}
	if msg != "" {
		status, errMsg, choice = code, msg, ""
	}
	pg := goalFormPage{Form: f, PlaceKey: strconv.FormatInt(f.Place.ID, 10), Choice: choice, Error: errMsg, In: in}
	return s.adminRender(c, status, "goal_new", s.adminT(c, "goals.form.title"), pg)
}

// adminGoalCreate sets a goal from the form.
func (s *Server) adminGoalCreate(c echo.Context) error {
	v := goals.ViewerOf(principal(c), c.RealIP())
	in := goals.GoalInput{SchoolID: formID(c, "school"), Measure: c.FormValue("measure"), Group: c.FormValue("group"), Target: c.FormValue("target"),
		DueOn: c.FormValue("due"), DueWaveID: formID(c, "due_wave"), OwnerID: formID(c, "owner"), Text: c.FormValue("text")}
	g, err := s.Goals.CreateGoal(c.Request().Context(), v, in)
	if code, msg, err := s.goalsError(c, err); err != nil {
		return err
	} else if msg != "" {
		return s.goalFormRender(c, code, msg, in)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/goals?school=%d&notice=goal#goal-%d", g.SchoolID, g.ID))
}

// adminGoalActionAdd records an action towards a goal.
func (s *Server) adminGoalActionAdd(c echo.Context) error {
	v := goals.ViewerOf(principal(c), c.RealIP())
	id, _ := strconv.ParseInt(c.Param("gid"), 10, 64)
	_, err := s.Goals.AddAction(c.Request().Context(), v, id, goals.ActionInput{Title: c.FormValue("title"), OwnerID: formID(c, "owner"),
		StartsOn: c.FormValue("starts"), DueOn: c.FormValue("due"), Status: c.FormValue("status")})
	if code, msg, err := s.goalsError(c, err); err != nil {
		return err
	} else if msg != "" {
		return s.goalsRender(c, code, msg)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/goals?school=%d&notice=action#goal-%d", formID(c, "school"), id))
}

// adminGoalActionStatus moves an action to another status.
func (s *Server) adminGoalActionStatus(c echo.Context) error {
	v := goals.ViewerOf(principal(c), c.RealIP())
	id, _ := strconv.ParseInt(c.Param("aid"), 10, 64)
	school, err := s.Goals.SetActionStatus(c.Request().Context(), v, id, c.FormValue("status"))
	if code, msg, err := s.goalsError(c, err); err != nil {
		return err
	} else if msg != "" {
		return s.goalsRender(c, code, msg)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/goals?school=%d&notice=action-status#goal-%d", school, formID(c, "goal")))
}

// reachedWords words the reached section: per confidential wave the students reached (by
// action), the next confidential wave, and how the measure moved for those reached and the rest —
// or why that is not shown.
func reachedWords(d dash, r *goals.Reached, floor int) *reachedView {
	rv := &reachedView{Intro: d.T("goals.reached.intro", "Floor", floor)}
	for _, m := range r.Measures {
		rv.Measures = append(rv.Measures, measureChoice{ID: m.ID, Name: measureName(m, d.lang), Chosen: m.ID == r.Measure.ID})
	}
	unit := d.T("goals.reached.unit_" + r.Metric)
	for _, w := range r.Waves {
		row := reachedRow{Wave: w.Wave.Name, Reached: strconv.Itoa(w.Reached)}
		var by []string
		for _, a := range w.ByAction {
			by = append(by, d.T("followup.did."+a.Action)+": "+strconv.Itoa(a.N))
		}
		row.ByAction = strings.Join(by, "; ")
		switch {
		case w.Next == nil:
			row.Next = d.T("goals.reached.no_next")
		case w.NextOpen:
			row.Next = d.T("goals.reached.next_open", "Wave", w.Next.Name)
		default:
			row.Next = w.Next.Name
		}
		if mv := w.Moved; mv != nil {
			switch {
			case mv.Reason == "reached-small":
				row.Lines = []string{d.T("goals.reached.small_reached", "Count", mv.NReached, "Floor", floor)}
			case mv.Reason == "not-reached-small":
				row.Lines = []string{d.T("goals.reached.small_not", "Count", mv.NNot, "Floor", floor)}
			case mv.Shown:
				change := func(c goals.Change) (string, string, string) {
					return d.signed(c.Mean) + " " + unit, d.signed(c.Low), d.signed(c.High)
				}
				row.Lines = append(row.Lines, d.T("goals.reached.moved", "From", w.Wave.Name, "To", w.Next.Name, "Measure", measureName(r.Measure, d.lang)))
				c, lo, hi := change(mv.Reached)
				row.Lines = append(row.Lines, d.T("goals.reached.moved_reached", "N", mv.NReached, "Change", c, "Low", lo, "High", hi))
				c, lo, hi = change(mv.Not)
				row.Lines = append(row.Lines, d.T("goals.reached.moved_not", "N", mv.NNot, "Change", c, "Low", lo, "High", hi))
				if mv.Diff != nil {
					row.Lines = append(row.Lines, d.T("goals.reached.moved_diff", "Diff", d.signed(mv.Diff.Diff), "Low", d.signed(mv.Diff.Low), "High", d.signed(mv.Diff.High)))
				}
				row.Lines = append(row.Lines, d.T("goals.reached.moved_caution"))
			}
		}
		rv.Waves = append(rv.Waves, row)
	}
	return rv
}
