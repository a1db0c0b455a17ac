package sms

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/nyaruka/phonenumbers"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Message kinds: the idempotency key is (district, invitation, kind).
const (
	KindInvite = "invite"
)

// ReminderKind is the kind of reminder n (1-based).
func ReminderKind(n int) string { return "reminder" + strconv.Itoa(n) }

// NormalizePhone returns n in E.164, reading numbers without a country code as US numbers.
func NormalizePhone(n string) (string, error) {
	p, err := phonenumbers.Parse(n, "US")
	if err != nil {
		return "", fmt.Errorf("phone number: %w", err)
	}
	if !phonenumbers.IsValidNumber(p) {
		return "", fmt.Errorf("phone number is not valid")
	}
	return phonenumbers.Format(p, phonenumbers.E164), nil
}

// recipientRow is what Enqueue needs to know about one SMS invitation.
type recipientRow struct {
	InvitationID int64
	PersonID     int64
	SchoolID     int64
	Phone        string
	DoNotText    bool
	TimeZone     string
}

// Enqueue queues the invitation texts of freshly issued invitations (wave.Service.Invite's
// answer, the only moment their tokens exist in clear). Only Channel "sms" is texted, never a
// person marked do_not_text or a number that opted out in this district. It returns how many
// rows it queued; invitations already queued are skipped (the outbox key makes it idempotent).
// Each text waits for the school's local sending window and for the wave to open.
func (s *Service) Enqueue(ctx context.Context, districtID, waveID int64, issued []wave.Issued) (int, error) {
	var want []wave.Issued
	for _, is := range issued {
		if is.Channel == "sms" {
			want = append(want, is)
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	db := s.Store.DB.WithContext(ctx)
	var w store.Wave
	if err := db.Where("district_id = ? AND id = ?", districtID, waveID).First(&w).Error; err != nil {
		return 0, store.NotFound(err, fmt.Sprintf("enqueue sms: wave %d", waveID))
	}
	now := s.now()
	if w.Status == store.StatusClosed || !now.Before(w.ClosesAt) {
		return 0, fmt.Errorf("enqueue sms: wave %d is closed", waveID)
	}
	var district store.District
	if err := db.Where("district_id = ?", districtID).First(&district).Error; err != nil {
		return 0, store.NotFound(err, "enqueue sms: district")
	}
	name := senderName(district)
	inviteID := msgInvite
	if w.SMSAnswering && s.Waves != nil {
		inviteID = msgInviteAnswer // the link, or reply to answer by text
	}
	var rows []recipientRow
	err := db.Table("invitations i").
		Select("i.id AS invitation_id, i.person_id, i.school_id, p.phone, p.do_not_text, s.time_zone").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Joins("JOIN schools s ON s.district_id = i.district_id AND s.id = i.school_id").
		Where("i.district_id = ? AND i.wave_id = ? AND i.channel = ?", districtID, waveID, "sms").
		Scan(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("enqueue sms: load recipients: %w", err)
	}
	byInv := make(map[int64]*recipientRow, len(rows))
	for i := range rows {
		byInv[rows[i].InvitationID] = &rows[i]
	}
	stopped, err := s.optedOut(ctx, districtID)
	if err != nil {
		return 0, fmt.Errorf("enqueue sms: %w", err)
	}
	start := now
	if w.OpensAt.After(start) {
		start = w.OpensAt
	}
	// Rendering and phone parsing (CPU) overlap with the inserts (database): one goroutine builds
	// batches while the transaction writes the previous one.
	const batch = 2000
	batches := make(chan []store.SMSMessage, 2)
	stop := make(chan struct{})
	skipped := 0
	go func() {
		defer close(batches)
		zones := map[string]time.Time{}
		out := make([]store.SMSMessage, 0, batch)
		for _, is := range want {
			r := byInv[is.InvitationID]
			if r == nil || r.DoNotText {
				skipped++
				continue
			}
			to, err := NormalizePhone(r.Phone)
			if err != nil || stopped[to] {
				skipped++
				continue
			}
			notBefore, ok := zones[r.TimeZone]
			if !ok {
				notBefore = NextSendTime(start, loadZone(r.TimeZone), s.Window).UTC().Truncate(time.Second)
				zones[r.TimeZone] = notBefore
			}
			body := render(s.Locales, is.Language, inviteID, name, map[string]any{"Link": Link(s.BaseURL, is.Token)})
			out = append(out, store.SMSMessage{
				DistrictID: districtID, ID: store.NewID(), InvitationID: is.InvitationID, Kind: KindInvite,
				WaveID: waveID, SchoolID: r.SchoolID, PersonID: r.PersonID, ToNumber: to, Language: is.Language,
				TimeZone: r.TimeZone, Body: body, Status: store.SMSQueued, NotBefore: notBefore,
				CreatedAt: now, UpdatedAt: now,
			})
			if len(out) == batch {
				select {
				case batches <- out:
				case <-stop:
					return
				}
				out = make([]store.SMSMessage, 0, batch)
			}
		}
		if len(out) > 0 {
			select {
			case batches <- out:
			case <-stop:
			}
		}
	}()
	queued := 0
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		for rows := range batches {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(rows)
			if res.Error != nil {
				return res.Error
			}
			queued += int(res.RowsAffected)
		}
		return nil
	})
	close(stop)
	for range batches { // let the builder finish before reading skipped
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue sms for wave %d: %w", waveID, err)
	}
	s.Log.Info("sms queued", "district", districtID, "wave", waveID, "queued", queued, "skipped", skipped)
	return queued, nil
}

// senderName is how texts name who sends them: the district's SettingName, else its name.
func senderName(d store.District) string {
	if n := d.Settings[SettingName]; n != "" {
		return n
	}
	return d.Name
}

// optedOut is the set of this district's opted-out numbers.
func (s *Service) optedOut(ctx context.Context, districtID int64) (map[string]bool, error) {
	var phones []string
	if err := s.Store.DB.WithContext(ctx).Model(&store.SMSOptOut{}).Where("district_id = ?", districtID).Pluck("phone", &phones).Error; err != nil {
		return nil, fmt.Errorf("load opt-outs: %w", err)
	}
	m := make(map[string]bool, len(phones))
	for _, p := range phones {
		m[p] = true
	}
	return m, nil
}
