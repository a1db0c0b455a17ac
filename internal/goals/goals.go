package goals

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// GoalView is one goal as its page shows it.
type GoalView struct {
	store.Goal
	Measure  survey.Measure
	Baseline store.Wave
	DueWave  *store.Wave
	Owner    string
	Actions  []ActionView
	// Series is the group's result in the baseline wave and every later wave of the survey at the
	// place whose results the viewer may see, oldest first; each later point's change is against
	// the baseline. Empty when the baseline's results are not open to the viewer.
	Series []Point
	// BaselineValue is the group's baseline figure on the goal's metric (NaN when hidden); the
	// target line sits at BaselineValue + Target.
	BaselineValue float64
	// Verdict is Met, NotMet, NotYet or Hidden (see Judge); Judged is the wave it is judged on
	// (nil for NotYet) and Change the group's change there (nil unless Met or NotMet).
	Verdict string
	Judged  *store.Wave
	Change  *report.Compare
	// Final: the goal's due wave has closed, or its due date has passed, so the verdict stands.
	Final bool
}

// Point is one wave of a goal's series.
type Point struct {
	Wave   store.Wave
	Stat   report.Stat
	Change *report.Compare // on the goal's metric, against the baseline; nil for the baseline
}

// ActionView is one action with its owner's name.
type ActionView struct {
	store.GoalAction
	Owner string
}

// Page is the goals of one place.
type Page struct {
	Place   Place
	Floor   int
	CanEdit bool
	Goals   []GoalView
	Owners  []Adult // who may own an action (for the add-action forms)
	Today   string
	Reached *Reached // students reached after confidential waves; nil for the district
}

// Goals is the use case behind the goals page: a place's goals, newest first, each with its
// actions, its group's series from the baseline wave on, and its verdict; and, for a school, the
// students reached after its confidential waves and how measure ("": the survey's first) moved
// for them and for the others (see reached). It shows results under the floor, counts and
// aggregates, no names: not audited.
func (s *Service) Goals(ctx context.Context, v Viewer, schoolID int64, measure string) (Page, error) {
	db := s.Store.DB.WithContext(ctx)
	pl, err := s.place(db, v, schoolID)
	if err != nil {
		return Page{}, err
	}
	rep, err := s.Results.Reporting(ctx, v.DistrictID)
	if err != nil {
		return Page{}, err
	}
	pg := Page{Place: pl, Floor: rep.Floor, CanEdit: CanEdit(v.Role), Today: today(s.Store.Now(), pl.TimeZone)}
	var gs []store.Goal
	if err := db.Where("district_id = ? AND school_id = ?", v.DistrictID, pl.ID).Order("created_at DESC, id").Find(&gs).Error; err != nil {
		return Page{}, fmt.Errorf("list goals: %w", err)
	}
	ids := []int64{0}
	users := []int64{}
	for _, g := range gs {
		ids = append(ids, g.ID)
		users = append(users, g.OwnerID)
	}
	var acts []store.GoalAction
	if err := db.Where("district_id = ? AND goal_id IN ?", v.DistrictID, ids).Order("due_on, created_at, id").Find(&acts).Error; err != nil {
		return Page{}, fmt.Errorf("list actions: %w", err)
	}
	for _, a := range acts {
		users = append(users, a.OwnerID)
	}
	names, err := userNames(db, v.DistrictID, users)
	if err != nil {
		return Page{}, err
	}
	if pg.Owners, err = owners(db, v.DistrictID, pl.ID); err != nil {
		return Page{}, err
	}
	for _, g := range gs {
		gv, err := s.view(ctx, db, v, pl, g, pg.Today)
		if err != nil {
			return Page{}, err
		}
		gv.Owner = names[g.OwnerID]
		for _, a := range acts {
			if a.GoalID == g.ID {
				gv.Actions = append(gv.Actions, ActionView{GoalAction: a, Owner: names[a.OwnerID]})
			}
		}
		pg.Goals = append(pg.Goals, gv)
	}
	if pg.Reached, err = s.reached(db, v, pl, measure, pg.Floor); err != nil {
		return Page{}, err
	}
	return pg, nil
}

// Target is a goal as a results page draws it on its trend chart.
type Target struct {
	GoalID                      int64
	MeasureID, Attribute, Value string
	Text                        string
	// Level is the target on the goal's metric — the group's baseline figure plus the target
	// change — or NaN when the baseline is hidden under the floor or not yet the viewer's to read.
	Level float64
}

// Targets lists the goals at a place (0: the district) on the measures of an instrument, newest
// first, for the trend charts of the results pages. A viewer who may not read the place's goals
// gets none (and no error): the results pages serve more roles than the goals page. It reads the
// same rollup cells as the results pages, under the floor: not audited.
func (s *Service) Targets(ctx context.Context, v Viewer, schoolID int64, instrument string) ([]Target, error) {
	db := s.Store.DB.WithContext(ctx)
	pl, err := s.place(db, v, schoolID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var gs []store.Goal
	if err := db.Where("district_id = ? AND school_id = ? AND instrument_id = ?", v.DistrictID, pl.ID, instrument).
		Order("created_at DESC, id").Find(&gs).Error; err != nil {
		return nil, fmt.Errorf("list goals: %w", err)
	}
	out := make([]Target, 0, len(gs))
	for _, g := range gs {
		t := Target{GoalID: g.ID, MeasureID: g.MeasureID, Attribute: g.Attribute, Value: g.Value, Text: g.Text, Level: math.NaN()}
		// Only the baseline's figure is needed (the chart has the later waves): as on the goals
		// page, it counts once the baseline's results are open to the viewer's role.
		var base store.Wave
		if err := db.Where("district_id = ? AND id = ?", v.DistrictID, g.BaselineWaveID).First(&base).Error; err != nil {
			return nil, fmt.Errorf("goal %d: baseline wave: %w", g.ID, err)
		}
		if s.visible(v, base) {
			pts, err := s.Results.GroupSeries(ctx, v.DistrictID, pl.ID, g.MeasureID, g.Attribute, g.Value, []int64{base.ID})
			if err != nil {
				return nil, err
			}
			t.Level = Value(pts[0].Stat, g.Metric) + g.Target
		}
		out = append(out, t)
	}
	return out, nil
}

// view computes one goal's series and verdict.
func (s *Service) view(ctx context.Context, db *gorm.DB, v Viewer, pl Place, g store.Goal, today string) (GoalView, error) {
	gv := GoalView{Goal: g, BaselineValue: math.NaN(), Verdict: NotYet}
	if err := db.Where("district_id = ? AND id = ?", v.DistrictID, g.BaselineWaveID).First(&gv.Baseline).Error; err != nil {
		return gv, fmt.Errorf("goal %d: baseline wave: %w", g.ID, err)
	}
	gv.Measure = survey.Measure{ID: g.MeasureID}
	if in, ok := s.Surveys.Get(gv.Baseline.InstrumentID, gv.Baseline.InstrumentVersion); ok {
		if i := slices.IndexFunc(in.Measures, func(m survey.Measure) bool { return m.ID == g.MeasureID }); i >= 0 {
			gv.Measure = in.Measures[i]
		}
	}
	if g.DueWaveID != nil {
		var w store.Wave
		if err := db.Where("district_id = ? AND id = ?", v.DistrictID, *g.DueWaveID).First(&w).Error; err == nil {
			gv.DueWave = &w
		}
	}
	waves, err := s.waves(db, v, pl, g.InstrumentID)
	if err != nil {
		return gv, err
	}
	waves = slices.DeleteFunc(waves, func(w store.Wave) bool {
		return w.Status == store.StatusDraft || w.OpensAt.Before(gv.Baseline.OpensAt) || !s.visible(v, w)
	})
	if len(waves) == 0 || waves[0].ID != g.BaselineWaveID {
		return gv, nil // the baseline's results are not (yet) the viewer's to read
	}
	ids := make([]int64, len(waves))
	for i, w := range waves {
		ids[i] = w.ID
	}
	pts, err := s.Results.GroupSeries(ctx, v.DistrictID, pl.ID, g.MeasureID, g.Attribute, g.Value, ids)
	if err != nil {
		return gv, err
	}
	judged := -1
	for i, p := range pts {
		gv.Series = append(gv.Series, Point{Wave: waves[i], Stat: p.Stat})
		if i == 0 {
			continue
		}
		gv.Series[i].Change = ChangeOf(p, g.Metric)
		w := waves[i]
		if w.Status == store.StatusClosed && (gv.DueWave == nil || !w.OpensAt.After(gv.DueWave.OpensAt)) {
			judged = i
		}
	}
	gv.BaselineValue = Value(gv.Series[0].Stat, g.Metric)
	if judged < 0 {
		return gv, nil
	}
	gv.Judged = &gv.Series[judged].Wave
	gv.Verdict = Judge(true, gv.Series[judged].Change, g.Target)
	if gv.Verdict == Met || gv.Verdict == NotMet {
		gv.Change = gv.Series[judged].Change
	}
	gv.Final = (gv.DueWave != nil && gv.Judged.ID == gv.DueWave.ID) || (g.DueOn != "" && today > g.DueOn)
	return gv, nil
}

// visible reports whether a wave's results are open to the viewer's role now (staged release).
func (s *Service) visible(v Viewer, w store.Wave) bool {
	ok, _ := report.ResultsVisible(report.ScheduleOf(w), v.Role, s.Store.Now())
	return ok
}

// waves lists the waves of an instrument at a place (the district: all of them), oldest first.
func (s *Service) waves(db *gorm.DB, v Viewer, pl Place, instrument string) ([]store.Wave, error) {
	q := db.Where("district_id = ?", v.DistrictID)
	if instrument != "" {
		q = q.Where("instrument_id = ?", instrument)
	}
	if !pl.District {
		q = q.Where("id IN (?)", db.Model(&store.WaveSchool{}).Select("wave_id").Where("district_id = ? AND school_id = ?", v.DistrictID, pl.ID))
	}
	var out []store.Wave
	if err := q.Order("opens_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list waves: %w", err)
	}
	return out, nil
}

// MeasureOption is a measure a new goal can be set on, with its baseline: the latest closed
// wave of its survey at the place whose results the viewer may read.
type MeasureOption struct {
	Baseline store.Wave
	Measure  survey.Measure
	Metric   string
}

// Key is how a form names the option: "waveID:measureID".
func (o MeasureOption) Key() string { return strconv.FormatInt(o.Baseline.ID, 10) + ":" + o.Measure.ID }

// GroupOption is a group a goal can be for ("" "" is everyone at the place).
type GroupOption struct{ Attribute, Value string }

// Key is how a form names the group: "attribute=value", "" for everyone.
func (g GroupOption) Key() string {
	if g.Attribute == "" {
		return ""
	}
	return g.Attribute + "=" + g.Value
}

// Form is what the new-goal form offers at a place.
type Form struct {
	Place    Place
	Floor    int
	Measures []MeasureOption
	Chosen   *MeasureOption
	Groups   []GroupOption // groups shown in the chosen baseline (hidden ones cannot be followed)
	Hidden   int           // groups of the baseline below the floor, not offered
	Owners   []Adult
	DueWaves []store.Wave // later waves of the chosen survey at the place (not closed yet)
}

// NewGoalForm lists what a goal at a place may be set on; with choice ("waveID:measureID") the
// groups, owners and due waves of that measure too. Only those who set goals get it.
func (s *Service) NewGoalForm(ctx context.Context, v Viewer, schoolID int64, choice string) (Form, error) {
	if !CanEdit(v.Role) {
		return Form{}, ErrNotFound
	}
	db := s.Store.DB.WithContext(ctx)
	pl, err := s.place(db, v, schoolID)
	if err != nil {
		return Form{}, err
	}
	f := Form{Place: pl}
	if f.Measures, err = s.measureOptions(db, v, pl); err != nil {
		return Form{}, err
	}
	if choice == "" {
		return f, nil
	}
	i := slices.IndexFunc(f.Measures, func(o MeasureOption) bool { return o.Key() == choice })
	if i < 0 {
		return f, refusal.New("measure", "refusal.goals.measure", "Choose one of the listed measures.")
	}
	f.Chosen = &f.Measures[i]
	if f.Floor, f.Groups, f.Hidden, err = s.groupOptions(ctx, v, pl, f.Chosen); err != nil {
		return Form{}, err
	}
	if f.Owners, err = owners(db, v.DistrictID, pl.ID); err != nil {
		return Form{}, err
	}
	if f.DueWaves, err = s.dueWaves(db, v, pl, f.Chosen.Baseline); err != nil {
		return Form{}, err
	}
	return f, nil
}

func (s *Service) measureOptions(db *gorm.DB, v Viewer, pl Place) ([]MeasureOption, error) {
	waves, err := s.waves(db, v, pl, "")
	if err != nil {
		return nil, err
	}
	latest := map[string]store.Wave{}
	var order []string
	for _, w := range waves {
		if w.Status != store.StatusClosed || !s.visible(v, w) {
			continue
		}
		if _, seen := latest[w.InstrumentID]; !seen {
			order = append(order, w.InstrumentID)
		}
		latest[w.InstrumentID] = w // oldest first: the last one wins
	}
	var out []MeasureOption
	for _, id := range order {
		w := latest[id]
		in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
		if !ok {
			continue
		}
		for _, m := range in.Measures {
			out = append(out, MeasureOption{Baseline: w, Measure: m, Metric: MetricFor(m)})
		}
	}
	return out, nil
}

// groupOptions lists the groups of the baseline wave at the place that are shown under the
// floor: everyone first, then each one-way breakdown's groups.
func (s *Service) groupOptions(ctx context.Context, v Viewer, pl Place, o *MeasureOption) (int, []GroupOption, int, error) {
	scope := []int64{pl.ID}
	if pl.District {
		var all []int64
		if err := s.Store.DB.WithContext(ctx).Model(&store.School{}).Where("district_id = ?", v.DistrictID).Pluck("id", &all).Error; err != nil {
			return 0, nil, 0, fmt.Errorf("district schools: %w", err)
		}
		scope = all
	}
	wd, err := s.Results.WaveOf(ctx, v.DistrictID, o.Baseline.ID, scope, pl.ID)
	if err != nil {
		return 0, nil, 0, fmt.Errorf("baseline results: %w", err)
	}
	var out []GroupOption
	hidden := 0
	for _, r := range wd.Rows(pl.ID, o.Measure.ID, "") {
		if r.Suppressed {
			hidden++
		} else {
			out = append(out, GroupOption{})
		}
	}
	for _, a := range wd.Attributes {
		if report.IsPair(a) {
			continue
		}
		for _, r := range wd.Rows(pl.ID, o.Measure.ID, a) {
			if r.Suppressed {
				hidden++
				continue
			}
			out = append(out, GroupOption{Attribute: a, Value: r.Group})
		}
	}
	return wd.Floor, out, hidden, nil
}

// dueWaves lists the waves of the baseline's survey at the place that open after it and have
// not closed: the waves a goal can be due by.
func (s *Service) dueWaves(db *gorm.DB, v Viewer, pl Place, baseline store.Wave) ([]store.Wave, error) {
	waves, err := s.waves(db, v, pl, baseline.InstrumentID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(waves, func(w store.Wave) bool { return w.Status == store.StatusClosed || !w.OpensAt.After(baseline.OpensAt) }), nil
}

// GoalInput is a new goal as the form sends it.
type GoalInput struct {
	SchoolID     int64 // 0: the district
	Measure      string
	Group        string // GroupOption.Key
	Target       string
	DueOn        string
	DueWaveID    int64
	OwnerID      int64
	Text         string
	AllowPastDue bool // demo and tests: accept a due date already past
}

// CreateGoal is the use case behind the new-goal form: the goal on a measure offered at the
// place (its baseline the survey's latest closed wave there), for a group shown in that wave,
// with a target, a due date or wave, an owner of the place and a sentence; saved with its audit
// row in one transaction.
func (s *Service) CreateGoal(ctx context.Context, v Viewer, in GoalInput) (store.Goal, error) {
	var g store.Goal
	target, p := CheckTarget(in.Target)
	if p != nil {
		return g, p.On("target")
	}
	text, p := CheckLine(in.Text, TextMax, "goal")
	if p != nil {
		return g, p.On("text")
	}
	due, p := CheckDate(in.DueOn, true)
	if p != nil {
		return g, p.On("due")
	}
	if due == "" && in.DueWaveID == 0 {
		return g, refusal.New("due", "refusal.goals.due_missing", "Say when the goal is due: a date or a wave.")
	}
	f, err := s.NewGoalForm(ctx, v, in.SchoolID, in.Measure)
	if err != nil {
		return g, err
	}
	gi := slices.IndexFunc(f.Groups, func(o GroupOption) bool { return o.Key() == in.Group })
	if gi < 0 {
		return g, refusal.New("group", "refusal.goals.group", "Choose one of the listed groups: a group below the floor in the baseline wave could never show a change.")
	}
	if nameOf(f.Owners, in.OwnerID) == "" {
		return g, refusal.New("owner", "refusal.goals.goal_owner", "Choose the goal's owner among the listed staff.")
	}
	if due != "" && !in.AllowPastDue && due < today(s.Store.Now(), f.Place.TimeZone) {
		return g, refusal.New("due", "refusal.goals.due_past", "The due date is in the past.")
	}
	var dueWave *int64
	if in.DueWaveID != 0 {
		if !slices.ContainsFunc(f.DueWaves, func(w store.Wave) bool { return w.ID == in.DueWaveID }) {
			return g, refusal.New("due_wave", "refusal.goals.due_wave", "Choose one of the listed waves.")
		}
		id := in.DueWaveID
		dueWave = &id
	}
	o, grp := f.Chosen, f.Groups[gi]
	g = store.Goal{DistrictID: v.DistrictID, ID: store.NewID(), SchoolID: f.Place.ID, InstrumentID: o.Baseline.InstrumentID, MeasureID: o.Measure.ID,
		Attribute: grp.Attribute, Value: grp.Value, Metric: o.Metric, BaselineWaveID: o.Baseline.ID, Target: target, DueOn: due, DueWaveID: dueWave,
		OwnerID: in.OwnerID, Text: text, CreatedBy: v.UserID, CreatedAt: s.Store.Now()}
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&g).Error; err != nil {
			return fmt.Errorf("save goal: %w", err)
		}
		group := "everyone"
		if g.Attribute != "" {
			group = g.Attribute + "=" + g.Value
		}
		return v.audit(tx, s.Store, ActionGoalCreate, fmt.Sprintf("goal %d school %d", g.ID, g.SchoolID),
			fmt.Sprintf("%s %s, %s, +%g %s from wave %d", g.InstrumentID, g.MeasureID, group, g.Target, g.Metric, g.BaselineWaveID))
	})
	if err != nil {
		return store.Goal{}, err
	}
	return g, nil
}

// goalOf loads a goal at a place the viewer covers.
func (s *Service) goalOf(tx *gorm.DB, v Viewer, goalID int64) (store.Goal, Place, error) {
	var g store.Goal
	if err := tx.Where("district_id = ? AND id = ?", v.DistrictID, goalID).First(&g).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return g, Place{}, ErrNotFound
		}
		return g, Place{}, fmt.Errorf("load goal: %w", err)
	}
	pl, err := s.place(tx, v, g.SchoolID)
	return g, pl, err
}

// ActionInput is a new action as the form sends it.
type ActionInput struct {
	Title           string
	OwnerID         int64
	StartsOn, DueOn string
	Status          string // "" is planned
}

// AddAction records an action towards a goal: a title, an owner (a staff account of the goal's
// place), start and due dates and a status; with its audit row, in one transaction.
func (s *Service) AddAction(ctx context.Context, v Viewer, goalID int64, in ActionInput) (store.GoalAction, error) {
	var a store.GoalAction
	if !CanEdit(v.Role) {
		return a, ErrNotFound
	}
	title, p := CheckLine(in.Title, TitleMax, "action")
	if p != nil {
		return a, p.On("title")
	}
	start, p := CheckDate(in.StartsOn, false)
	if p != nil {
		return a, p.On("starts")
	}
	due, p := CheckDate(in.DueOn, false)
	if p != nil {
		return a, p.On("due")
	}
	if due < start {
		return a, refusal.New("due", "refusal.goals.due_before_start", "The due date is before the start.")
	}
	status := in.Status
	if status == "" {
		status = Statuses[0]
	}
	if !CheckStatus(status) {
		return a, refusal.New("status", "refusal.goals.status", "Choose a status.")
	}
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		g, pl, err := s.goalOf(tx, v, goalID)
		if err != nil {
			return err
		}
		os, err := owners(tx, v.DistrictID, pl.ID)
		if err != nil {
			return err
		}
		if nameOf(os, in.OwnerID) == "" {
			return refusal.New("owner", "refusal.goals.action_owner", "Choose the action's owner among the listed staff.")
		}
		now := s.Store.Now()
		a = store.GoalAction{DistrictID: v.DistrictID, ID: store.NewID(), GoalID: g.ID, Title: title, OwnerID: in.OwnerID, StartsOn: start, DueOn: due,
			Status: status, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("save action: %w", err)
		}
		return v.audit(tx, s.Store, ActionActionAdd, fmt.Sprintf("goal %d action %d", g.ID, a.ID),
			fmt.Sprintf("owner %d, %s to %s, %s", a.OwnerID, a.StartsOn, a.DueOn, a.Status))
	})
	if err != nil {
		return store.GoalAction{}, err
	}
	return a, nil
}

// SetActionStatus moves an action to another status, audited, in one transaction. It returns
// the action's goal's place (for the page to return to).
func (s *Service) SetActionStatus(ctx context.Context, v Viewer, actionID int64, status string) (int64, error) {
	if !CanEdit(v.Role) {
		return 0, ErrNotFound
	}
	status = strings.TrimSpace(status)
	if !CheckStatus(status) {
		return 0, refusal.New("status", "refusal.goals.status", "Choose a status.")
	}
	var school int64
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var a store.GoalAction
		if err := tx.Where("district_id = ? AND id = ?", v.DistrictID, actionID).First(&a).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("load action: %w", err)
		}
		g, _, err := s.goalOf(tx, v, a.GoalID)
		if err != nil {
			return err
		}
		school = g.SchoolID
		if a.Status == status {
			return nil
		}
		if err := tx.Model(&store.GoalAction{}).Where("district_id = ? AND id = ?", v.DistrictID, a.ID).
			Updates(map[string]any{"status": status, "updated_at": s.Store.Now()}).Error; err != nil {
			return fmt.Errorf("save action status: %w", err)
		}
		return v.audit(tx, s.Store, ActionActionStatus, fmt.Sprintf("goal %d action %d", g.ID, a.ID), a.Status+" → "+status)
	})
	return school, err
}
