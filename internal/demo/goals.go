package demo

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// seedGoals gives the first school two goals on trust in teachers, set (as if) after the second
// past student wave and due after the latest: one whose group rose clearly by more than its
// target (met), and one for a group with a target beyond what it moved (not met).
// The targets are read off the seeded history, so the verdicts hold whatever the simulation drew.
// Each goal has actions. Once; it returns the goals page's path.
func seedGoals(ctx context.Context, s *store.Store, surveys *survey.Catalog, results *report.Service, districtID, schoolID int64) (string, error) {
	page := fmt.Sprintf("/admin/goals?school=%d", schoolID)
	var n int64
	if err := s.DB.WithContext(ctx).Model(&store.Goal{}).Where("district_id = ? AND school_id = ?", districtID, schoolID).Count(&n).Error; err != nil {
		return "", fmt.Errorf("demo goals: %w", err)
	}
	if n > 0 {
		return page, nil
	}
	const measure = "student-teacher-trust"
	var past []store.Wave
	if err := s.DB.WithContext(ctx).Where("district_id = ? AND instrument_id = ? AND status = ?", districtID, "student-pulse", store.StatusClosed).
		Where("id IN (?)", s.DB.Model(&store.WaveSchool{}).Select("wave_id").Where("district_id = ? AND school_id = ?", districtID, schoolID)).
		Order("opens_at").Find(&past).Error; err != nil {
		return "", fmt.Errorf("demo goals: %w", err)
	}
	if len(past) < 3 {
		return page, nil
	}
	latest := past[len(past)-1]
	var admin, counselor, teacher store.User
	for _, u := range []struct {
		email string
		into  *store.User
	}{{auth.DemoAdminEmail, &admin}, {auth.DemoCounselorEmail, &counselor}, {auth.DemoTeacherEmail, &teacher}} {
		if err := s.DB.WithContext(ctx).Where("district_id = ? AND email = ?", districtID, u.email).First(u.into).Error; err != nil {
			return "", fmt.Errorf("demo goals: account %s: %w", u.email, err)
		}
	}
	v := goals.Viewer{DistrictID: districtID, UserID: admin.ID, Role: auth.DistrictAdmin, Actor: auth.Actor{UserID: &admin.ID, Email: admin.Email}}
	svc := &goals.Service{Store: s, Surveys: surveys, Results: results}
	var baseline store.Wave
	change := func(attr, value string) (*report.Compare, error) {
		pts, err := results.GroupSeries(ctx, districtID, schoolID, measure, attr, value, []int64{baseline.ID, latest.ID})
		if err != nil || len(pts) != 2 {
			return nil, err
		}
		return pts[1].Change, nil
	}
	// The met goal: the group whose rise is clearest (the whole school first, if its rise is
	// clear), with a target a little under its change; the unmet one: another group with a change
	// to show, with a target beyond it. Which groups a school's results carry depends on its
	// roster and snapshots, and the simulation's draws vary, so both are read off the results.
	f, err := svc.NewGoalForm(ctx, v, schoolID, fmt.Sprintf("%d:%s", latest.ID, measure))
	if err != nil {
		return "", fmt.Errorf("demo goals: %w", err)
	}
	type option struct {
		g goals.GroupOption
		c *report.Compare
	}
	var opts []option
	met, unmet := -1, -1
	// The second past wave is the baseline, or the first when nothing rose clearly since the second.
	for _, b := range []store.Wave{past[1], past[0]} {
		baseline, opts, met, unmet = b, nil, -1, -1
		for _, g := range f.Groups {
			if g.Attribute == "response_language" || g.Value == report.NotRecorded {
				continue // a goal is for students, not for the language they answered in or a gap in the roster
			}
			c, err := change(g.Attribute, g.Value)
			if err != nil {
				return "", fmt.Errorf("demo goals: %w", err)
			}
			if c != nil && !math.IsNaN(c.Low) {
				opts = append(opts, option{g, c})
			}
		}
		for i, o := range opts {
			if o.c.Low > 0 && o.c.Diff >= 1 && (met < 0 || (opts[met].g.Attribute != "" && o.c.Low > opts[met].c.Low)) {
				met = i
			}
		}
		for i, o := range opts {
			if i != met && o.g.Attribute != "" && (unmet < 0 || o.g.Attribute == "english_learner") {
				unmet = i
			}
		}
		if met >= 0 {
			break
		}
	}
	type plan struct {
		g       goals.GroupOption
		target  float64
		actions []goals.ActionInput
	}
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	var plans []plan
	if met >= 0 {
		plans = append(plans, plan{opts[met].g, math.Max(0.5, math.Floor(opts[met].c.Diff*0.8*10)/10), []goals.ActionInput{
			{Title: "Advisory: a two-minute check-in with every student each week", OwnerID: teacher.ID, StartsOn: day(baseline.ClosesAt), DueOn: day(latest.OpensAt), Status: "done"},
			{Title: "Name a trusted adult for every student in the mapping round", OwnerID: counselor.ID, StartsOn: day(baseline.ClosesAt.AddDate(0, 0, 7)), DueOn: day(latest.ClosesAt), Status: "in-progress"},
		}})
	}
	if unmet >= 0 {
		plans = append(plans, plan{opts[unmet].g, math.Max(5, math.Ceil(opts[unmet].c.Diff)+4), []goals.ActionInput{
			{Title: "Review the results with each class and ask what would help", OwnerID: counselor.ID, StartsOn: day(baseline.ClosesAt), DueOn: day(latest.ClosesAt), Status: "in-progress"},
			{Title: "Lunchtime buddies in every homeroom", OwnerID: teacher.ID, StartsOn: day(baseline.ClosesAt.AddDate(0, 0, 14)), DueOn: day(latest.OpensAt), Status: "dropped"},
		}})
	}
	for _, p := range plans {
		target := fmt.Sprintf("%g", p.target)
		text := "Trust in teachers up " + target + " points for every student by the end of the term"
		if p.g.Attribute != "" {
			text = fmt.Sprintf("Trust in teachers up %s points for %s by the end of the term", target, demoGroupName(p.g))
		}
		// Set today on the latest wave (the only baseline the form offers now), then moved back to
		// when it was set: after the second wave, due the day after the latest closed.
		g, err := svc.CreateGoal(ctx, v, goals.GoalInput{SchoolID: schoolID, Measure: fmt.Sprintf("%d:%s", latest.ID, measure), Group: p.g.Key(), Target: target,
			DueOn: day(latest.ClosesAt.AddDate(0, 0, 1)), OwnerID: admin.ID, Text: text, AllowPastDue: true})
		if err != nil {
			return "", fmt.Errorf("demo goal: %w", err)
		}
		if err := s.DB.WithContext(ctx).Model(&store.Goal{}).Where("district_id = ? AND id = ?", districtID, g.ID).
			Updates(map[string]any{"baseline_wave_id": baseline.ID, "created_at": baseline.ClosesAt.AddDate(0, 0, 3)}).Error; err != nil {
			return "", fmt.Errorf("demo goal: %w", err)
		}
		for _, a := range p.actions {
			if _, err := svc.AddAction(ctx, v, g.ID, a); err != nil {
				return "", fmt.Errorf("demo goal action: %w", err)
			}
		}
	}
	return page, nil
}

// demoGroupName words a group in a demo goal's sentence.
func demoGroupName(g goals.GroupOption) string {
	switch g.Attribute + "=" + g.Value {
	case "english_learner=yes":
		return "English learners"
	case "english_learner=no", "disability=no", "low_income=no":
		return "students not " + map[string]string{"english_learner": "learning English", "disability": "with a disability", "low_income": "from low-income families"}[g.Attribute]
	case "disability=yes":
		return "students with a disability"
	case "low_income=yes":
		return "students from low-income families"
	}
	if g.Attribute == "grade" {
		return "grade " + strings.TrimLeft(g.Value, "0") + " students"
	}
	return "students (" + strings.ReplaceAll(g.Attribute, "_", " ") + ": " + g.Value + ")"
}
