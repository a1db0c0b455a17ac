package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/store"
)

// StatusCallbackURL is where Twilio reports the delivery of message id of a district: the
// district is in the URL, so the callback's lookup names it; Twilio's signature covers it.
func StatusCallbackURL(base string, districtID, id int64) string {
	return base + "/webhooks/twilio/status?d=" + strconv.FormatInt(districtID, 10) + "&m=" + strconv.FormatInt(id, 10)
}

// ErrUnknownMessage is a status callback for a message we do not have.
var ErrUnknownMessage = errors.New("unknown sms message")

// RecordStatus applies a Twilio status callback to our message (district and id from the
// callback URL, StatusCallbackURL). Callbacks arrive out of order, so a status only ever moves
// forward; a callback for a message marked "unknown" (its worker stopped mid-send) settles it.
// districtID 0 is a callback URL given to Twilio before URLs named the district (#19 line 3):
// the message is looked for in every district, as then.
func (s *Service) RecordStatus(ctx context.Context, districtID, messageID int64, providerSid, twilioStatus string, errorCode string) error {
	st := mapTwilioStatus(twilioStatus)
	if st == "" {
		return nil // a status we do not track (e.g. "receiving")
	}
	return s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var m store.SMSMessage
		q := tx.Select("district_id, id, status, provider_sid")
		if districtID != 0 {
			q = q.Where("district_id = ? AND id = ?", districtID, messageID)
		} else {
			q = q.Where("id = ?", messageID)
		}
		err := q.First(&m).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("status for sms %d: %w", messageID, ErrUnknownMessage)
		}
		if err != nil {
			return fmt.Errorf("status for sms %d: %w", messageID, err)
		}
		if m.ProviderSid != "" && providerSid != "" && m.ProviderSid != providerSid {
			return fmt.Errorf("status for sms %d: message sid does not match: %w", messageID, ErrUnknownMessage)
		}
		if statusRank(st) <= statusRank(m.Status) {
			return nil
		}
		upd := map[string]any{"status": st, "updated_at": s.now()}
		if m.ProviderSid == "" && providerSid != "" {
			upd["provider_sid"] = providerSid
		}
		if code, err := strconv.Atoi(errorCode); err == nil && code != 0 {
			upd["error_code"] = code
		}
		return tx.Model(&store.SMSMessage{}).Where("district_id = ? AND id = ? AND status = ?", m.DistrictID, m.ID, m.Status).Updates(upd).Error
	})
}

// Reply is the answer to an inbound text: empty means say nothing.
type Reply struct {
	Text string
	More []string // further texts, sent after Text in this order
}

// HandleInbound applies an inbound text from a family (see HandleText) without a message id.
func (s *Service) HandleInbound(ctx context.Context, from, body string) (Reply, error) {
	return s.HandleText(ctx, Inbound{From: from, Body: body})
}

// HandleText applies an inbound text from a family: STOP-type keywords opt the number out in
// every district that has texted it (or lists it) and end any answering by text, START-type ones
// opt it back in, HELP answers with who we are, how to reach the school and how to stop. Any
// other text answers the survey when the number's newest invitation belongs to an open wave that
// can be answered by text (see answer); otherwise it gets no answer.
func (s *Service) HandleText(ctx context.Context, in Inbound) (Reply, error) {
	from, body := in.From, in.Body
	kind, lang := s.ParseKeyword(body)
	if kind == KeywordNone {
		return s.answer(ctx, in)
	}
	phone, err := NormalizePhone(from)
	if err != nil {
		return Reply{}, nil // not a phone number we could have texted
	}
	districts, err := s.districtsOf(ctx, phone)
	if err != nil {
		return Reply{}, err
	}
	name, contact := "TrustPulse", s.BaseURL // a number no district knows: still say who we are
	if len(districts) > 0 {
		name, contact = senderName(districts[0]), districtContact(districts[0], s.BaseURL)
	}
	// A keyword text is applied once per MessageSid, like an answer: a signed START replayed
	// after a later STOP (or Twilio delivering a webhook twice) changes nothing and gets no reply.
	// The sid is recorded in the same transaction as the opt-out change, so a text that failed is
	// applied when Twilio retries it.
	var reply Reply
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		if len(districts) > 0 {
			fresh, err := s.recordInbound(tx, districts[0].DistrictID, in.MessageSid)
			if err != nil {
				return err
			}
			if !fresh {
				s.Log.Info("sms keyword replayed: ignored", "to", maskNumber(phone))
				return nil
			}
		}
		switch kind {
		case KeywordStop:
			for _, d := range districts {
				if err := s.recordOptOutTx(tx, d.DistrictID, phone, normalizeKeyword(body)); err != nil {
					return err
				}
			}
			if err := endConversations(tx, districts, phone); err != nil {
				return err
			}
			s.Log.Info("sms opt-out", "to", maskNumber(phone), "districts", len(districts))
			if lang != "" { // Twilio's own opt-out confirmation answers English keywords
				reply = Reply{Text: render(s.Locales, lang, msgStopped, name, nil)}
			}
		case KeywordStart:
			for _, d := range districts { // districtsOf includes every district holding its opt-out
				if err := tx.Where("district_id = ? AND phone = ?", d.DistrictID, phone).Delete(&store.SMSOptOut{}).Error; err != nil {
					return fmt.Errorf("opt back in: %w", err)
				}
			}
			s.Log.Info("sms opt-in", "to", maskNumber(phone))
			if lang != "" {
				reply = Reply{Text: render(s.Locales, lang, msgStarted, name, nil)}
			}
		default:
			if lang == "" {
				lang = "en"
			}
			reply = Reply{Text: render(s.Locales, lang, msgHelp, name, map[string]any{"Contact": contact})}
		}
		return nil
	})
	if err != nil {
		return Reply{}, err
	}
	return reply, nil
}

// districtContact is the HELP contact: the district's SettingContact, else the site URL.
func districtContact(d store.District, baseURL string) string {
	if c := d.Settings[SettingContact]; c != "" {
		return c
	}
	return baseURL
}

// districtsOf lists the districts that texted phone, hold it as a person's number, or hold its
// opt-out: all of them, so a STOP reaches a district that lists the number but has not texted it
// yet, and a START is recognised where only the opt-out is left (sent rows and people purged).
func (s *Service) districtsOf(ctx context.Context, phone string) ([]store.District, error) {
	db := s.Store.DB.WithContext(ctx)
	seen := map[int64]bool{}
	for _, m := range []any{&store.SMSMessage{}, &store.Person{}, &store.SMSOptOut{}} {
		col := "phone"
		if _, ok := m.(*store.SMSMessage); ok {
			col = "to_number"
		}
		var ids []int64
		if err := db.Model(m).Distinct("district_id").Where(col+" = ?", phone).Pluck("district_id", &ids).Error; err != nil {
			return nil, fmt.Errorf("find districts of a number: %w", err)
		}
		for _, id := range ids {
			seen[id] = true
		}
	}
	if len(seen) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	var ds []store.District
	if err := db.Where("district_id IN ?", ids).Order("district_id").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("load districts: %w", err)
	}
	return ds, nil
}

// recordOptOut stores an opt-out (idempotently).
func (s *Service) recordOptOut(ctx context.Context, districtID int64, phone, keyword string) error {
	return s.recordOptOutTx(s.Store.DB.WithContext(ctx), districtID, phone, keyword)
}

// recordOptOutTx stores an opt-out (idempotently) in tx.
func (s *Service) recordOptOutTx(tx *gorm.DB, districtID int64, phone, keyword string) error {
	row := store.SMSOptOut{DistrictID: districtID, Phone: phone, Keyword: keyword, CreatedAt: s.now()}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("record opt-out: %w", err)
	}
	return nil
}

// OptedOut reports whether phone opted out in the district.
func (s *Service) OptedOut(ctx context.Context, districtID int64, phone string) (bool, error) {
	var n int64
	err := s.Store.DB.WithContext(ctx).Model(&store.SMSOptOut{}).Where("district_id = ? AND phone = ?", districtID, phone).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("check opt-out: %w", err)
	}
	return n > 0, nil
}

// Recent lists the newest outbox messages, for the dev outbox page.
func (s *Service) Recent(ctx context.Context, n int) ([]store.SMSMessage, error) {
	var msgs []store.SMSMessage
	if err := s.Store.DB.WithContext(ctx).Order("created_at DESC, id").Limit(n).Find(&msgs).Error; err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return msgs, nil
}
