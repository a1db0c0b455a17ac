package goals

import (
	"fmt"
	"slices"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// Reached is the page's section on students the team reached after confidential waves at a
// school: per confidential student wave, how many were reached (by action), and how the chosen
// measure moved to the next confidential wave of the same survey for those reached and those not.
type Reached struct {
	Measures []survey.Measure // of the newest wave's survey: the measure picker
	Measure  survey.Measure
	Metric   string
	Waves    []ReachedWave // newest first
}

// ReachedWave is one confidential student wave at the school.
type ReachedWave struct {
	Wave     store.Wave
	Reached  int // students who answered it at the school and were marked reached
	ByAction []ActionCount
	Next     *store.Wave // the next confidential student wave of the same survey at the school
	NextOpen bool        // it has not closed (or its results are not open to the viewer): no figures yet
	Moved    *Moved      // nil unless Next is closed; figures only when both groups reach the floor
}

// ActionCount is how many students were reached with one kind of action.
type ActionCount struct {
	Action string
	N      int
}

// reached computes the section for a school. Counts of students reached are the team's own work
// on students its members see by name on the follow-up list, so they are shown whatever their
// size; the comparison of how trust moved is shown only when both groups have at least floor
// students who answered both waves (CompareMoved). Nothing here names a student.
func (s *Service) reached(db *gorm.DB, v Viewer, pl Place, measure string, floor int) (*Reached, error) {
	if pl.District {
		return nil, nil // follow-ups are a school's
	}
	all, err := s.waves(db, v, pl, "")
	if err != nil {
		return nil, err
	}
	var waves []store.Wave
	ins := map[int64]*survey.Instrument{}
	for _, w := range all {
		in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
		if w.Mode != store.ModeConfidential || w.Status == store.StatusDraft || !ok || in.Audience != survey.Student {
			continue
		}
		waves, ins[w.ID] = append(waves, w), in
	}
	r := &Reached{}
	if len(waves) == 0 {
		return r, nil
	}
	newest := ins[waves[len(waves)-1].ID]
	r.Measures = newest.Measures
	i := slices.IndexFunc(r.Measures, func(m survey.Measure) bool { return m.ID == measure })
	switch {
	case measure == "" && len(r.Measures) > 0:
		i = 0
	case i < 0:
		return nil, refusal.New("measure", "refusal.goals.survey_measure", "Choose one of the survey's measures.")
	}
	r.Measure = r.Measures[i]
	r.Metric = MetricFor(r.Measure)
	for k := len(waves) - 1; k >= 0; k-- {
		w := waves[k]
		rw := ReachedWave{Wave: w}
		reached, err := reachedIn(db, v.DistrictID, w.ID, pl.ID)
		if err != nil {
			return nil, err
		}
		counts := map[string]int{}
		for _, action := range reached {
			counts[action]++
		}
		rw.Reached = len(reached)
		for _, a := range success.Actions {
			if counts[a] > 0 {
				rw.ByAction = append(rw.ByAction, ActionCount{a, counts[a]})
			}
		}
		for _, n := range waves[k+1:] {
			if n.InstrumentID == w.InstrumentID {
				rw.Next = &n
				break
			}
		}
		if rw.Next != nil {
			rw.NextOpen = rw.Next.Status != store.StatusClosed || !s.visible(v, *rw.Next)
		}
		if rw.Next != nil && !rw.NextOpen && hasMeasure(ins[rw.Next.ID], r.Measure.ID) && hasMeasure(ins[w.ID], r.Measure.ID) {
			from, err := scoredIn(db, v.DistrictID, w.ID, pl.ID, r.Measure.ID)
			if err != nil {
				return nil, err
			}
			to, err := scoredIn(db, v.DistrictID, rw.Next.ID, pl.ID, r.Measure.ID)
			if err != nil {
				return nil, err
			}
			var yes, no []float64
			for person, a := range from {
				b, ok := to[person]
				if !ok {
					continue
				}
				d, ok := StudentChange(r.Metric, a, b)
				if !ok {
					continue
				}
				if _, was := reached[person]; was {
					yes = append(yes, d)
				} else {
					no = append(no, d)
				}
			}
			mv := CompareMoved(yes, no, floor)
			rw.Moved = &mv
		}
		r.Waves = append(r.Waves, rw)
	}
	return r, nil
}

func hasMeasure(in *survey.Instrument, id string) bool {
	return in != nil && slices.ContainsFunc(in.Measures, func(m survey.Measure) bool { return m.ID == id })
}

// reachedIn maps the students reached after a wave who answered it at the school to the action.
func reachedIn(db *gorm.DB, district, wave, school int64) (map[int64]string, error) {
	var rows []struct {
		StudentID int64
		Action    string
	}
	err := db.Table("followups f").
		Where("f.district_id = ? AND f.wave_id = ?", district, wave).
		Where("EXISTS (SELECT 1 FROM responses r WHERE r.district_id = f.district_id AND r.wave_id = f.wave_id AND r.school_id = ? AND r.person_id = f.student_id)", school).
		Select("f.student_id, f.action").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("follow-ups of wave %d: %w", wave, err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.StudentID] = r.Action
	}
	return out, nil
}

// scoredIn reads each student's score of measure in a confidential wave at the school.
func scoredIn(db *gorm.DB, district, wave, school int64, measure string) (map[int64]Scored, error) {
	var rows []struct {
		PersonID  int64
		Score     float64
		Favorable int
		NAnswered int
	}
	err := db.Table("responses r").
		Joins("JOIN scores s ON s.district_id = r.district_id AND s.response_id = r.id").
		Where("r.district_id = ? AND r.wave_id = ? AND r.school_id = ? AND r.person_id IS NOT NULL AND s.measure_id = ?", district, wave, school, measure).
		Select("r.person_id, s.score, s.favorable, s.n_answered").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("scores of wave %d: %w", wave, err)
	}
	out := make(map[int64]Scored, len(rows))
	for _, r := range rows {
		out[r.PersonID] = Scored{Score: r.Score, Favorable: r.Favorable, Answered: r.NAnswered}
	}
	return out, nil
}
