package success

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// FollowRow is a student on the follow-up list.
type FollowRow struct {
	Pupil
	Answer     string // their adult-connection answer in this wave ("" if they skipped it)
	LowAnswer  bool
	WeakBand   bool // in the weakest band of the chosen measure
	Claims     int  // adults claiming them in the school's latest mapping round (-1: no round)
	Assigned   *Assignment
	Reached    *store.Followup
	ReachedBy  string
	ReachedDay string
}

// FollowPage is the follow-up list of one confidential student wave at one school.
type FollowPage struct {
	Wave       store.Wave
	Instrument *survey.Instrument
	School     store.School
	Measure    string // the chosen measure ("" none): its weakest band is listed too
	Rows       []FollowRow
	Reached    int
	Mine       bool // the viewer sees only students assigned to them
	Adults     []Adult
}

// confidentialWave loads a confidential student wave at one of the viewer's schools. Anonymous
// waves, and waves of other audiences, are ErrNotFound: they have no list to show.
func (s *Service) confidentialWave(tx *gorm.DB, v Viewer, waveID, schoolID int64) (store.Wave, *survey.Instrument, store.School, error) {
	var w store.Wave
	sc, err := s.schoolOf(tx, v, schoolID)
	if err != nil {
		return w, nil, sc, err
	}
	if err := tx.Where("district_id = ? AND id = ?", v.DistrictID, waveID).First(&w).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return w, nil, sc, ErrNotFound
		}
		return w, nil, sc, fmt.Errorf("load wave: %w", err)
	}
	in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
	if w.Mode != store.ModeConfidential || !ok || in.Audience != survey.Student {
		return w, nil, sc, ErrNotFound
	}
	var at int64
	if err := tx.Model(&store.WaveSchool{}).Where("district_id = ? AND wave_id = ? AND school_id = ?", v.DistrictID, w.ID, sc.ID).Count(&at).Error; err != nil {
		return w, nil, sc, fmt.Errorf("wave schools: %w", err)
	}
	if at == 0 {
		return w, nil, sc, ErrNotFound
	}
	return w, in, sc, nil
}

// ConfidentialWaves lists the confidential student waves at the viewer's schools, newest first,
// for the follow-up page's picker.
func (s *Service) ConfidentialWaves(ctx context.Context, v Viewer) ([]store.Wave, error) {
	q := s.Store.DB.WithContext(ctx).Where("district_id = ? AND mode = ?", v.DistrictID, store.ModeConfidential)
	if v.Role != auth.DistrictAdmin {
		q = q.Where("id IN (?)", s.Store.DB.Model(&store.WaveSchool{}).Select("wave_id").Where("district_id = ? AND school_id IN ?", v.DistrictID, append([]int64{0}, v.Schools...)))
	}
	var all []store.Wave
	if err := q.Order("opens_at DESC, id").Find(&all).Error; err != nil {
		return nil, fmt.Errorf("list confidential waves: %w", err)
	}
	var out []store.Wave
	for _, w := range all {
		if in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion); ok && in.Audience == survey.Student {
			out = append(out, w)
		}
	}
	return out, nil
}

// FollowUp is the use case behind the follow-up list: the students of a confidential student wave
// at a school who answered the adult-connection item "Not true" or "A little true", or who fall
// in the weakest band of measure (if chosen), with grade, homeroom, mapping status, assigned adult
// and whether they were reached. The team's roles see every such student; other staff only those
// assigned to them. The view reads confidential answers: audited as view.confidential.
func (s *Service) FollowUp(ctx context.Context, v Viewer, waveID, schoolID int64, measure string) (FollowPage, error) {
	var pg FollowPage
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		w, in, sc, err := s.confidentialWave(tx, v, waveID, schoolID)
		if err != nil {
			return err
		}
		pg.Wave, pg.Instrument, pg.School, pg.Mine = w, in, sc, !CanReadTeam(v.Role)
		if measure != "" {
			if !hasMeasure(in, measure) || measure == ConnectionMeasure {
				return refusal.New("measure", "refusal.success.measure", "Choose one of this survey's measures.")
			}
			pg.Measure = measure
		}
		var resp []store.Response
		if err := tx.Where("district_id = ? AND wave_id = ? AND school_id = ? AND person_id IS NOT NULL", v.DistrictID, w.ID, sc.ID).
			Find(&resp).Error; err != nil {
			return fmt.Errorf("load responses: %w", err)
		}
		weak := map[int64]bool{}
		if measure != "" {
			var ids []int64
			if err := tx.Model(&store.Score{}).Where("district_id = ? AND wave_id = ? AND school_id = ? AND measure_id = ? AND category = ?", v.DistrictID, w.ID, sc.ID, measure, 0).
				Pluck("response_id", &ids).Error; err != nil {
				return fmt.Errorf("load weakest band: %w", err)
			}
			for _, id := range ids {
				weak[id] = true
			}
		}
		i, it, hasItem := ItemIndex(in, ConnectionMeasure)
		labels := in.Scale.Labels["en"]
		type hit struct {
			answer    string
			low, weak bool
		}
		hits := map[int64]hit{}
		for _, r := range resp {
			h := hit{weak: weak[r.ID]}
			if hasItem && i < len(r.Answers) {
				a := r.Answers[i]
				h.low = Low(a, in.Scale.Points, it.Reverse)
				if a >= '0' && int(a-'0') < len(labels) {
					h.answer = labels[a-'0']
				}
			}
			if h.low || h.weak {
				hits[*r.PersonID] = h
			}
		}
		if pg.Adults, err = adults(tx, v.DistrictID, sc.ID); err != nil {
			return err
		}
		assigned, err := assignments(tx, v.DistrictID, sc.ID, pg.Adults)
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(hits))
		for id := range hits {
			if pg.Mine && (assigned[id] == nil || assigned[id].AdultID != v.UserID) {
				continue
			}
			ids = append(ids, id)
		}
		ps, err := pupils(tx, v.DistrictID, sc.ID, ids)
		if err != nil {
			return err
		}
		hasRound, claims, err := latestClaims(tx, v.DistrictID, sc.ID)
		if err != nil {
			return err
		}
		var done []store.Followup
		if err := tx.Where("district_id = ? AND wave_id = ?", v.DistrictID, w.ID).Find(&done).Error; err != nil {
			return fmt.Errorf("load follow-ups: %w", err)
		}
		reached := map[int64]*store.Followup{}
		for i := range done {
			reached[done[i].StudentID] = &done[i]
		}
		names, err := userNames(tx, v.DistrictID, done)
		if err != nil {
			return err
		}
		list := make([]*Pupil, 0, len(ps))
		for _, p := range ps {
			list = append(list, p)
		}
		sortPupils(list)
		for _, p := range list {
			h := hits[p.ID]
			row := FollowRow{Pupil: *p, Answer: h.answer, LowAnswer: h.low, WeakBand: h.weak, Claims: -1, Assigned: assigned[p.ID], Reached: reached[p.ID]}
			if hasRound {
				row.Claims = claims[p.ID]
			}
			if row.Reached != nil {
				pg.Reached++
				row.ReachedBy = names[row.Reached.ReachedBy]
				row.ReachedDay = today(row.Reached.ReachedAt, sc.TimeZone).Format(time.DateOnly)
			}
			pg.Rows = append(pg.Rows, row)
		}
		detail := fmt.Sprintf("%d students listed (%d reached)", len(pg.Rows), pg.Reached)
		if measure != "" {
			detail += ", weakest band of " + measure
		}
		if pg.Mine {
			detail += ", assigned to the viewer only"
		}
		return v.audit(tx, s.Store, ActionFollowupView, fmt.Sprintf("wave %d school %d", w.ID, sc.ID), detail)
	})
	if err != nil {
		return FollowPage{}, fmt.Errorf("follow-up list: %w", err)
	}
	return pg, nil
}

func userNames(tx *gorm.DB, district int64, done []store.Followup) (map[int64]string, error) {
	ids := []int64{0}
	for _, f := range done {
		ids = append(ids, f.ReachedBy)
	}
	var us []store.User
	if err := tx.Where("district_id = ? AND id IN ?", district, ids).Find(&us).Error; err != nil {
		return nil, fmt.Errorf("load staff names: %w", err)
	}
	out := map[int64]string{}
	for _, u := range us {
		out[u.ID] = strings.TrimSpace(u.Name)
		if out[u.ID] == "" {
			out[u.ID] = u.Email
		}
	}
	return out, nil
}

// MarkReached records that a student of a confidential wave was reached: what was done and a
// short note, by the viewer, now. The team's roles may mark any student who answered the wave at
// their school; other staff only students assigned to them. Audited.
func (s *Service) MarkReached(ctx context.Context, v Viewer, waveID, schoolID, studentID int64, action, note string) error {
	note = strings.TrimSpace(note)
	if p := CheckNote(action, note); p != nil {
		return p
	}
	return s.Store.Tx(ctx, func(tx *gorm.DB) error {
		w, _, sc, err := s.confidentialWave(tx, v, waveID, schoolID)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&store.Response{}).Where("district_id = ? AND wave_id = ? AND school_id = ? AND person_id = ?", v.DistrictID, w.ID, sc.ID, studentID).Count(&n).Error; err != nil {
			return fmt.Errorf("find response: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if !CanReadTeam(v.Role) {
			var a int64
			if err := tx.Model(&store.StudentAssignment{}).Where("district_id = ? AND school_id = ? AND student_id = ? AND adult_id = ?", v.DistrictID, sc.ID, studentID, v.UserID).Count(&a).Error; err != nil {
				return fmt.Errorf("find assignment: %w", err)
			}
			if a == 0 {
				return ErrNotFound
			}
		}
		f := store.Followup{DistrictID: v.DistrictID, WaveID: w.ID, StudentID: studentID, Action: action, Note: note, ReachedBy: v.UserID, ReachedAt: s.Store.Now()}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "district_id"}, {Name: "wave_id"}, {Name: "student_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"action", "note", "reached_by", "reached_at"}),
		}).Create(&f).Error; err != nil {
			return fmt.Errorf("save follow-up: %w", err)
		}
		// The note is not copied into the audit log: it may say something personal, and the log is kept.
		return v.audit(tx, s.Store, ActionReached, fmt.Sprintf("student %d", studentID), fmt.Sprintf("wave %d school %d: %s", w.ID, sc.ID, action))
	})
}

func hasMeasure(in *survey.Instrument, id string) bool {
	for _, m := range in.Measures {
		if m.ID == id {
			return true
		}
	}
	return false
}

// WaveSchools lists the schools of a wave that the viewer covers, by name: the follow-up page's
// school picker.
func (s *Service) WaveSchools(ctx context.Context, v Viewer, waveID int64) ([]store.School, error) {
	q := s.Store.DB.WithContext(ctx).Table("schools sc").
		Joins("JOIN wave_schools ws ON ws.district_id = sc.district_id AND ws.school_id = sc.id").
		Where("sc.district_id = ? AND ws.wave_id = ?", v.DistrictID, waveID)
	if v.Role != auth.DistrictAdmin {
		q = q.Where("sc.id IN ?", append([]int64{0}, v.Schools...))
	}
	var out []store.School
	if err := q.Select("sc.*").Order("sc.name, sc.id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("wave schools: %w", err)
	}
	return out, nil
}
