package report

import (
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
)

func TestResultsVisible(t *testing.T) {
	day := func(d int) *time.Time { v := time.Date(2026, 12, d, 6, 0, 0, 0, time.UTC); return &v }
	staged := Schedule{Admins: day(1), Leaders: day(3), Staff: day(5)}
	cases := []struct {
		name string
		s    Schedule
		role auth.Role
		now  time.Time
		ok   bool
		at   *time.Time
	}{
		{"no schedule: admin at once", Schedule{}, auth.DistrictAdmin, *day(1), true, nil},
		{"no schedule: staff at once", Schedule{}, auth.Staff, *day(1), true, nil},
		{"admin before date", staged, auth.DistrictAdmin, day(1).Add(-time.Second), false, day(1)},
		{"admin on the instant", staged, auth.DistrictAdmin, *day(1), true, nil},
		{"leader after admins, before own", staged, auth.SchoolLeader, *day(2), false, day(3)},
		{"leader on own date", staged, auth.SchoolLeader, *day(3), true, nil},
		{"counselor reads the staff date", staged, auth.Counselor, *day(4), false, day(5)},
		{"analyst reads the staff date", staged, auth.Analyst, *day(4), false, day(5)},
		{"staff before", staged, auth.Staff, *day(4), false, day(5)},
		{"staff after", staged, auth.Staff, *day(6), true, nil},
		{"unknown role reads the staff date", staged, auth.Role("visitor"), *day(4), false, day(5)},
		{"only staff staged: leader at once", Schedule{Staff: day(5)}, auth.SchoolLeader, *day(1), true, nil},
		{"only staff staged: counselor waits", Schedule{Staff: day(5)}, auth.Counselor, *day(1), false, day(5)},
	}
	for _, c := range cases {
		ok, at := ResultsVisible(c.s, c.role, c.now)
		if ok != c.ok {
			t.Errorf("%s: visible = %v, want %v", c.name, ok, c.ok)
		}
		if c.at != nil && !at.Equal(*c.at) {
			t.Errorf("%s: opens %v, want %v", c.name, at, *c.at)
		}
		if c.at == nil && !at.IsZero() {
			t.Errorf("%s: opens %v, want none", c.name, at)
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	day := func(d int) *time.Time { v := time.Date(2026, 12, d, 6, 0, 0, 0, time.UTC); return &v }
	cases := []struct {
		name string
		s    Schedule
		want []string
	}{
		{"none", Schedule{}, nil},
		{"ordered", Schedule{day(1), day(3), day(5)}, nil},
		{"same day for all", Schedule{day(1), day(1), day(1)}, nil},
		{"admins at once, others later", Schedule{nil, day(3), day(5)}, nil},
		{"only staff later", Schedule{nil, nil, day(5)}, nil},
		{"leaders before admins", Schedule{day(3), day(1), day(5)}, []string{FieldResultsLeaders}},
		{"leaders at once, admins later", Schedule{day(3), nil, day(5)}, []string{FieldResultsLeaders}},
		{"staff before leaders", Schedule{day(1), day(5), day(3)}, []string{FieldResultsStaff}},
		{"staff at once, leaders later", Schedule{nil, day(3), nil}, []string{FieldResultsStaff}},
		{"staff before admins, leaders unset", Schedule{day(3), nil, day(1)}, []string{FieldResultsLeaders, FieldResultsStaff}},
	}
	for _, c := range cases {
		errs := ScheduleErrors(c.s)
		if len(errs) != len(c.want) {
			t.Errorf("%s: errors %v, want fields %v", c.name, errs, c.want)
			continue
		}
		for _, f := range c.want {
			if errs[f] == "" {
				t.Errorf("%s: no error on %s (%v)", c.name, f, errs)
			}
		}
	}
}
