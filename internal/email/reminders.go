package email

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// ScheduleReminders queues one reminder mail per email invitation: only in open waves that
// allow reminders (max_reminders > 0), only for invitations not answered, only once the
// invitation mail was sent at least the wave's reminder_delay_hours ago, and only when the
// contact rule allows it in the queueing transaction. The reminder carries a fresh link (an
// extra token), so the first one keeps working. It returns how many it queued.
// It works district by district.
func (s *Service) ScheduleReminders(ctx context.Context) (int, error) {
	n := 0
	err := s.Store.EachDistrict(ctx, s.district, func(district int64) error {
		queued, err := s.scheduleReminders(ctx, district)
		n += queued
		return err
	})
	return n, err
}

// scheduleReminders is ScheduleReminders for one district.
func (s *Service) scheduleReminders(ctx context.Context, district int64) (int, error) {
	now := s.now()
	var waves []store.Wave
	q := s.Store.DB.WithContext(ctx).Where("district_id = ? AND status = ? AND closes_at > ? AND max_reminders > 0", district, store.StatusOpen, now)
	if err := q.Find(&waves).Error; err != nil {
		return 0, fmt.Errorf("find waves to remind by email: %w", err)
	}
	queued := 0
	for _, w := range waves {
		cutoff := now.Add(-time.Duration(w.ReminderDelayHours) * time.Hour)
		var due []store.EmailMessage
		err := s.Store.DB.WithContext(ctx).Table("email_messages m").Select("m.*").
			Joins("JOIN invitations i ON i.district_id = m.district_id AND i.id = m.invitation_id").
			Where("m.district_id = ? AND m.wave_id = ? AND m.kind = ? AND m.status = ? AND m.sent_at <= ? AND i.completed_at IS NULL",
				w.DistrictID, w.ID, KindInvite, store.EmailSent, cutoff).
			Where("NOT EXISTS (SELECT 1 FROM email_messages r WHERE r.district_id = m.district_id AND r.invitation_id = m.invitation_id AND r.kind = ?)", KindReminder).
			Limit(1000).Scan(&due).Error
		if err != nil {
			return queued, fmt.Errorf("find email reminders of wave %d: %w", w.ID, err)
		}
		if len(due) == 0 {
			continue
		}
		var district store.District
		if err := s.Store.DB.WithContext(ctx).Where("district_id = ?", w.DistrictID).First(&district).Error; err != nil {
			return queued, store.NotFound(err, "email reminder: district")
		}
		for _, m := range due {
			ok, err := s.queueReminder(ctx, w, district.Name, m, now)
			if err != nil {
				return queued, err
			}
			if ok {
				queued++
			}
		}
	}
	if queued > 0 {
		s.Log.Info("email reminders queued", "count", queued)
	}
	return queued, nil
}

var errAlreadyQueued = errors.New("email reminder already queued")

// queueReminder mints the extra token and queues the reminder in one transaction.
func (s *Service) queueReminder(ctx context.Context, w store.Wave, district string, inv store.EmailMessage, now time.Time) (bool, error) {
	token, hash, err := wave.NewDistrictToken(s.Store, s.Store.DB.WithContext(ctx), inv.DistrictID)
	if err != nil {
		return false, err
	}
	done := false
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var r recipient
		err := tx.Table("invitations i").
			Select("i.id AS invitation_id, i.person_id, p.email, p.given_name, p.active, p.survey_opt_out, (i.completed_at IS NOT NULL) AS answered").
			Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
			Where("i.district_id = ? AND i.id = ?", inv.DistrictID, inv.InvitationID).Take(&r).Error
		if err != nil {
			return err
		}
		if !ValidAddress(r.Email) || sms.Refusal(contact(r, w), now, sms.ForReminder, false) != "" {
			return nil
		}
		subject, body := newTexts(s.Locales, KindReminder, district, s.BaseURL).of(inv.Language, r.GivenName)
		msg := store.EmailMessage{DistrictID: inv.DistrictID, ID: store.NewID(), InvitationID: inv.InvitationID, Kind: KindReminder,
			WaveID: w.ID, PersonID: r.PersonID, ToAddress: r.Email, Language: inv.Language, Subject: subject, Body: body,
			SealedToken: s.sealToken(inv.DistrictID, inv.InvitationID, token), Status: store.EmailQueued,
			NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&msg)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errAlreadyQueued
		}
		if err := tx.Create(&store.InvitationToken{DistrictID: inv.DistrictID, TokenHash: hash, InvitationID: inv.InvitationID, CreatedAt: now}).Error; err != nil {
			return err
		}
		done = true
		return nil
	})
	if errors.Is(err, errAlreadyQueued) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue email reminder for invitation %d: %w", inv.InvitationID, err)
	}
	return done, nil
}
