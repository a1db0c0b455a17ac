// Package measures keeps one Rasch calibration per instrument version and measure, anchored once
// made, and turns responses into stored measure scores with it: at submission and in bulk.
// The math is internal/scoring's; this package only moves data between it and the store.
package measures

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/scoring"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// DefaultMinResponses is how many responses a wave needs before it fixes the calibration.
const DefaultMinResponses = 200

// SourceProvisional marks scores made before an instrument version had its own calibration.
const SourceProvisional = "provisional"

// Service scores responses against the stored calibrations.
type Service struct {
	Store        *store.Store
	Surveys      *survey.Catalog
	Log          *slog.Logger
	MinResponses int

	mu    sync.Mutex
	cache map[calKey]map[string]scoring.Calibration // immutable once made, so safe to cache
}

type calKey struct {
	district int64
	id       string
	version  int
}

// measureItems returns the instrument's item indexes and reverse flags for one measure.
func measureItems(in *survey.Instrument, measureID string) (idx []int, reverse []bool) {
	for i, it := range in.Items {
		if it.Measure == measureID {
			idx = append(idx, i)
			reverse = append(reverse, it.Reverse)
		}
	}
	return idx, reverse
}

// provisional is used until a wave has enough answers: every item equally hard, thresholds evenly
// spread. Scores made with it are replaced by `score rescore` once the real calibration exists.
func provisional(in *survey.Instrument, idx []int) scoring.Calibration {
	c := scoring.Calibration{K: in.Scale.Points}
	for _, i := range idx {
		c.Items = append(c.Items, scoring.ItemParam{ID: in.Items[i].ID})
	}
	m := in.Scale.Points - 1
	for k := 0; k < m; k++ {
		c.Thresholds = append(c.Thresholds, -1.5+3*float64(k)/float64(max(m-1, 1)))
	}
	if m == 1 {
		c.Thresholds = []float64{0}
	}
	return c
}

// calibrations returns the stored calibration of each measure, provisional ones for the rest.
func (s *Service) calibrations(db *gorm.DB, districtID int64, in *survey.Instrument) (map[string]scoring.Calibration, error) {
	key := calKey{districtID, in.ID, in.Version}
	s.mu.Lock()
	cached, ok := s.cache[key]
	s.mu.Unlock()
	if ok {
		return cached, nil
	}
	var rows []store.Calibration
	if err := db.Where("district_id = ? AND instrument_id = ? AND version = ?", districtID, in.ID, in.Version).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load calibrations: %w", err)
	}
	out := map[string]scoring.Calibration{}
	for _, r := range rows {
		var c scoring.Calibration
		if err := json.Unmarshal([]byte(r.Params), &c); err != nil {
			return nil, fmt.Errorf("calibration %s/%s: %w", in.ID, r.MeasureID, err)
		}
		out[r.MeasureID] = c
	}
	complete := len(out) == len(in.Measures)
	for _, m := range in.Measures {
		if _, ok := out[m.ID]; !ok {
			idx, _ := measureItems(in, m.ID)
			out[m.ID] = provisional(in, idx)
		}
	}
	if complete {
		s.mu.Lock()
		if s.cache == nil {
			s.cache = map[calKey]map[string]scoring.Calibration{}
		}
		s.cache[key] = out
		s.mu.Unlock()
	}
	return out, nil
}

// scores computes the measure scores of one response; no row for a measure with no answers.
func scores(in *survey.Instrument, cals map[string]scoring.Calibration, r *store.Response) ([]store.Score, error) {
	var out []store.Score
	K := in.Scale.Points
	for _, m := range in.Measures {
		idx, rev := measureItems(in, m.ID)
		ans := make([]int8, len(idx))
		fav := 0
		for j, i := range idx {
			ans[j] = scoring.Missing
			if i < len(r.Answers) && r.Answers[i] >= '0' && r.Answers[i] <= '9' {
				x := int8(r.Answers[i] - '0')
				if scoring.Favorable(x, K, rev[j]) {
					fav++
				}
				if rev[j] {
					x = int8(K-1) - x
				}
				ans[j] = x
			}
		}
		pm, err := cals[m.ID].Person(ans)
		if errors.Is(err, scoring.ErrNoAnswers) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("measure %s: %w", m.ID, err)
		}
		scale := scoring.ReportScale{Center: m.Reporting.Center, PerLogit: m.Reporting.PerLogit, Cuts: m.Reporting.Cuts}
		sc := scale.Score(pm.WLE)
		out = append(out, store.Score{DistrictID: r.DistrictID, ResponseID: r.ID, MeasureID: m.ID, WaveID: r.WaveID, SchoolID: r.SchoolID,
			NAnswered: pm.NAnswered, Raw: pm.Raw, Favorable: fav, Logit: pm.WLE, SE: pm.SE, Score: sc, Category: scale.Category(sc)})
	}
	return out, nil
}

// ScoreResponse stores a response's measure scores inside the submission's transaction and
// queues it for the results refresher.
func (s *Service) ScoreResponse(ctx context.Context, tx *gorm.DB, in *survey.Instrument, r *store.Response) error {
	cals, err := s.calibrations(tx, r.DistrictID, in)
	if err != nil {
		return err
	}
	rows, err := scores(in, cals, r)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
	}
	return store.MarkScored(tx, r.DistrictID, r.WaveID, r.ID)
}

// Calibrated reports whether every measure of the instrument version has a stored calibration.
func (s *Service) Calibrated(ctx context.Context, districtID int64, in *survey.Instrument) (bool, error) {
	var n int64
	err := s.Store.DB.WithContext(ctx).Model(&store.Calibration{}).
		Where("district_id = ? AND instrument_id = ? AND version = ?", districtID, in.ID, in.Version).Count(&n).Error
	return int(n) == len(in.Measures), err
}

// Calibrate fixes the calibration of each not-yet-calibrated measure from a wave's responses.
// Existing calibrations are never replaced: later waves are scored against the same scale.
func (s *Service) Calibrate(ctx context.Context, districtID, waveID int64, force bool) (bool, error) {
	w, in, err := s.wave(ctx, districtID, waveID)
	if err != nil {
		return false, err
	}
	var rows []store.Response
	if err := s.Store.DB.WithContext(ctx).Select("answers").Where("district_id = ? AND wave_id = ?", districtID, waveID).Find(&rows).Error; err != nil {
		return false, fmt.Errorf("load responses: %w", err)
	}
	min := s.MinResponses
	if min == 0 {
		min = DefaultMinResponses
	}
	if len(rows) < min && !force {
		return false, nil
	}
	var existing []string
	if err := s.Store.DB.WithContext(ctx).Model(&store.Calibration{}).Where("district_id = ? AND instrument_id = ? AND version = ?", districtID, in.ID, in.Version).
		Pluck("measure_id", &existing).Error; err != nil {
		return false, err
	}
	have := map[string]bool{}
	for _, m := range existing {
		have[m] = true
	}
	made := false
	for _, m := range in.Measures {
		if have[m.ID] {
			continue
		}
		idx, rev := measureItems(in, m.ID)
		mat := scoring.Matrix{K: in.Scale.Points}
		for _, i := range idx {
			mat.Items = append(mat.Items, in.Items[i].ID)
		}
		for _, r := range rows {
			mat.Data = append(mat.Data, answerRow(in, idx, rev, r.Answers))
			mat.Persons = append(mat.Persons, "")
		}
		var cal scoring.Calibration
		if len(idx) == 1 {
			// A single-item indicator has no item to calibrate against; its scale is the provisional one.
			cal = provisional(in, idx)
		} else if cal, err = scoring.Calibrate(mat); err != nil {
			return made, fmt.Errorf("calibrate %s/%s from wave %d: %w", in.ID, m.ID, w.ID, err)
		}
		params, _ := json.Marshal(cal)
		row := store.Calibration{DistrictID: districtID, InstrumentID: in.ID, Version: in.Version, MeasureID: m.ID, Params: string(params),
			NPersons: cal.NPersons, Source: fmt.Sprintf("wave:%d", w.ID), CreatedAt: s.Store.Now()}
		if err := s.Store.DB.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
			return made, fmt.Errorf("store calibration: %w", err)
		}
		made = true
	}
	s.mu.Lock()
	delete(s.cache, calKey{districtID, in.ID, in.Version})
	s.mu.Unlock()
	return made, nil
}

func (s *Service) wave(ctx context.Context, districtID, waveID int64) (store.Wave, *survey.Instrument, error) {
	var w store.Wave
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND id = ?", districtID, waveID).First(&w).Error; err != nil {
		return w, nil, store.NotFound(err, fmt.Sprintf("wave %d", waveID))
	}
	in, ok := s.Surveys.Get(w.InstrumentID, w.InstrumentVersion)
	if !ok {
		return w, nil, fmt.Errorf("wave %d: instrument %s v%d is not in this program", waveID, w.InstrumentID, w.InstrumentVersion)
	}
	return w, in, nil
}

// Rescore recomputes every stored score of a wave with the current calibrations, in batches of
// short transactions, and returns how many responses it scored.
func (s *Service) Rescore(ctx context.Context, districtID, waveID int64) (int, error) {
	_, in, err := s.wave(ctx, districtID, waveID)
	if err != nil {
		return 0, err
	}
	cals, err := s.calibrations(s.Store.DB.WithContext(ctx), districtID, in)
	if err != nil {
		return 0, err
	}
	n := 0
	for last := int64(-1); ; {
		var batch []store.Response
		if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND wave_id = ? AND id > ?", districtID, waveID, last).
			Order("id").Limit(1000).Find(&batch).Error; err != nil {
			return n, fmt.Errorf("rescore wave %d: %w", waveID, err)
		}
		if len(batch) == 0 {
			break
		}
		var all []store.Score
		ids := make([]int64, 0, len(batch))
		for i := range batch {
			rows, err := scores(in, cals, &batch[i])
			if err != nil {
				return n, fmt.Errorf("rescore wave %d: %w", waveID, err)
			}
			all = append(all, rows...)
			ids = append(ids, batch[i].ID)
		}
		err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
			if err := tx.Where("district_id = ? AND response_id IN ?", districtID, ids).Delete(&store.Score{}).Error; err != nil {
				return err
			}
			if len(all) == 0 {
				return nil
			}
			return tx.CreateInBatches(all, 500).Error
		})
		if err != nil {
			return n, fmt.Errorf("rescore wave %d: %w", waveID, err)
		}
		n += len(batch)
		last = batch[len(batch)-1].ID
	}
	// Every score may have moved, so the wave's results are rebuilt rather than patched.
	if err := store.MarkWaveStale(s.Store.DB.WithContext(ctx), districtID, waveID); err != nil {
		return n, fmt.Errorf("rescore wave %d: %w", waveID, err)
	}
	return n, nil
}

// answerRow is one response's answers to the items idx of a measure as scoring wants them:
// categories 0..K-1 after reverse coding, scoring.Missing where unanswered.
func answerRow(in *survey.Instrument, idx []int, rev []bool, answers string) []int8 {
	row := make([]int8, len(idx))
	for j, i := range idx {
		row[j] = scoring.Missing
		if i < len(answers) && answers[i] >= '0' && answers[i] <= '9' {
			x := int8(answers[i] - '0')
			if rev[j] {
				x = int8(in.Scale.Points-1) - x
			}
			row[j] = x
		}
	}
	return row
}
