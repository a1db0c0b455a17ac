package measures

import (
	"context"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/store"
)

// CalibrateDue fixes the calibration of every instrument version that has none yet from its first
// wave with enough responses, then rescores all that version's waves onto the new scale. It
// returns how many instrument versions it calibrated.
//
// It works district by district (calibrations are per district).
func (s *Service) CalibrateDue(ctx context.Context) (int, error) {
	n := 0
	err := s.Store.EachDistrict(ctx, 0, func(district int64) error {
		k, err := s.calibrateDue(ctx, district)
		n += k
		return err
	})
	return n, err
}

// calibrateDue is CalibrateDue for one district.
func (s *Service) calibrateDue(ctx context.Context, district int64) (int, error) {
	min := s.MinResponses
	if min == 0 {
		min = DefaultMinResponses
	}
	// Waves with enough responses whose instrument version lacks a calibration, oldest first.
	var due []struct {
		DistrictID        int64
		ID                int64
		InstrumentID      string
		InstrumentVersion int
	}
	err := s.Store.DB.WithContext(ctx).Table("waves w").
		Select("w.district_id, w.id, w.instrument_id, w.instrument_version").
		Where("(SELECT count(*) FROM responses r WHERE r.district_id = w.district_id AND r.wave_id = w.id) >= ?", min).
		Where("NOT EXISTS (SELECT 1 FROM calibrations c WHERE c.district_id = w.district_id AND c.instrument_id = w.instrument_id AND c.version = w.instrument_version)").
		Where("w.district_id = ?", district).
		Order("w.opens_at").Scan(&due).Error
	if err != nil {
		return 0, fmt.Errorf("find waves to calibrate: %w", err)
	}
	done := map[calKey]bool{}
	for _, w := range due {
		k := calKey{w.DistrictID, w.InstrumentID, w.InstrumentVersion}
		if done[k] {
			continue
		}
		done[k] = true
		if _, err := s.Calibrate(ctx, w.DistrictID, w.ID, false); err != nil {
			return len(done) - 1, err
		}
		var ids []int64
		if err := s.Store.DB.WithContext(ctx).Model(&store.Wave{}).Where("district_id = ? AND instrument_id = ? AND instrument_version = ?", w.DistrictID, w.InstrumentID, w.InstrumentVersion).
			Pluck("id", &ids).Error; err != nil {
			return len(done), err
		}
		for _, id := range ids {
			if _, err := s.Rescore(ctx, w.DistrictID, id); err != nil {
				return len(done), err
			}
		}
		if s.Log != nil {
			s.Log.Info("calibrated", "district", w.DistrictID, "instrument", w.InstrumentID, "version", w.InstrumentVersion, "from_wave", w.ID)
		}
	}
	return len(done), nil
}
