package success

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Assignment is the adult the team chose for a student.
type Assignment struct {
	AdultID int64
	Adult   string
	DueOn   string
	Source  string
}

// Connection is a student's latest answer to the adult-connection item in a confidential wave.
type Connection struct {
	Answer string // the scale label in English, e.g. "A little true"
	Low    bool   // "Not true" or "A little true"
	Wave   string
	At     time.Time
}

// TeamRow is one student on the team page.
type TeamRow struct {
	Pupil
	Claims     int
	Connection *Connection
	Assigned   *Assignment
}

// TeamGroup is the students of one grade and homeroom.
type TeamGroup struct {
	Grade, Homeroom string
	Rows            []TeamRow
}

// RoundTrend is one round's unclaimed students, whole school and by group, under the floor.
type RoundTrend struct {
	Round  store.MappingRound
	Groups []Group
}

// TeamPage is what the team page shows for a school and round.
type TeamPage struct {
	School      store.School
	Round       *store.MappingRound // nil: the school has no round yet
	Rounds      []store.MappingRound
	Students    int
	None, One   []TeamGroup
	NNone, NOne int
	Adults      []Adult
	Trend       []RoundTrend // oldest first
	Floor       int
}

// Team is the use case behind the team page: a round's students claimed by no adult and by one,
// by grade and homeroom, with their latest confidential adult-connection answer and assigned
// adult; the adults who can be assigned; and every round's unclaimed counts by attrs under the
// privacy floor. roundID 0 is the school's latest round. Counselors, leaders and district admins
// of the school only (else ErrNotFound); the view is audited.
func (s *Service) Team(ctx context.Context, v Viewer, schoolID, roundID int64, attrs []string, floor int) (TeamPage, error) {
	var pg TeamPage
	if !CanReadTeam(v.Role) {
		return pg, ErrNotFound
	}
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schoolOf(tx, v, schoolID)
		if err != nil {
			return err
		}
		pg.School, pg.Floor = sc, floor
		if err := tx.Where("district_id = ? AND school_id = ?", v.DistrictID, sc.ID).Order("opened_at, id").Find(&pg.Rounds).Error; err != nil {
			return fmt.Errorf("list rounds: %w", err)
		}
		for i := range pg.Rounds {
			if pg.Rounds[i].ID == roundID || (roundID == 0 && i == len(pg.Rounds)-1) {
				pg.Round = &pg.Rounds[i]
			}
		}
		if roundID != 0 && pg.Round == nil {
			return ErrNotFound
		}
		ps, err := pupils(tx, v.DistrictID, sc.ID, nil)
		if err != nil {
			return err
		}
		pg.Students = len(ps)
		if pg.Adults, err = adults(tx, v.DistrictID, sc.ID); err != nil {
			return err
		}
		counts, err := claimCounts(tx, v.DistrictID, pg.Rounds)
		if err != nil {
			return err
		}
		for _, r := range pg.Rounds {
			students := make([]Student, 0, len(ps))
			for _, p := range ps {
				students = append(students, Student{Attrs: attrsOf(p), Unclaimed: counts[r.ID][p.ID] == 0})
			}
			pg.Trend = append(pg.Trend, RoundTrend{Round: r, Groups: Unclaimed(students, attrs, floor)})
		}
		if pg.Round == nil {
			return v.audit(tx, s.Store, ActionTeamView, fmt.Sprintf("school %d", sc.ID), "no round yet")
		}
		conn, err := s.connections(tx, v.DistrictID, sc.ID)
		if err != nil {
			return err
		}
		assigned, err := assignments(tx, v.DistrictID, sc.ID, pg.Adults)
		if err != nil {
			return err
		}
		var none, one []*Pupil
		for _, p := range ps {
			switch counts[pg.Round.ID][p.ID] {
			case 0:
				none = append(none, p)
			case 1:
				one = append(one, p)
			}
		}
		row := func(p *Pupil) TeamRow {
			return TeamRow{Pupil: *p, Claims: counts[pg.Round.ID][p.ID], Connection: conn[p.ID], Assigned: assigned[p.ID]}
		}
		pg.None, pg.NNone = groupRows(none, row), len(none)
		pg.One, pg.NOne = groupRows(one, row), len(one)
		return v.audit(tx, s.Store, ActionTeamView, fmt.Sprintf("school %d round %d", sc.ID, pg.Round.ID),
			fmt.Sprintf("%d students claimed by no adult, %d by one", len(none), len(one)))
	})
	if err != nil {
		return TeamPage{}, fmt.Errorf("team page: %w", err)
	}
	return pg, nil
}

// attrsOf is a student's groups for the aggregate view: grade and the roster's attributes.
func attrsOf(p *Pupil) map[string]string {
	out := make(map[string]string, len(p.Attrs)+1)
	for k, v := range p.Attrs {
		out[k] = v
	}
	out["grade"] = p.Grade
	return out
}

func groupRows(ps []*Pupil, row func(*Pupil) TeamRow) []TeamGroup {
	sortPupils(ps)
	var out []TeamGroup
	for _, p := range ps {
		if n := len(out); n == 0 || out[n-1].Grade != p.Grade || out[n-1].Homeroom != p.Homeroom {
			out = append(out, TeamGroup{Grade: p.Grade, Homeroom: p.Homeroom})
		}
		g := &out[len(out)-1]
		g.Rows = append(g.Rows, row(p))
	}
	return out
}

// latestClaims counts the adults claiming each student in the school's latest mapping round;
// false when the school has had no round.
func latestClaims(tx *gorm.DB, district, school int64) (bool, map[int64]int, error) {
	var rounds []store.MappingRound
	if err := tx.Where("district_id = ? AND school_id = ?", district, school).Order("opened_at DESC, id").Limit(1).Find(&rounds).Error; err != nil {
		return false, nil, fmt.Errorf("latest round: %w", err)
	}
	if len(rounds) == 0 {
		return false, map[int64]int{}, nil
	}
	c, err := claimCounts(tx, district, rounds)
	if err != nil {
		return false, nil, err
	}
	return true, c[rounds[0].ID], nil
}

// claimCounts counts, per round and student, the adults claiming them.
func claimCounts(tx *gorm.DB, district int64, rounds []store.MappingRound) (map[int64]map[int64]int, error) {
	out := map[int64]map[int64]int{}
	if len(rounds) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(rounds))
	for _, r := range rounds {
		ids = append(ids, r.ID)
		out[r.ID] = map[int64]int{}
	}
	var rows []struct {
		RoundID, StudentID int64
		N                  int
	}
	if err := tx.Model(&store.MappingClaim{}).Where("district_id = ? AND round_id IN ?", district, ids).
		Select("round_id, student_id, COUNT(*) AS n").Group("round_id, student_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count claims: %w", err)
	}
	for _, r := range rows {
		out[r.RoundID][r.StudentID] = r.N
	}
	return out, nil
}

// connections finds each student's latest answer to the adult-connection item in a confidential
// wave at the school (anonymous waves store no person, so they never appear).
func (s *Service) connections(tx *gorm.DB, district, school int64) (map[int64]*Connection, error) {
	var rows []struct {
		PersonID          int64
		Answers           string
		SubmittedAt       *time.Time
		Name              string
		InstrumentID      string
		InstrumentVersion int
	}
	err := tx.Table("responses r").Joins("JOIN waves w ON w.district_id = r.district_id AND w.id = r.wave_id").
		Where("r.district_id = ? AND r.school_id = ? AND r.person_id IS NOT NULL AND w.mode = ?", district, school, store.ModeConfidential).
		Select("r.person_id, r.answers, r.submitted_at, w.name, w.instrument_id, w.instrument_version").
		Order("w.opens_at DESC, r.submitted_at DESC").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load connection answers: %w", err)
	}
	out := map[int64]*Connection{}
	for _, r := range rows {
		if out[r.PersonID] != nil {
			continue
		}
		in, ok := s.Surveys.Get(r.InstrumentID, r.InstrumentVersion)
		if !ok {
			continue
		}
		i, it, ok := ItemIndex(in, ConnectionMeasure)
		if !ok || i >= len(r.Answers) {
			continue
		}
		a := r.Answers[i]
		labels := in.Scale.Labels["en"]
		if a < '0' || int(a-'0') >= len(labels) {
			continue // not answered: an older answer may still say something
		}
		c := &Connection{Answer: labels[a-'0'], Low: Low(a, in.Scale.Points, it.Reverse), Wave: r.Name}
		if r.SubmittedAt != nil {
			c.At = *r.SubmittedAt
		}
		out[r.PersonID] = c
	}
	return out, nil
}

// assignments maps the school's students to their assigned adult.
func assignments(tx *gorm.DB, district, school int64, known []Adult) (map[int64]*Assignment, error) {
	var rows []store.StudentAssignment
	if err := tx.Where("district_id = ? AND school_id = ?", district, school).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load assignments: %w", err)
	}
	names := map[int64]string{}
	for _, a := range known {
		names[a.ID] = a.Name
	}
	out := make(map[int64]*Assignment, len(rows))
	for _, r := range rows {
		name := names[r.AdultID]
		if name == "" {
			name = "(an account no longer at the school)"
		}
		out[r.StudentID] = &Assignment{AdultID: r.AdultID, Adult: name, DueOn: r.DueOn, Source: r.Source}
	}
	return out, nil
}

// Assign gives students of the school a named adult (an active account of the school) with a
// due date, replacing earlier assignments: all of them or none. The team's roles only; audited.
// source says which page it was made on ("mapping" or "followup").
func (s *Service) Assign(ctx context.Context, v Viewer, schoolID int64, studentIDs []int64, adultID int64, due, source string) (int, error) {
	if !CanReadTeam(v.Role) {
		return 0, ErrNotFound
	}
	if len(studentIDs) == 0 {
		return 0, refusal.New("student", "refusal.success.assign_none", "Tick the students to assign.")
	}
	if len(studentIDs) > BatchMax {
		return 0, refusal.New("student", "refusal.success.assign_max", "Assign at most 2,000 students at a time.")
	}
	if source != "mapping" && source != "followup" {
		source = "mapping"
	}
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schoolOf(tx, v, schoolID)
		if err != nil {
			return err
		}
		as, err := adults(tx, v.DistrictID, sc.ID)
		if err != nil {
			return err
		}
		var adult *Adult
		for i := range as {
			if as[i].ID == adultID {
				adult = &as[i]
			}
		}
		if adult == nil {
			return refusal.New("adult", "refusal.success.assign_adult", "Choose an adult who works at this school.")
		}
		day, p := CheckDue(due, today(s.Store.Now(), sc.TimeZone))
		if p != nil {
			return p
		}
		ps, err := pupils(tx, v.DistrictID, sc.ID, studentIDs)
		if err != nil {
			return err
		}
		now := s.Store.Now()
		for _, id := range studentIDs {
			if ps[id] == nil {
				return ErrNotFound
			}
			a := store.StudentAssignment{DistrictID: v.DistrictID, ID: store.NewID(), SchoolID: sc.ID, StudentID: id, AdultID: adult.ID,
				DueOn: day, Source: source, AssignedBy: v.UserID, AssignedAt: now}
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "district_id"}, {Name: "school_id"}, {Name: "student_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"adult_id", "due_on", "source", "assigned_by", "assigned_at"}),
			}).Create(&a).Error; err != nil {
				return fmt.Errorf("save assignment: %w", err)
			}
		}
		return v.audit(tx, s.Store, ActionAssign, fmt.Sprintf("school %d", sc.ID),
			fmt.Sprintf("%d students to %s by %s (%s): %v", len(studentIDs), adult.Name, day, source, studentIDs))
	})
	if err != nil {
		return 0, fmt.Errorf("assign: %w", err)
	}
	return len(studentIDs), nil
}

// Mine is one student assigned to the viewer, for their home page.
type Mine struct {
	Pupil
	SchoolID   int64
	SchoolName string
	DueOn      string
}

// MyAssignments lists the students assigned to the viewer, soonest due first.
func (s *Service) MyAssignments(ctx context.Context, v Viewer) ([]Mine, error) {
	var rows []struct {
		store.StudentAssignment
		SchoolName string
	}
	db := s.Store.DB.WithContext(ctx)
	if err := db.Table("student_assignments a").Joins("JOIN schools sc ON sc.district_id = a.district_id AND sc.id = a.school_id").
		Where("a.district_id = ? AND a.adult_id = ?", v.DistrictID, v.UserID).Select("a.*, sc.name AS school_name").
		Order("a.due_on, a.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("my assignments: %w", err)
	}
	// One read of the students per school, not one per assignment: this is the home page.
	bySchool := map[int64][]int64{}
	for _, r := range rows {
		bySchool[r.SchoolID] = append(bySchool[r.SchoolID], r.StudentID)
	}
	found := map[int64]map[int64]*Pupil{}
	for school, ids := range bySchool {
		ps, err := pupils(db, v.DistrictID, school, ids)
		if err != nil {
			return nil, err
		}
		found[school] = ps
	}
	var out []Mine
	for _, r := range rows {
		if p := found[r.SchoolID][r.StudentID]; p != nil {
			out = append(out, Mine{Pupil: *p, SchoolID: r.SchoolID, SchoolName: r.SchoolName, DueOn: r.DueOn})
		}
	}
	return out, nil
}
