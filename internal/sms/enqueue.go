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
	SchoolName   string
	Phone        string
	TimeZone     string
	Active       bool
	SurveyOptOut bool
	DoNotText    bool
	Answered     bool
}

// Enqueue queues the invitation texts of freshly issued invitations in a transaction of its own;
// see EnqueueTx.
func (s *Service) Enqueue(ctx context.Context, districtID, waveID int64, issued []wave.Issued) (int, error) {
	var n int
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var w store.Wave
		if err := tx.Where("district_id = ? AND id = ?", districtID, waveID).First(&w).Error; err != nil {
			return store.NotFound(err, fmt.Sprintf("wave %d", waveID))
		}
		var err error
		n, err = s.EnqueueTx(ctx, tx, w, issued)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue sms: %w", err)
	}
	return n, nil
}

// EnqueueTx queues, in tx, the invitation texts of freshly issued invitations (made in tx by
// wave.Service, the only moment their tokens exist in clear), so the invitations and their texts
// commit together. Only Channel "sms" is texted, and only whom the contact rule (Refusal)
// allows: an open wave, a person in the roster who has not opted out, a number that did not text
// STOP. A wave that is not open queues nothing (opening it does). Each body holds a placeholder
// where the link's token goes; the token itself is sealed (internal/seal) in sealed_token, so the
// outbox holds nothing that opens a survey. It returns how many rows it queued; invitations
// already queued are skipped (the outbox key makes it idempotent). Each text waits for the
// school's local sending window and for the wave to open.
func (s *Service) EnqueueTx(ctx context.Context, tx *gorm.DB, w store.Wave, issued []wave.Issued) (int, error) {
	districtID, waveID := w.DistrictID, w.ID
	var want []wave.Issued
	for _, is := range issued {
		if is.Channel == "sms" {
			want = append(want, is)
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	now := s.now()
	if r := Refusal(Contact{Active: true, WaveStatus: w.Status, OpensAt: w.OpensAt, ClosesAt: w.ClosesAt}, now, ForInvite, true); r != "" {
		s.Log.Info("sms not queued", "district", districtID, "wave", waveID, "reason", r)
		return 0, nil
	}
	var district store.District
	if err := tx.Where("district_id = ?", districtID).First(&district).Error; err != nil {
		return 0, store.NotFound(err, "enqueue sms: district")
	}
	name := senderName(district)
	inviteID := msgInvite
	if w.SMSAnswering && s.Waves != nil {
		inviteID = msgInviteAnswer // the link, or reply to answer by text
	}
	var rows []recipientRow
	err := tx.Table("invitations i").
		Select("i.id AS invitation_id, i.person_id, i.school_id, s.name AS school_name, p.phone, s.time_zone, p.active, p.survey_opt_out, p.do_not_text, (i.completed_at IS NOT NULL) AS answered").
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
	stopped, err := optedOut(tx, districtID)
	if err != nil {
		return 0, fmt.Errorf("enqueue sms: %w", err)
	}
	start := now
	if w.OpensAt.After(start) {
		start = w.OpensAt
	}
	// Phone parsing and sealing (CPU) overlap with the inserts (database): one goroutine builds
	// batches while this one writes the previous batch in tx (only this goroutine touches tx).
	const batch = 2000
	batches := make(chan []store.SMSMessage, 2)
	stop := make(chan struct{})
	skipped := 0
	go func() {
		defer close(batches)
		body := map[[2]string]string{} // by language and school: the text is the same for all of them but the token
		zones := map[string]time.Time{}
		out := make([]store.SMSMessage, 0, batch)
		send := func() bool {
			select {
			case batches <- out:
				out = make([]store.SMSMessage, 0, batch)
				return true
			case <-stop:
				return false
			}
		}
		for _, is := range want {
			r := byInv[is.InvitationID]
			if r == nil {
				skipped++
				continue
			}
			to, err := NormalizePhone(r.Phone)
			if err != nil {
				skipped++
				continue
			}
			c := Contact{InvitationID: is.InvitationID, Active: r.Active, SurveyOptOut: r.SurveyOptOut, DoNotText: r.DoNotText, Stopped: stopped[to],
				WaveStatus: w.Status, OpensAt: w.OpensAt, ClosesAt: w.ClosesAt, Answered: r.Answered}
			if Refusal(c, now, ForInvite, true) != "" {
				skipped++
				continue
			}
			notBefore, ok := zones[r.TimeZone]
			if !ok {
				notBefore = NextSendTime(start, loadZone(r.TimeZone), s.Window).UTC().Truncate(time.Second)
				zones[r.TimeZone] = notBefore
			}
			key := [2]string{is.Language, r.SchoolName}
			text, ok := body[key]
			if !ok {
				text = render(s.Locales, is.Language, inviteID, name, map[string]any{"Link": Link(s.BaseURL, tokenSlot), "School": r.SchoolName})
				body[key] = text
			}
			out = append(out, store.SMSMessage{
				DistrictID: districtID, ID: store.NewID(), InvitationID: is.InvitationID, Kind: KindInvite,
				WaveID: waveID, SchoolID: r.SchoolID, PersonID: r.PersonID, ToNumber: to, Language: is.Language,
				TimeZone: r.TimeZone, Body: text, SealedToken: s.sealToken(districtID, is.InvitationID, is.Token),
				Status: store.SMSQueued, NotBefore: notBefore, CreatedAt: now, UpdatedAt: now,
			})
			if len(out) == batch && !send() {
				return
			}
		}
		if len(out) > 0 {
			send()
		}
	}()
	queued := 0
	var werr error
	for rows := range batches {
		if werr != nil {
			continue
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(rows)
		if res.Error != nil {
			werr = res.Error
			close(stop) // the builder stops; the loop drains what it already sent
			continue
		}
		queued += int(res.RowsAffected)
	}
	if werr != nil {
		return 0, fmt.Errorf("enqueue sms for wave %d: %w", waveID, werr)
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
func optedOut(db *gorm.DB, districtID int64) (map[string]bool, error) {
	var phones []string
	if err := db.Model(&store.SMSOptOut{}).Where("district_id = ?", districtID).Pluck("phone", &phones).Error; err != nil {
		return nil, fmt.Errorf("load opt-outs: %w", err)
	}
	m := make(map[string]bool, len(phones))
	for _, p := range phones {
		m[p] = true
	}
	return m, nil
}
