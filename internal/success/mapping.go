package success

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// SearchMax bounds a roster search: enough to find a child by name, never a dump of the school.
const SearchMax = 25

// Round is a mapping round as the pages list it.
type Round struct {
	store.MappingRound
	SchoolName string
	Open       bool
	Marked     int // students the viewer has marked in it
}

// StartRound opens a mapping round at a school, closing the school's open one (one round at a
// time: the team page compares a round with the one before). Leaders of the school and district
// admins only; audited.
func (s *Service) StartRound(ctx context.Context, v Viewer, schoolID int64, name string) (store.MappingRound, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > RoundNameMax {
		return store.MappingRound{}, refusal.New("name", "refusal.success.round_name",
			"Give the round a name of up to "+strconv.Itoa(RoundNameMax)+" characters, e.g. “Fall term”.", "Count", RoundNameMax)
	}
	if !CanStartRound(v.Role) {
		return store.MappingRound{}, ErrNotFound
	}
	var r store.MappingRound
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		sc, err := s.schoolOf(tx, v, schoolID)
		if err != nil {
			return err
		}
		now := s.Store.Now()
		if err := tx.Model(&store.MappingRound{}).Where("district_id = ? AND school_id = ? AND closed_at IS NULL", v.DistrictID, sc.ID).
			Update("closed_at", now).Error; err != nil {
			return fmt.Errorf("close previous round: %w", err)
		}
		r = store.MappingRound{DistrictID: v.DistrictID, ID: store.NewID(), SchoolID: sc.ID, Name: name, OpenedAt: now, OpenedBy: &v.UserID}
		if err := tx.Create(&r).Error; err != nil {
			return fmt.Errorf("create round: %w", err)
		}
		return v.audit(tx, s.Store, ActionRoundStart, fmt.Sprintf("round %d", r.ID), fmt.Sprintf("school %d %q: %s", sc.ID, sc.Name, name))
	})
	if err != nil {
		return store.MappingRound{}, fmt.Errorf("start mapping round: %w", err)
	}
	return r, nil
}

// CloseRound ends a round: adults no longer mark in it; the team page still reads it.
func (s *Service) CloseRound(ctx context.Context, v Viewer, roundID int64) error {
	if !CanStartRound(v.Role) {
		return ErrNotFound
	}
	return s.Store.Tx(ctx, func(tx *gorm.DB) error {
		r, err := s.round(tx, v, roundID)
		if err != nil {
			return err
		}
		if r.ClosedAt != nil {
			return nil
		}
		if err := tx.Model(&store.MappingRound{}).Where("district_id = ? AND id = ?", v.DistrictID, r.ID).Update("closed_at", s.Store.Now()).Error; err != nil {
			return fmt.Errorf("close round: %w", err)
		}
		return v.audit(tx, s.Store, ActionRoundClose, fmt.Sprintf("round %d", r.ID), r.Name)
	})
}

// round loads a round at one of the viewer's schools.
func (s *Service) round(tx *gorm.DB, v Viewer, id int64) (store.MappingRound, error) {
	var r store.MappingRound
	if err := tx.Where("district_id = ? AND id = ?", v.DistrictID, id).First(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, ErrNotFound
		}
		return r, fmt.Errorf("load round: %w", err)
	}
	if !v.can(r.SchoolID) {
		return r, ErrNotFound
	}
	return r, nil
}

// Rounds lists the rounds of the viewer's schools, open ones first, newest first, with how many
// students the viewer marked in each.
func (s *Service) Rounds(ctx context.Context, v Viewer) ([]Round, error) {
	db := s.Store.DB.WithContext(ctx)
	q := db.Table("mapping_rounds r").Joins("JOIN schools sc ON sc.district_id = r.district_id AND sc.id = r.school_id").
		Where("r.district_id = ?", v.DistrictID)
	if v.Role != auth.DistrictAdmin {
		q = q.Where("r.school_id IN ?", append([]int64{0}, v.Schools...))
	}
	var rows []struct {
		store.MappingRound
		SchoolName string
	}
	if err := q.Select("r.*, sc.name AS school_name").Order("r.opened_at DESC, r.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list rounds: %w", err)
	}
	var marked []struct {
		RoundID int64
		N       int
	}
	if err := db.Model(&store.MappingClaim{}).Where("district_id = ? AND user_id = ?", v.DistrictID, v.UserID).
		Select("round_id, COUNT(*) AS n").Group("round_id").Scan(&marked).Error; err != nil {
		return nil, fmt.Errorf("count marks: %w", err)
	}
	n := map[int64]int{}
	for _, m := range marked {
		n[m.RoundID] = m.N
	}
	out := make([]Round, 0, len(rows))
	for _, r := range rows {
		out = append(out, Round{MappingRound: r.MappingRound, SchoolName: r.SchoolName, Open: r.ClosedAt == nil, Marked: n[r.ID]})
	}
	// Open rounds first; within each, newest first (the query's order).
	slices.SortStableFunc(out, func(a, b Round) int {
		switch {
		case a.Open == b.Open:
			return 0
		case a.Open:
			return -1
		}
		return 1
	})
	return out, nil
}

// Mark is one adult's answer about one student.
type Mark struct {
	StudentID            int64
	KnowsWell, WouldCome bool
}

// MarkRow is a student on the adult's list with the adult's marks.
type MarkRow struct {
	Pupil
	Class string // the viewer's class the student is in ("" for a search result)
	Mark
}

// MyList is what an adult sees in an open round: the students of their rostered classes and,
// when they searched, up to SearchMax matches from the school's roster.
type MyList struct {
	Round      store.MappingRound
	SchoolName string
	Classes    []MarkRow
	Found      []MarkRow
	Query      string
	Linked     bool // the account is linked to a roster person (else there are no classes to list)
}

// MyStudents is the use case behind the mapping page: the round (open, at one of the viewer's
// schools), the students of the viewer's classes and the search matches, each with the viewer's
// marks. The view names students, so it is audited.
func (s *Service) MyStudents(ctx context.Context, v Viewer, roundID int64, query string) (MyList, error) {
	var out MyList
	query = strings.TrimSpace(query)
	if utf8.RuneCountInString(query) > QueryMax {
		return out, refusal.New("q", "refusal.success.query_long", "Search with at most "+strconv.Itoa(QueryMax)+" characters.", "Count", QueryMax)
	}
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		r, err := s.round(tx, v, roundID)
		if err != nil {
			return err
		}
		sc, err := s.schoolOf(tx, v, r.SchoolID)
		if err != nil {
			return err
		}
		out.Round, out.SchoolName, out.Query, out.Linked = r, sc.Name, query, v.PersonID != nil
		marks, err := myMarks(tx, v, r.ID)
		if err != nil {
			return err
		}
		if v.PersonID != nil {
			var rows []struct {
				PersonID int64
				Title    string
			}
			err := tx.Table("enrollments t").
				Joins("JOIN classes cl ON cl.district_id = t.district_id AND cl.id = t.class_id").
				Joins("JOIN enrollments e ON e.district_id = t.district_id AND e.class_id = t.class_id").
				Where("t.district_id = ? AND t.person_id = ? AND t.role = ? AND t.active = ? AND cl.school_id = ? AND cl.active = ? AND e.role = ? AND e.active = ?",
					v.DistrictID, *v.PersonID, "teacher", true, r.SchoolID, true, "student", true).
				Select("e.person_id, cl.title").Order("cl.title").Scan(&rows).Error
			if err != nil {
				return fmt.Errorf("load class lists: %w", err)
			}
			ids := make([]int64, 0, len(rows))
			for _, row := range rows {
				ids = append(ids, row.PersonID)
			}
			ps, err := pupils(tx, v.DistrictID, r.SchoolID, ids)
			if err != nil {
				return err
			}
			seen := map[int64]bool{}
			for _, row := range rows {
				if p := ps[row.PersonID]; p != nil && !seen[p.ID] {
					seen[p.ID] = true
					out.Classes = append(out.Classes, MarkRow{Pupil: *p, Class: row.Title, Mark: marks[p.ID]})
				}
			}
		}
		if utf8.RuneCountInString(query) >= 2 {
			like := "%" + escapeLike(strings.ToLower(query)) + "%"
			var ids []int64
			err := tx.Table("people p").
				Joins("JOIN person_schools ps ON ps.district_id = p.district_id AND ps.person_id = p.id").
				Where("p.district_id = ? AND ps.school_id = ? AND p.kind = ? AND p.active = ?", v.DistrictID, r.SchoolID, store.KindStudent, true).
				Where("LOWER(p.given_name || ' ' || p.family_name) LIKE ? ESCAPE '\\' OR LOWER(p.family_name || ' ' || p.given_name) LIKE ? ESCAPE '\\'", like, like).
				Order("p.family_name, p.given_name, p.id").Limit(SearchMax).Pluck("p.id", &ids).Error
			if err != nil {
				return fmt.Errorf("search roster: %w", err)
			}
			ps, err := pupils(tx, v.DistrictID, r.SchoolID, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if p := ps[id]; p != nil {
					out.Found = append(out.Found, MarkRow{Pupil: *p, Mark: marks[id]})
				}
			}
		}
		detail := fmt.Sprintf("%d class students, %d search matches", len(out.Classes), len(out.Found))
		if query != "" {
			detail += fmt.Sprintf(" for a %d-character search", utf8.RuneCountInString(query))
		}
		return v.audit(tx, s.Store, ActionMappingView, fmt.Sprintf("round %d", r.ID), detail)
	})
	if err != nil {
		return MyList{}, fmt.Errorf("mapping list: %w", err)
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func myMarks(tx *gorm.DB, v Viewer, round int64) (map[int64]Mark, error) {
	var claims []store.MappingClaim
	if err := tx.Where("district_id = ? AND round_id = ? AND user_id = ?", v.DistrictID, round, v.UserID).Find(&claims).Error; err != nil {
		return nil, fmt.Errorf("load marks: %w", err)
	}
	out := make(map[int64]Mark, len(claims))
	for _, c := range claims {
		out[c.StudentID] = Mark{StudentID: c.StudentID, KnowsWell: c.KnowsWell, WouldCome: c.WouldCome}
	}
	return out, nil
}

// SaveClaims records the viewer's marks for the listed students of an open round: a student with
// neither mark loses the viewer's claim. Every student must be an active student of the round's
// school. It returns how many students the viewer now claims in the round.
func (s *Service) SaveClaims(ctx context.Context, v Viewer, roundID int64, marks []Mark) (int, error) {
	if len(marks) > BatchMax {
		return 0, refusal.New("students", "refusal.success.claims_max", "Save at most 2,000 students at a time.")
	}
	var claimed int64
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		r, err := s.round(tx, v, roundID)
		if err != nil {
			return err
		}
		if r.ClosedAt != nil {
			return refusal.New("round", "refusal.success.round_closed", "This round is closed; marks can no longer change.")
		}
		ids := make([]int64, 0, len(marks))
		for _, m := range marks {
			ids = append(ids, m.StudentID)
		}
		ps, err := pupils(tx, v.DistrictID, r.SchoolID, ids)
		if err != nil {
			return err
		}
		now := s.Store.Now()
		set, cleared := 0, 0
		for _, m := range marks {
			if ps[m.StudentID] == nil {
				return ErrNotFound
			}
			if !m.KnowsWell && !m.WouldCome {
				res := tx.Where("district_id = ? AND round_id = ? AND student_id = ? AND user_id = ?", v.DistrictID, r.ID, m.StudentID, v.UserID).Delete(&store.MappingClaim{})
				if res.Error != nil {
					return fmt.Errorf("clear mark: %w", res.Error)
				}
				cleared += int(res.RowsAffected)
				continue
			}
			c := store.MappingClaim{DistrictID: v.DistrictID, RoundID: r.ID, StudentID: m.StudentID, UserID: v.UserID, KnowsWell: m.KnowsWell, WouldCome: m.WouldCome, UpdatedAt: now}
			if err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "district_id"}, {Name: "round_id"}, {Name: "student_id"}, {Name: "user_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"knows_well", "would_come", "updated_at"}),
			}).Create(&c).Error; err != nil {
				return fmt.Errorf("save mark: %w", err)
			}
			set++
		}
		if err := tx.Model(&store.MappingClaim{}).Where("district_id = ? AND round_id = ? AND user_id = ?", v.DistrictID, r.ID, v.UserID).Count(&claimed).Error; err != nil {
			return fmt.Errorf("count marks: %w", err)
		}
		return v.audit(tx, s.Store, ActionClaims, fmt.Sprintf("round %d", r.ID), fmt.Sprintf("%d marked, %d cleared; %d claimed in all", set, cleared, claimed))
	})
	if err != nil {
		return 0, fmt.Errorf("save marks: %w", err)
	}
	return int(claimed), nil
}

// today is the date at a school, for due dates.
func today(now time.Time, tz string) time.Time {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return now.In(loc)
	}
	return now
}
