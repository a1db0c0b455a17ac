package success

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
)

// StudentFilter narrows the student success team's list: a grade, a homeroom, and flags that must
// all hold (their combination).
type StudentFilter struct {
	Grade, Homeroom           string
	NoAdult, Chronic, Failing bool
	PeriodID                  int64 // 0: the latest imported grading period
}

// StudentFlags are the three signals the team reviews together.
type StudentFlags struct {
	NoAdult bool // no adult claims them in the latest mapping round, or they said no adult is there for them
	Chronic bool // chronically absent in the grading period
	Failing bool // failing at least one course in the grading period
}

// Key names the combination, for counting.
func (f StudentFlags) Key() string {
	var parts []string
	if f.NoAdult {
		parts = append(parts, "no_adult")
	}
	if f.Chronic {
		parts = append(parts, "chronic")
	}
	if f.Failing {
		parts = append(parts, "failing")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

// FlagsOf decides a student's flags: the one rule behind the team's filter.
func FlagsOf(claims int, hasRound bool, conn *Connection, ind *store.StudentIndicator) StudentFlags {
	f := StudentFlags{NoAdult: (hasRound && claims == 0) || (conn != nil && conn.Low)}
	if ind != nil {
		f.Chronic, f.Failing = ind.ChronicallyAbsent, ind.CoursesFailing > 0
	}
	return f
}

// Matches reports whether flags satisfy the filter's required flags.
func (q StudentFilter) Matches(p *Pupil, f StudentFlags) bool {
	return (q.Grade == "" || p.Grade == q.Grade) && (q.Homeroom == "" || p.Homeroom == q.Homeroom) &&
		(!q.NoAdult || f.NoAdult) && (!q.Chronic || f.Chronic) && (!q.Failing || f.Failing)
}

// StudentRow is one student of the filtered list.
type StudentRow struct {
	Pupil
	StudentFlags
	Claims     int // -1: no mapping round yet
	Connection *Connection
	Indicator  *store.StudentIndicator
	Assigned   *Assignment
}

// Combo counts the school's students with one combination of flags.
type Combo struct {
	StudentFlags
	Key string
	N   int
}

// StudentsPage is the team's filtered student list for a school.
type StudentsPage struct {
	School    store.School
	Period    *store.GradingPeriod
	Periods   []store.GradingPeriod
	Grades    []string
	Homerooms []string
	Filter    StudentFilter
	Rows      []StudentRow
	Students  int
	Combos    []Combo // every combination present, most flags first
	Adults    []Adult // who can be assigned
}

// Students is the use case behind the team's student list: every student of the school with
// their mapping claims, latest confidential adult-connection answer and the grading period's
// attendance and courses, filtered by q, and the count of each combination of flags. The team's
// roles of the school only; audited (it names students).
func (s *Service) Students(ctx context.Context, v Viewer, schoolID int64, q StudentFilter) (StudentsPage, error) {
	var pg StudentsPage
	if !CanReadTeam(v.Role) {
		return pg, ErrNotFound
	}
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schoolOf(tx, v, schoolID)
		if err != nil {
			return err
		}
		pg.School, pg.Filter = sc, q
		if err := tx.Where("district_id = ?", v.DistrictID).Order("imported_at DESC, id").Find(&pg.Periods).Error; err != nil {
			return fmt.Errorf("list periods: %w", err)
		}
		for i := range pg.Periods {
			if pg.Periods[i].ID == q.PeriodID || (q.PeriodID == 0 && i == 0) {
				pg.Period = &pg.Periods[i]
			}
		}
		if q.PeriodID != 0 && pg.Period == nil {
			return ErrNotFound
		}
		ps, err := pupils(tx, v.DistrictID, sc.ID, nil)
		if err != nil {
			return err
		}
		pg.Students = len(ps)
		hasRound, claims, err := latestClaims(tx, v.DistrictID, sc.ID)
		if err != nil {
			return err
		}
		conn, err := s.connections(tx, v.DistrictID, sc.ID)
		if err != nil {
			return err
		}
		ind := map[int64]*store.StudentIndicator{}
		if pg.Period != nil {
			var rows []store.StudentIndicator
			if err := tx.Table("student_indicators si").
				Joins("JOIN person_schools ps ON ps.district_id = si.district_id AND ps.person_id = si.student_id").
				Where("si.district_id = ? AND si.period_id = ? AND ps.school_id = ?", v.DistrictID, pg.Period.ID, sc.ID).
				Select("si.*").Find(&rows).Error; err != nil {
				return fmt.Errorf("load indicators: %w", err)
			}
			for i := range rows {
				ind[rows[i].StudentID] = &rows[i]
			}
		}
		as, err := adults(tx, v.DistrictID, sc.ID)
		if err != nil {
			return err
		}
		pg.Adults = as
		assigned, err := assignments(tx, v.DistrictID, sc.ID, as)
		if err != nil {
			return err
		}
		list := make([]*Pupil, 0, len(ps))
		grades, rooms := map[string]bool{}, map[string]bool{}
		for _, p := range ps {
			list = append(list, p)
			grades[p.Grade], rooms[p.Homeroom] = true, true
		}
		sortPupils(list)
		combos := map[string]*Combo{}
		for _, p := range list {
			f := FlagsOf(claims[p.ID], hasRound, conn[p.ID], ind[p.ID])
			k := f.Key()
			if combos[k] == nil {
				combos[k] = &Combo{StudentFlags: f, Key: k}
			}
			combos[k].N++
			if !q.Matches(p, f) {
				continue
			}
			row := StudentRow{Pupil: *p, StudentFlags: f, Claims: -1, Connection: conn[p.ID], Indicator: ind[p.ID], Assigned: assigned[p.ID]}
			if hasRound {
				row.Claims = claims[p.ID]
			}
			pg.Rows = append(pg.Rows, row)
		}
		for _, c := range combos {
			pg.Combos = append(pg.Combos, *c)
		}
		slices.SortFunc(pg.Combos, func(a, b Combo) int {
			if d := flagCount(b.StudentFlags) - flagCount(a.StudentFlags); d != 0 {
				return d
			}
			return strings.Compare(a.Key, b.Key)
		})
		pg.Grades, pg.Homerooms = sortedKeys(grades, report.CompareValues), sortedKeys(rooms, strings.Compare)
		return v.audit(tx, s.Store, ActionTeamView, fmt.Sprintf("school %d students", sc.ID),
			fmt.Sprintf("filter %+v: %d of %d students listed", q, len(pg.Rows), len(ps)))
	})
	if err != nil {
		return StudentsPage{}, fmt.Errorf("team students: %w", err)
	}
	return pg, nil
}

func flagCount(f StudentFlags) int {
	n := 0
	for _, b := range []bool{f.NoAdult, f.Chronic, f.Failing} {
		if b {
			n++
		}
	}
	return n
}

func sortedKeys(m map[string]bool, cmp func(a, b string) int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, cmp)
	return out
}

// Rates is a school's chronic absence and course failure by group in the latest grading period,
// under the floor: Counts[0] chronically absent, Counts[1] failing a course, of N students with
// data.
type Rates struct {
	Period store.GradingPeriod
	Groups []Tallied
}

// SchoolRates is the results page's attendance and courses section for one school, broken down by
// attr ("" for the school alone; grade or a roster attribute). Nil when the district has imported
// no grading period or the school has no student in it. Aggregates only: who may see the school's
// results is the caller's check.
func (s *Service) SchoolRates(ctx context.Context, districtID, schoolID int64, attr string, floor int) (*Rates, error) {
	db := s.Store.DB.WithContext(ctx)
	var periods []store.GradingPeriod
	if err := db.Where("district_id = ?", districtID).Order("imported_at DESC, id").Limit(1).Find(&periods).Error; err != nil {
		return nil, fmt.Errorf("latest grading period: %w", err)
	}
	if len(periods) == 0 {
		return nil, nil
	}
	p := periods[0]
	ps, err := pupils(db, districtID, schoolID, nil)
	if err != nil {
		return nil, err
	}
	var rows []store.StudentIndicator
	if err := db.Table("student_indicators si").
		Joins("JOIN person_schools ps ON ps.district_id = si.district_id AND ps.person_id = si.student_id").
		Where("si.district_id = ? AND si.period_id = ? AND ps.school_id = ?", districtID, p.ID, schoolID).
		Select("si.*").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load indicators: %w", err)
	}
	var in []Counted
	for _, r := range rows {
		if pp := ps[r.StudentID]; pp != nil {
			in = append(in, Counted{Attrs: attrsOf(pp), Flags: []bool{r.ChronicallyAbsent, r.CoursesFailing > 0}})
		}
	}
	if len(in) == 0 {
		return nil, nil
	}
	var attrs []string
	if attr != "" && !report.IsPair(attr) {
		attrs = []string{attr}
	}
	return &Rates{Period: p, Groups: Tally(in, attrs, floor)}, nil
}
