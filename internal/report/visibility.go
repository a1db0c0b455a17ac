package report

import (
	"context"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Staged release (#16 line 5): a district may open a wave's results to district admins first,
// then to school leaders, then to everyone else (counselors, analysts, staff). This is a schedule
// of *visibility*, on top of the batched release of responses into results (release.go), which it
// does not change: a wave's rollups are built as always, and only who may read them moves.

// Schedule is when a wave's results open to each role group; nil means at once.
type Schedule struct {
	Admins, Leaders, Staff *time.Time
}

// ScheduleOf is the wave's schedule.
func ScheduleOf(w store.Wave) Schedule {
	return Schedule{Admins: w.ResultsAdminsAt, Leaders: w.ResultsLeadersAt, Staff: w.ResultsStaffAt}
}

// OpensAt is the time the wave's results open to role (nil: already, whatever the time). District
// admins read the admins' date, school leaders the leaders', every other role (counselor,
// analyst, staff, or one this code does not know) the staff date.
func (s Schedule) OpensAt(role auth.Role) *time.Time {
	switch role {
	case auth.DistrictAdmin:
		return s.Admins
	case auth.SchoolLeader:
		return s.Leaders
	}
	return s.Staff
}

// ResultsVisible is the one rule every results surface applies (pages, exports, the API): may a
// viewer of role see the wave's results at now? When not, it returns the time they open.
func ResultsVisible(s Schedule, role auth.Role, now time.Time) (bool, time.Time) {
	at := s.OpensAt(role)
	if at == nil || !now.Before(*at) {
		return true, time.Time{}
	}
	return false, *at
}

// Schedule field names, as ScheduleErrors keys them.
const (
	FieldResultsAdmins  = "results_admins_at"
	FieldResultsLeaders = "results_leaders_at"
	FieldResultsStaff   = "results_staff_at"
)

// ScheduleErrors checks the order admins ≤ leaders ≤ staff (a nil date counts as "at once", the
// earliest): leaders never see a wave before its district admins, nor staff before its leaders.
// It returns one message key per offending field (empty: the schedule is valid).
func ScheduleErrors(s Schedule) map[string]string {
	errs := map[string]string{}
	before := func(a, b *time.Time) bool { // b opens strictly before a
		if a == nil {
			return false
		}
		return b == nil || b.Before(*a)
	}
	if before(s.Admins, s.Leaders) {
		errs[FieldResultsLeaders] = "staged_release.err_leaders_before_admins"
	}
	if before(s.Leaders, s.Staff) || before(s.Admins, s.Staff) {
		errs[FieldResultsStaff] = "staged_release.err_staff_before_leaders"
	}
	return errs
}

// WaveZone is the time zone a wave's dates are read and written in: its schools' (the first by
// name, if they differ), as for the daily release time.
func (s *Service) WaveZone(ctx context.Context, w store.Wave) (*time.Location, error) {
	return s.waveZone(ctx, w)
}

// HidePrevious drops the previous wave from wd, so no change is computed against it: for a
// viewer to whom that wave's results are not yet open.
func (wd *WaveData) HidePrevious() {
	wd.Previous, wd.prev, wd.prevDistrict = nil, nil, false
}

// HideComparisons drops from wd every wave it compares with (previous, baseline, last year's)
// that visible refuses, so no change is computed against a wave the viewer may not see yet.
func (wd *WaveData) HideComparisons(visible func(store.Wave) bool) {
	if wd.Previous != nil && !visible(*wd.Previous) {
		wd.HidePrevious()
	}
	if wd.Baseline != nil && !visible(*wd.Baseline) {
		wd.Baseline, wd.base, wd.baseDistrict = nil, nil, false
	}
	if wd.YearAgo != nil && !visible(*wd.YearAgo) {
		wd.YearAgo, wd.yago, wd.yagoDistrict = nil, nil, false
	}
}
