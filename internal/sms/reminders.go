package sms

import (
	"context"
	"database/sql/driver"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// reminderCandidate is an SMS invitation that may be due a reminder.
type reminderCandidate struct {
	DistrictID         int64
	InvitationID       int64
	WaveID             int64
	SchoolID           int64
	SchoolName         string
	PersonID           int64
	Language           string
	RemindersSent      int
	MaxReminders       int
	ReminderDelayHours int
	ToNumber           string
	TimeZone           string
	LastSent           aggTime
}

// ScheduleReminders queues reminder texts: at most wave.max_reminders per invitation, only for
// unanswered invitations of open waves, only once the previous text went out at least
// wave.reminder_delay_hours ago, and only if nothing for that invitation is still waiting. A
// reminder carries a fresh link (an extra token in invitation_tokens), so the first link keeps
// working. It returns how many reminders it queued.
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
func (s *Service) scheduleReminders(ctx context.Context, districtID int64) (int, error) {
	now := s.now()
	// Wave by wave, so the delay (per wave) is applied in SQL and a batch never fills up with
	// invitations that are not due yet.
	var waves []store.Wave
	q := s.Store.DB.WithContext(ctx).Select("district_id, id, reminder_delay_hours").
		Where("district_id = ? AND status = ? AND closes_at > ? AND max_reminders > 0", districtID, store.StatusOpen, now)
	if err := q.Find(&waves).Error; err != nil {
		return 0, fmt.Errorf("find waves to remind: %w", err)
	}
	var cands []reminderCandidate
	for _, w := range waves {
		cutoff := now.Add(-time.Duration(w.ReminderDelayHours) * time.Hour)
		var part []reminderCandidate
		err := s.Store.DB.WithContext(ctx).Table("invitations i").
			Select(`i.district_id, i.id AS invitation_id, i.wave_id, i.school_id, MAX(s.name) AS school_name, i.person_id, i.language, i.reminders_sent,
			        w.max_reminders, w.reminder_delay_hours, MAX(m.to_number) AS to_number, MAX(m.time_zone) AS time_zone,
			        MAX(m.sent_at) AS last_sent`).
			Joins("JOIN waves w ON w.district_id = i.district_id AND w.id = i.wave_id").
			Joins("JOIN schools s ON s.district_id = i.district_id AND s.id = i.school_id").
			Joins("JOIN sms_messages m ON m.district_id = i.district_id AND m.invitation_id = i.id").
			Where("i.district_id = ? AND i.wave_id = ? AND i.channel = ? AND i.completed_at IS NULL AND i.reminders_sent < w.max_reminders",
				w.DistrictID, w.ID, "sms").
			Group("i.district_id, i.id, i.wave_id, i.school_id, i.person_id, i.language, i.reminders_sent, w.max_reminders, w.reminder_delay_hours").
			// Nothing for this invitation still waiting, and the last text out at least the delay ago.
			Having("SUM(CASE WHEN m.status IN ('queued', 'sending', 'unknown') THEN 1 ELSE 0 END) = 0 AND MAX(m.sent_at) <= ?", cutoff).
			Limit(1000).Scan(&part).Error
		if err != nil {
			return 0, fmt.Errorf("find reminder candidates of wave %d: %w", w.ID, err)
		}
		cands = append(cands, part...)
	}
	names := map[int64]string{}
	queued := 0
	for _, c := range cands {
		if last := c.LastSent.Time; last.IsZero() || now.Before(last.Add(time.Duration(c.ReminderDelayHours)*time.Hour)) {
			continue // belt and braces: SQL already checked
		}
		name, ok := names[c.DistrictID]
		if !ok {
			var d store.District
			if err := s.Store.DB.WithContext(ctx).Where("district_id = ?", c.DistrictID).First(&d).Error; err != nil {
				return queued, store.NotFound(err, "reminder: district")
			}
			name = senderName(d)
			names[c.DistrictID] = name
		}
		ok, err := s.queueReminder(ctx, c, name, now)
		if err != nil {
			return queued, err
		}
		if ok {
			queued++
		}
	}
	if queued > 0 {
		s.Log.Info("sms reminders queued", "count", queued)
	}
	return queued, nil
}

// queueReminder mints the extra token, queues the text and counts the reminder, in one
// transaction; the outbox key and the reminders_sent guard make a concurrent scheduler harmless.
func (s *Service) queueReminder(ctx context.Context, c reminderCandidate, name string, now time.Time) (bool, error) {
	n := c.RemindersSent + 1
	token, hash, err := wave.NewDistrictToken(s.Store, s.Store.DB.WithContext(ctx), c.DistrictID)
	if err != nil {
		return false, err
	}
	body := render(s.Locales, c.Language, msgReminder, name, map[string]any{"Link": Link(s.BaseURL, tokenSlot), "School": c.SchoolName})
	notBefore := NextSendTime(now, loadZone(c.TimeZone), s.Window).UTC().Truncate(time.Second)
	msg := store.SMSMessage{
		DistrictID: c.DistrictID, ID: store.NewID(), InvitationID: c.InvitationID, Kind: ReminderKind(n),
		WaveID: c.WaveID, SchoolID: c.SchoolID, PersonID: c.PersonID, ToNumber: c.ToNumber, Language: c.Language,
		TimeZone: c.TimeZone, Body: body, SealedToken: s.sealToken(c.DistrictID, c.InvitationID, token),
		Status: store.SMSQueued, NotBefore: notBefore, CreatedAt: now, UpdatedAt: now,
	}
	done := false
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		facts, err := loadContact(tx, c.DistrictID, c.InvitationID, c.ToNumber)
		if err != nil {
			return err
		}
		if Refusal(facts, now, ForReminder, false) != "" {
			return nil
		}
		res := tx.Model(&store.Invitation{}).
			Where("district_id = ? AND id = ? AND reminders_sent = ? AND completed_at IS NULL", c.DistrictID, c.InvitationID, c.RemindersSent).
			Update("reminders_sent", n)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		res = tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&msg)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errAlreadyQueued
		}
		if err := tx.Create(&store.InvitationToken{DistrictID: c.DistrictID, TokenHash: hash, InvitationID: c.InvitationID, CreatedAt: now}).Error; err != nil {
			return err
		}
		done = true
		return nil
	})
	if err == errAlreadyQueued {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue reminder for invitation %d: %w", c.InvitationID, err)
	}
	return done, nil
}

// errAlreadyQueued rolls back a reminder someone else queued first.
var errAlreadyQueued = fmt.Errorf("reminder already queued")

// dbTime reads a timestamp an aggregate returned: time.Time from PostgreSQL, text from SQLite.
func dbTime(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return time.Time{}, fmt.Errorf("timestamp: unexpected %T", v)
	}
	for _, layout := range []string{"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp: cannot read %q", s)
}

// aggTime scans MAX(sent_at), which is a time on PostgreSQL but text on SQLite.
type aggTime struct{ time.Time }

// Scan implements sql.Scanner.
func (a *aggTime) Scan(v any) error {
	t, err := dbTime(v)
	a.Time = t
	return err
}

// Value implements driver.Valuer (GORM wants both to treat the type as a column).
func (a aggTime) Value() (driver.Value, error) { return a.Time, nil }
