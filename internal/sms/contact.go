package sms

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Purpose is why a family would be texted; the contact rule differs only in what "already
// answered" means for it.
type Purpose int

const (
	// ForInvite and ForReminder texts a link: never to someone who has answered.
	ForInvite Purpose = iota
	ForReminder
	// ForAnswer replies to a family answering by text: an answered invitation still gets its
	// thank-you, so answering is no reason to stay silent.
	ForAnswer
)

// Contact is everything the contact rule reads about one invitation and its number, loaded in
// one query (loadContacts).
type Contact struct {
	InvitationID int64
	Active       bool // the person is in the roster
	SurveyOptOut bool // the family opted out of surveys (roster)
	DoNotText    bool // the roster says do not text
	Stopped      bool // the number texted STOP in this district (or the carrier said so)
	WaveStatus   string
	OpensAt      time.Time
	ClosesAt     time.Time
	Answered     bool
}

// Refusal is the one rule for whether a family may be texted about an invitation now: it
// returns why not, or "" if it may. Enqueue, the worker (just before each send), reminders and
// answering by text all ask it, so an opt-out, a STOP, a person who left, a wave that is not open
// (draft, scheduled, closed, or outside its window) or an answer already given stops every text.
// (Queuing ahead of the window is allowed: the worker asks again at send time.)
func Refusal(c Contact, now time.Time, p Purpose, queueing bool) string {
	switch {
	case !c.Active:
		return "person no longer in the roster"
	case c.SurveyOptOut:
		return "family opted out of surveys"
	case c.DoNotText:
		return "person marked do not text"
	case c.Stopped:
		return "number opted out"
	case c.WaveStatus != store.StatusOpen:
		return "wave not open (" + c.WaveStatus + ")"
	case !now.Before(c.ClosesAt):
		return "wave closed"
	case now.Before(c.OpensAt) && !queueing:
		return reasonNotYet
	case c.Answered && p != ForAnswer:
		return "already answered"
	}
	return ""
}

// reasonNotYet is the one refusal that passes: the worker waits instead of cancelling.
const reasonNotYet = "wave not open yet"

// ReasonNotYet is reasonNotYet for the other outboxes that ask Refusal (internal/email).
const ReasonNotYet = reasonNotYet

// contactColumns selects a Contact from invitations i joined with people p and waves w; the
// STOP list is matched on phone (the number the text goes to).
const contactColumns = "i.id AS invitation_id, p.active, p.survey_opt_out, p.do_not_text, " +
	"EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.district_id = i.district_id AND o.phone = ?) AS stopped, " +
	"w.status AS wave_status, w.opens_at, w.closes_at, (i.completed_at IS NOT NULL) AS answered"

// loadContact reads the rule's facts for one invitation texted to phone.
func loadContact(db *gorm.DB, districtID, invitationID int64, phone string) (Contact, error) {
	var c Contact
	err := db.Table("invitations i").Select(contactColumns, phone).
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Joins("JOIN waves w ON w.district_id = i.district_id AND w.id = i.wave_id").
		Where("i.district_id = ? AND i.id = ?", districtID, invitationID).Take(&c).Error
	if err != nil {
		return c, fmt.Errorf("load contact rule facts of invitation %d: %w", invitationID, err)
	}
	return c, nil
}

// RefusedPeople selects, in tx, the ids of a district's people whom the roster part of Refusal
// refuses (no longer active, opted out of surveys, and for texts marked do not text): the SQL
// form of the same rule, for cancelling what is queued for them in one statement.
func RefusedPeople(tx *gorm.DB, districtID int64, texts bool) *gorm.DB {
	refused := "NOT active OR survey_opt_out"
	if texts {
		refused += " OR do_not_text"
	}
	return tx.Session(&gorm.Session{NewDB: true}).Model(&store.Person{}).Select("id").Where("district_id = ? AND ("+refused+")", districtID)
}

// CancelQueuedTx cancels, in tx, the texts still waiting for the given people of a district
// whom the contact rule now refuses (opted out, marked do not text, or no longer active): what
// a roster import calls in its own transaction after writing people. A text already handed to
// the worker ("sending") is checked again by the worker just before it goes. It returns how many
// it cancelled.
func CancelQueuedTx(tx *gorm.DB, districtID int64, personIDs []int64, now time.Time) (int64, error) {
	var n int64
	for len(personIDs) > 0 {
		b := personIDs[:min(len(personIDs), 1000)]
		personIDs = personIDs[len(b):]
		res := tx.Model(&store.SMSMessage{}).
			Where("district_id = ? AND status = ? AND person_id IN ?", districtID, store.SMSQueued, b).
			Where("person_id IN (?)", RefusedPeople(tx, districtID, true)).
			Updates(map[string]any{"status": store.SMSCancelled, "last_error": "cancelled: roster opt-out or person left",
				"sealed_token": nil, "updated_at": now})
		if res.Error != nil {
			return n, fmt.Errorf("cancel queued texts: %w", res.Error)
		}
		n += res.RowsAffected
	}
	return n, nil
}
