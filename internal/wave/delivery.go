package wave

import (
	"context"
	"fmt"
	"slices"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Delivery is a wave's message report for one channel: how many texts or emails (invitations and
// reminders) are in each state. Counts only: no person, number or address is read.
type Delivery struct {
	Waiting   int            // queued or being sent
	Sent      int            // handed to the provider (delivered, failed or not yet known)
	Delivered int            // the provider (or the dev outbox) confirmed delivery
	Failed    int            // refused or undelivered
	Reasons   map[string]int // Failed by reason: Twilio's error code for texts ("30003"), "" when none was given
	OptedOut  int            // not sent: the person opted out, asked not to be texted, or left the roster
	Unknown   int            // a worker stopped while sending: maybe sent, never resent
}

// Total is every message of the channel.
func (d Delivery) Total() int { return d.Waiting + d.Sent + d.OptedOut + d.Unknown }

// ReasonList is Reasons sorted by count, largest first.
func (d Delivery) ReasonList() []Reason {
	var out []Reason
	for k, n := range d.Reasons {
		out = append(out, Reason{Code: k, N: n})
	}
	slices.SortFunc(out, func(a, b Reason) int {
		if a.N != b.N {
			return b.N - a.N
		}
		if a.Code < b.Code {
			return -1
		}
		return 1
	})
	return out
}

// Reason is one failure reason with its count.
type Reason struct {
	Code string
	N    int
}

// DeliveryReport counts a wave's texts (SMS) and emails by state, for the invitations of the
// given schools only (a leader sees their own schools' messages).
func (s *Service) DeliveryReport(ctx context.Context, districtID, waveID int64, schoolIDs []int64) (sms, email Delivery, err error) {
	type row struct {
		Status    string
		ErrorCode int
		N         int
	}
	ids := append([]int64{-1}, schoolIDs...)
	db := s.Store.DB.WithContext(ctx)
	var rows []row
	if err := db.Table("sms_messages AS m").Select("m.status, m.error_code, COUNT(*) AS n").
		Joins("JOIN invitations i ON i.district_id = m.district_id AND i.id = m.invitation_id").
		Where("m.district_id = ? AND m.wave_id = ? AND i.school_id IN ?", districtID, waveID, ids).
		Group("m.status, m.error_code").Scan(&rows).Error; err != nil {
		return sms, email, fmt.Errorf("delivery report: texts: %w", err)
	}
	sms = Delivery{Reasons: map[string]int{}}
	for _, r := range rows {
		code := ""
		if r.ErrorCode != 0 {
			code = fmt.Sprint(r.ErrorCode)
		}
		switch r.Status {
		case store.SMSQueued, store.SMSSending:
			sms.Waiting += r.N
		case store.SMSSent:
			sms.Sent += r.N
		case store.SMSDelivered, store.SMSDeliveredLocal:
			sms.Sent += r.N
			sms.Delivered += r.N
		case store.SMSFailed, store.SMSUndelivered:
			sms.Sent += r.N
			sms.Failed += r.N
			sms.Reasons[code] += r.N
		case store.SMSCancelled:
			sms.OptedOut += r.N
		default:
			sms.Unknown += r.N
		}
	}
	rows = nil
	if err := db.Table("email_messages AS m").Select("m.status, COUNT(*) AS n").
		Joins("JOIN invitations i ON i.district_id = m.district_id AND i.id = m.invitation_id").
		Where("m.district_id = ? AND m.wave_id = ? AND i.school_id IN ?", districtID, waveID, ids).
		Group("m.status").Scan(&rows).Error; err != nil {
		return sms, email, fmt.Errorf("delivery report: emails: %w", err)
	}
	email = Delivery{Reasons: map[string]int{}}
	for _, r := range rows {
		switch r.Status {
		case store.EmailQueued, store.EmailSending:
			email.Waiting += r.N
		case store.EmailSent:
			// Mail servers confirm nothing further: a sent mail counts as delivered.
			email.Sent += r.N
			email.Delivered += r.N
		case store.EmailFailed:
			email.Sent += r.N
			email.Failed += r.N
			email.Reasons[""] += r.N
		case store.EmailCancelled:
			email.OptedOut += r.N
		default:
			email.Unknown += r.N
		}
	}
	return sms, email, nil
}
