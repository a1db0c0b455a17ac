package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// openWave describes one of the demo's currently open waves.
type openWave struct {
	name, instrument, mode string
	channels               []string
}

var openWaves = []openWave{
	{"Student pulse (open now)", "student-pulse", store.ModeAnonymous, []string{"link", "code"}},
	{"Staff pulse (open now)", "staff-pulse", store.ModeAnonymous, []string{"link", "email"}}, // staff have school addresses: /dev/email
	{"Family pulse (open now)", "family-pulse", store.ModeConfidential, []string{"link", "sms"}},
}

// ensureOpenWaves finds or creates the open waves and invites their audiences; returns wave ids by instrument.
func ensureOpenWaves(ctx context.Context, s *store.Store, waves *wave.Service, districtID int64, schoolIDs []int64) (map[string]int64, error) {
	ids := map[string]int64{}
	now := s.Now()
	for _, ow := range openWaves {
		var w store.Wave
		err := s.DB.WithContext(ctx).Where("district_id = ? AND name = ?", districtID, ow.name).First(&w).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			in, ok := waves.Surveys.Latest(ow.instrument)
			if !ok {
				return nil, fmt.Errorf("demo: instrument %s missing", ow.instrument)
			}
			w, err = waves.Create(ctx, wave.Spec{DistrictID: districtID, Name: ow.name, InstrumentID: in.ID, InstrumentVersion: in.Version,
				Mode: ow.mode, SchoolIDs: schoolIDs, OpensAt: now.Add(-24 * time.Hour), ClosesAt: now.Add(60 * 24 * time.Hour),
				Channels: ow.channels, MaxReminders: 2, ReminderDelayHours: 48})
		}
		if err != nil {
			return nil, fmt.Errorf("demo wave %q: %w", ow.name, err)
		}
		// Keep the demo's waves open however long ago it was first seeded, through the same use
		// cases as the pages: opening invites and queues texts in one transaction.
		if w.Status == store.StatusDraft || w.Status == store.StatusScheduled {
			if w, _, err = waves.Apply(ctx, districtID, w.ID, wave.Change{Action: wave.ActOpen}, wave.System); err != nil {
				return nil, err
			}
		}
		if now.After(w.ClosesAt.Add(-24*time.Hour)) || w.Status != store.StatusOpen {
			if _, _, err := waves.Apply(ctx, districtID, w.ID, wave.Change{Action: wave.ActExtend, ClosesAt: now.Add(60 * 24 * time.Hour)}, wave.System); err != nil {
				return nil, err
			}
		}
		// Anyone rostered since the demo was first seeded.
		if _, err := waves.Invite(ctx, districtID, w.ID); err != nil {
			return nil, err
		}
		ids[ow.instrument] = w.ID
	}
	return ids, nil
}

// surveyLink reissues the token of one unanswered invitation chosen by where and returns its link.
// Tokens are stored only as hashes, so printing a link means minting a fresh token.
func surveyLink(ctx context.Context, s *store.Store, waves *wave.Service, baseURL string, districtID, waveID int64, where string, args ...any) (string, error) {
	var invID int64
	q := s.DB.WithContext(ctx).Table("invitations i").Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("i.district_id = ? AND i.wave_id = ? AND i.completed_at IS NULL", districtID, waveID)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Order("p.sourced_id").Limit(1).Pluck("i.id", &invID).Error; err != nil {
		return "", fmt.Errorf("pick demo invitation: %w", err)
	}
	if invID == 0 {
		return "", fmt.Errorf("demo wave %d has no unanswered invitation left", waveID)
	}
	tok, err := waves.Reissue(ctx, districtID, invID)
	if err != nil {
		return "", err
	}
	return baseURL + "/s/" + tok, nil
}
