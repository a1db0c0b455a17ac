package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Inbound is one text from a family, as Twilio posts it.
type Inbound struct {
	From, Body string
	// MessageSid is Twilio's id of the inbound text: a webhook Twilio delivers twice is applied once.
	MessageSid string
}

// catalogText renders messages of the shipped catalog in tag.
func catalogText(cat *locale.Catalog, tag string) textFunc {
	l := cat.Localizer(tag)
	return func(id string, data map[string]any) (string, bool) {
		if _, ok := cat.Message(tag, id); !ok {
			return "", false
		}
		return l.T(id, data), true
	}
}

// answering is the invitation an inbound text answers: the newest one texted to the number in a
// wave that is open and can be answered by text.
type answering struct {
	DistrictID   int64
	InvitationID int64
	DistrictName string
	Settings     store.Attrs
}

// findAnswering looks up the invitation a reply from phone answers, if any.
func (s *Service) findAnswering(ctx context.Context, phone string) (answering, bool, error) {
	now := s.now()
	var rows []answering
	err := s.Store.DB.WithContext(ctx).Table("sms_messages m").
		Select("m.district_id, m.invitation_id, d.name AS district_name, d.settings").
		Joins("JOIN waves w ON w.district_id = m.district_id AND w.id = m.wave_id").
		Joins("JOIN invitations i ON i.district_id = m.district_id AND i.id = m.invitation_id").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Joins("JOIN districts d ON d.district_id = m.district_id").
		Where("m.to_number = ? AND m.status IN ?", phone, []string{store.SMSSent, store.SMSDelivered, store.SMSDeliveredLocal, store.SMSUnknown}).
		Where("w.sms_answering = ? AND w.status = ? AND w.opens_at <= ? AND w.closes_at > ?", true, store.StatusOpen, now, now).
		Where("p.do_not_text = ?", false).
		Where("NOT EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.district_id = m.district_id AND o.phone = m.to_number)").
		Order("m.created_at DESC, m.id DESC").Limit(1).Scan(&rows).Error
	if err != nil {
		return answering{}, false, fmt.Errorf("find the invitation a text answers: %w", err)
	}
	if len(rows) == 0 {
		return answering{}, false, nil
	}
	return rows[0], true, nil
}

// answer applies a reply that is not a keyword to the family's conversation, if the number was
// texted an invitation of an open wave that can be answered by text; otherwise it says nothing.
//
// The first such reply starts the conversation: how to answer, then the first item. Each digit
// answers the current item and gets the next one; SKIP leaves it unanswered; anything else gets
// the scale again. Answers are saved with wave.SavePage into the invitation's draft, as a web
// page would, and the last one submits it with wave.Submit: one response, scored like any other,
// and in an anonymous wave stored without person or invitation. Replies go back as TwiML, so no
// text of the conversation is stored.
func (s *Service) answer(ctx context.Context, in Inbound) (Reply, error) {
	if s.Waves == nil {
		return Reply{}, nil
	}
	phone, err := NormalizePhone(in.From)
	if err != nil {
		return Reply{}, nil
	}
	a, ok, err := s.findAnswering(ctx, phone)
	if err != nil || !ok {
		return Reply{}, err
	}
	name := senderName(store.District{Name: a.DistrictName, Settings: a.Settings})
	sess, err := s.Waves.ByInvitation(ctx, a.DistrictID, a.InvitationID)
	tag := "en"
	if sess != nil && sess.Invitation != nil {
		if t, ok := s.Locales.Supported(sess.Invitation.Language); ok {
			tag = t
		}
	}
	switch {
	case errors.Is(err, wave.ErrUsed):
		// Answered already, by text or on the web (or Twilio repeated the last reply).
		if err := s.endConversation(ctx, a.DistrictID, a.InvitationID); err != nil {
			return Reply{}, err
		}
		return Reply{Text: render(s.Locales, tag, msgAnswerThanks, name, nil)}, nil
	case errors.Is(err, wave.ErrUnknown), errors.Is(err, wave.ErrOptedOut), errors.Is(err, wave.ErrClosed), errors.Is(err, wave.ErrNotOpen):
		return Reply{}, nil
	case err != nil:
		return Reply{}, fmt.Errorf("answer by text: %w", err)
	}
	inst := sess.Instrument
	if !Answerable(inst) || len(inst.Items) == 0 {
		s.Log.Warn("sms answering: instrument cannot be answered with one digit", "instrument", inst.ID, "points", inst.Scale.Points)
		return Reply{}, nil
	}
	text := catalogText(s.Locales, tag)
	db := s.Store.DB.WithContext(ctx)
	now := s.now()

	var conv store.SMSConversation
	err = db.Where("district_id = ? AND invitation_id = ?", a.DistrictID, a.InvitationID).Take(&conv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		conv = store.SMSConversation{DistrictID: a.DistrictID, InvitationID: a.InvitationID, Phone: phone, LastSid: in.MessageSid, CreatedAt: now, UpdatedAt: now}
		res := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&conv)
		if res.Error != nil {
			return Reply{}, fmt.Errorf("start sms conversation: %w", res.Error)
		}
		if res.RowsAffected == 1 {
			s.Log.Info("sms answering started", "district", a.DistrictID, "wave", sess.Wave.ID)
			return Reply{Text: startText(text, inst, tag), More: []string{promptText(text, inst, 0, tag)}}, nil
		}
		// A concurrent text started it: carry on from where it stands.
		err = db.Where("district_id = ? AND invitation_id = ?", a.DistrictID, a.InvitationID).Take(&conv).Error
	}
	if err != nil {
		return Reply{}, fmt.Errorf("load sms conversation: %w", err)
	}
	i := min(conv.Item, len(inst.Items)-1)
	if in.MessageSid != "" && in.MessageSid == conv.LastSid {
		return Reply{Text: promptText(text, inst, i, tag)}, nil // a repeated webhook: ask again, change nothing
	}
	value, ok := parseAnswer(in.Body, inst.Scale.Points)
	if !ok {
		return Reply{Text: retryText(text, inst, tag)}, nil
	}
	// SavePage sets every item of the page, so carry the page's other saved answers over.
	page := i / wave.PageSize
	values := map[string]string{}
	for _, j := range sess.PageItems(page) {
		if v := sess.Answer(j); v >= 0 {
			values[inst.Items[j].ID] = strconv.Itoa(v)
		}
	}
	values[inst.Items[i].ID] = value
	next := i + 1
	if err := s.Waves.SavePage(ctx, sess, page, values, nil, min(next, len(inst.Items)-1)/wave.PageSize, tag); err != nil {
		return Reply{}, fmt.Errorf("answer by text: %w", err)
	}
	res := db.Model(&store.SMSConversation{}).
		Where("district_id = ? AND invitation_id = ? AND item = ?", a.DistrictID, a.InvitationID, conv.Item).
		Updates(map[string]any{"item": next, "last_sid": in.MessageSid, "updated_at": now})
	if res.Error != nil {
		return Reply{}, fmt.Errorf("advance sms conversation: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		// Another text moved the conversation on meanwhile: ask what it stands at.
		if err := db.Where("district_id = ? AND invitation_id = ?", a.DistrictID, a.InvitationID).Take(&conv).Error; err != nil {
			return Reply{}, fmt.Errorf("load sms conversation: %w", err)
		}
		return Reply{Text: promptText(text, inst, min(conv.Item, len(inst.Items)-1), tag)}, nil
	}
	if next < len(inst.Items) {
		return Reply{Text: promptText(text, inst, next, tag)}, nil
	}
	if err := s.Waves.Submit(ctx, sess, tag); err != nil {
		if errors.Is(err, wave.ErrClosed) {
			return Reply{}, nil
		}
		return Reply{}, fmt.Errorf("answer by text: %w", err)
	}
	if err := s.endConversation(ctx, a.DistrictID, a.InvitationID); err != nil {
		return Reply{}, err
	}
	s.Log.Info("sms answering submitted", "district", a.DistrictID, "wave", sess.Wave.ID)
	return Reply{Text: render(s.Locales, tag, msgAnswerThanks, name, nil)}, nil
}

// endConversation forgets where a conversation stood (it is over, or the number said STOP).
func (s *Service) endConversation(ctx context.Context, districtID, invitationID int64) error {
	err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND invitation_id = ?", districtID, invitationID).Delete(&store.SMSConversation{}).Error
	if err != nil {
		return fmt.Errorf("end sms conversation: %w", err)
	}
	return nil
}

// endConversations ends every conversation of a number (STOP).
func (s *Service) endConversations(ctx context.Context, phone string) error {
	err := s.Store.DB.WithContext(ctx).Where("phone = ?", phone).Delete(&store.SMSConversation{}).Error
	if err != nil {
		return fmt.Errorf("end sms conversations: %w", err)
	}
	return nil
}
