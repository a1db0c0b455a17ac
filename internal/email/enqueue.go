package email

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// recipient is what EnqueueTx needs to know about one email invitation.
type recipient struct {
	InvitationID int64
	PersonID     int64
	Email        string
	GivenName    string
	Active       bool
	SurveyOptOut bool
	Answered     bool
}

// contact is the contact rule's facts for an email: the texting-only facts (do not text, the
// STOP list) do not apply to mail.
func contact(r recipient, w store.Wave) sms.Contact {
	return sms.Contact{InvitationID: r.InvitationID, Active: r.Active, SurveyOptOut: r.SurveyOptOut,
		WaveStatus: w.Status, OpensAt: w.OpensAt, ClosesAt: w.ClosesAt, Answered: r.Answered}
}

// EnqueueTx queues, in tx, the invitation mails of freshly issued invitations of channel
// "email" (made in tx by wave.Service, the only moment their tokens exist in clear), so the
// invitations and their mails commit together; it implements wave.Notifier. Only whom the
// contact rule (sms.Refusal) allows gets a row, and a wave that is not open queues nothing. The
// body holds a placeholder where the token goes; the token is sealed in sealed_token. Already
// queued invitations are skipped (the outbox key). It returns how many rows it queued.
func (s *Service) EnqueueTx(ctx context.Context, tx *gorm.DB, w store.Wave, issued []wave.Issued) (int, error) {
	var want []wave.Issued
	for _, is := range issued {
		if is.Channel == ChannelEmail {
			want = append(want, is)
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	now := s.now()
	if r := sms.Refusal(sms.Contact{Active: true, WaveStatus: w.Status, OpensAt: w.OpensAt, ClosesAt: w.ClosesAt}, now, sms.ForInvite, true); r != "" {
		s.Log.Info("email not queued", "district", w.DistrictID, "wave", w.ID, "reason", r)
		return 0, nil
	}
	var district store.District
	if err := tx.Where("district_id = ?", w.DistrictID).First(&district).Error; err != nil {
		return 0, store.NotFound(err, "enqueue email: district")
	}
	var rows []recipient
	err := tx.Table("invitations i").
		Select("i.id AS invitation_id, i.person_id, p.email, p.given_name, p.active, p.survey_opt_out, (i.completed_at IS NOT NULL) AS answered").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("i.district_id = ? AND i.wave_id = ? AND i.channel = ?", w.DistrictID, w.ID, ChannelEmail).
		Scan(&rows).Error
	if err != nil {
		return 0, fmt.Errorf("enqueue email: load recipients: %w", err)
	}
	byInv := make(map[int64]*recipient, len(rows))
	for i := range rows {
		byInv[rows[i].InvitationID] = &rows[i]
	}
	start := now
	if w.OpensAt.After(start) {
		start = w.OpensAt
	}
	start = start.UTC().Truncate(time.Second)
	const batch = 1000
	out := make([]store.EmailMessage, 0, min(batch, len(want)))
	queued, skipped := 0, 0
	flush := func() error {
		if len(out) == 0 {
			return nil
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(out)
		if res.Error != nil {
			return fmt.Errorf("enqueue email for wave %d: %w", w.ID, res.Error)
		}
		queued += int(res.RowsAffected)
		out = out[:0]
		return nil
	}
	mails := newTexts(s.Locales, KindInvite, district.Name, s.BaseURL)
	for _, is := range want {
		r := byInv[is.InvitationID]
		if r == nil || !ValidAddress(r.Email) || sms.Refusal(contact(*r, w), now, sms.ForInvite, true) != "" {
			skipped++
			continue
		}
		subject, body := mails.of(is.Language, r.GivenName)
		out = append(out, store.EmailMessage{
			DistrictID: w.DistrictID, ID: store.NewID(), InvitationID: is.InvitationID, Kind: KindInvite, WaveID: w.ID,
			PersonID: r.PersonID, ToAddress: r.Email, Language: is.Language, Subject: subject, Body: body,
			SealedToken: s.sealToken(w.DistrictID, is.InvitationID, is.Token), Status: store.EmailQueued,
			NextAttemptAt: start, CreatedAt: now, UpdatedAt: now,
		})
		if len(out) == batch {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := flush(); err != nil {
		return 0, err
	}
	s.Log.Info("email queued", "district", w.DistrictID, "wave", w.ID, "queued", queued, "skipped", skipped)
	return queued, nil
}

// ChannelEmail is the invitation channel (and wave channel) of mailed links.
const ChannelEmail = "email"

// sealContext binds a sealed token to its district and invitation.
func sealContext(districtID, invitationID int64) string {
	return "email-link:" + strconv.FormatInt(districtID, 10) + ":" + strconv.FormatInt(invitationID, 10)
}

func (s *Service) sealToken(districtID, invitationID int64, token string) []byte {
	return s.Sealer.Seal([]byte(token), sealContext(districtID, invitationID))
}

// CancelQueuedTx cancels, in tx, the mails still waiting for the given people whom the contact
// rule now refuses (opted out of surveys, or no longer active): what a roster import calls in
// its transaction, next to sms.CancelQueuedTx. A mail already claimed is checked again by the
// worker just before it goes. It returns how many it cancelled.
func CancelQueuedTx(tx *gorm.DB, districtID int64, personIDs []int64, now time.Time) (int64, error) {
	var n int64
	for len(personIDs) > 0 {
		b := personIDs[:min(len(personIDs), 1000)]
		personIDs = personIDs[len(b):]
		res := tx.Model(&store.EmailMessage{}).
			Where("district_id = ? AND status = ? AND person_id IN ?", districtID, store.EmailQueued, b).
			Where("person_id IN (?)", sms.RefusedPeople(tx, districtID, false)).
			Updates(map[string]any{"status": store.EmailCancelled, "last_error": "cancelled: roster opt-out or person left",
				"sealed_token": nil, "updated_at": now})
		if res.Error != nil {
			return n, fmt.Errorf("cancel queued mails: %w", res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}
