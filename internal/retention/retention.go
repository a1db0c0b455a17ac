// Package retention owns how long operational data is kept: it deletes or blanks what has served
// its purpose, on a schedule, so sessions, texts and unfinished answers do not grow for ever and a
// copy of the database holds as little about people as the work needs. Each rule is one constant
// and one statement here, and one line in the README's Retention section.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

const (
	// SessionGrace keeps an expired staff session this long (a session past ExpiresAt never signs
	// anyone in; the short grace only avoids deleting a row a request is reading this second).
	SessionGrace = time.Hour
	// SMSBodyKeep is how long a text's body is kept once it has left the outbox for good (sent,
	// delivered, failed, cancelled, or unknown — never resent): long enough to answer "what did
	// you send me?" for a recent complaint. The body holds a survey link and the school's name;
	// the row itself (status, times, error code) stays for delivery reports and the rate limit.
	SMSBodyKeep = 7 * 24 * time.Hour
	// MarkerKeep is how long after a wave has ended its submitted markers (drafts holding no
	// answers, that only say "this invitation answered") are kept. Unfinished drafts of ended waves
	// go sooner, by wave.PurgeEnded (wave.DraftGrace).
	MarkerKeep = 30 * 24 * time.Hour
)

// finalSMS are the statuses after which the outbox never sends a row again.
var finalSMS = []string{store.SMSSent, store.SMSDelivered, store.SMSUndelivered, store.SMSFailed,
	store.SMSCancelled, store.SMSUnknown, store.SMSDeliveredLocal}

// Service applies the retention rules to one database.
type Service struct {
	Store *store.Store
}

// Purged counts what one Purge removed.
type Purged struct {
	Sessions  int64 // expired staff and respondent sessions deleted
	Devices   int64 // known sign-in devices unused for auth.DeviceLifetime forgotten
	SMSBodies int64 // sent texts whose body was blanked
	Markers   int64 // submitted markers of long-ended waves deleted
}

func (p Purged) total() int64 { return p.Sessions + p.Devices + p.SMSBodies + p.Markers }

// Purge applies every rule once, each in its own short transaction (a purge must never hold the
// SQLite write lock long enough to delay a submission). Running it again at once changes nothing.
//
// It works district by district: every rule is one statement per district.
func (s *Service) Purge(ctx context.Context) (Purged, error) {
	var p Purged
	err := s.Store.EachDistrict(ctx, 0, func(district int64) error { return s.purge(ctx, district, &p) })
	return p, err
}

// purge applies every rule once in one district, adding what it removed to p.
func (s *Service) purge(ctx context.Context, district int64, p *Purged) error {
	now := s.Store.Now()
	rules := []struct {
		what string
		n    *int64
		run  func(tx *gorm.DB) *gorm.DB
	}{
		{"expired sessions", &p.Sessions, func(tx *gorm.DB) *gorm.DB {
			return tx.Where("district_id = ? AND expires_at < ?", district, now.Add(-SessionGrace)).Delete(&store.Session{})
		}},
		{"expired respondent sessions", &p.Sessions, func(tx *gorm.DB) *gorm.DB {
			return tx.Where("district_id = ? AND expires_at < ?", district, now.Add(-SessionGrace)).Delete(&store.RespondentSession{})
		}},
		{"unused known devices", &p.Devices, func(tx *gorm.DB) *gorm.DB {
			return tx.Where("district_id = ? AND last_used_at < ?", district, now.Add(-auth.DeviceLifetime)).Delete(&store.KnownDevice{})
		}},
		{"sent text bodies", &p.SMSBodies, func(tx *gorm.DB) *gorm.DB {
			return tx.Model(&store.SMSMessage{}).Where("district_id = ? AND status IN ? AND body <> '' AND updated_at < ?", district, finalSMS, now.Add(-SMSBodyKeep)).
				Update("body", "")
		}},
		{"submitted markers", &p.Markers, func(tx *gorm.DB) *gorm.DB {
			// A closed wave was closed at or before its updated_at, so counting from updated_at
			// never drops a marker early.
			ended := tx.Model(&store.Wave{}).Select("id").
				Where("district_id = ? AND (closes_at < ? OR (status = ? AND updated_at < ?))", district, now.Add(-MarkerKeep), store.StatusClosed, now.Add(-MarkerKeep))
			return tx.Where("district_id = ? AND submitted AND wave_id IN (?)", district, ended).Delete(&store.Draft{})
		}},
	}
	for _, r := range rules {
		err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
			res := r.run(tx)
			*r.n += res.RowsAffected
			return res.Error
		})
		if err != nil {
			return fmt.Errorf("purge %s: %w", r.what, err)
		}
	}
	return nil
}

// Once is one purge, logging what it removed: the periodic job serve runs (internal/jobs).
func (s *Service) Once(log *slog.Logger) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		p, err := s.Purge(ctx)
		if err != nil {
			return err
		}
		if p.total() > 0 {
			log.Info("retention purge", "sessions", p.Sessions, "devices", p.Devices, "sms_bodies", p.SMSBodies, "submitted_markers", p.Markers)
		}
		return nil
	}
}
