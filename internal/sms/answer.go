package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

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

// answering is the invitation an inbound text answers (see findAnswering).
type answering struct {
	DistrictID   int64
	InvitationID int64
	DistrictName string
	Settings     store.Attrs
}

// findAnswering looks up the invitation a reply from phone answers, if any: of the invitations
// texted to the number in waves that are open and can be answered by text, the one whose
// conversation is under way, else one not answered yet, else (a text after the end, which gets
// the thank-you) an answered one; the newest first within each. Invitations texted in one batch
// are equally new: their ids decide, so every text picks the same one until it is answered.
func (s *Service) findAnswering(ctx context.Context, phone string) (answering, bool, error) {
	now := s.now()
	var rows []struct {
		DistrictID   int64
		DistrictName string
		Settings     store.Attrs
		Contact
	}
	// The contact rule decides which of them may be answered; the query only orders candidates.
	err := s.Store.DB.WithContext(ctx).Table("sms_messages m").
		Select("m.district_id, d.name AS district_name, d.settings, "+contactColumns, phone).
		Joins("JOIN waves w ON w.district_id = m.district_id AND w.id = m.wave_id").
		Joins("JOIN invitations i ON i.district_id = m.district_id AND i.id = m.invitation_id").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Joins("JOIN districts d ON d.district_id = m.district_id").
		Joins("LEFT JOIN sms_conversations c ON c.district_id = m.district_id AND c.invitation_id = m.invitation_id").
		Where("m.to_number = ? AND m.status IN ?", phone, []string{store.SMSSent, store.SMSDelivered, store.SMSDeliveredLocal, store.SMSUnknown}).
		Where("w.sms_answering = ? AND w.status = ?", true, store.StatusOpen).
		Order("CASE WHEN c.invitation_id IS NULL THEN 1 ELSE 0 END, CASE WHEN i.completed_at IS NULL THEN 0 ELSE 1 END").
		Order("m.created_at DESC, m.district_id, m.invitation_id").Limit(50).Scan(&rows).Error
	if err != nil {
		return answering{}, false, fmt.Errorf("find the invitation a text answers: %w", err)
	}
	for _, r := range rows {
		if Refusal(r.Contact, now, ForAnswer, false) == "" {
			return answering{DistrictID: r.DistrictID, InvitationID: r.InvitationID, DistrictName: r.DistrictName, Settings: r.Settings}, true, nil
		}
	}
	return answering{}, false, nil
}

// answer applies a reply that is not a keyword to the family's conversation, if the number was
// texted an invitation of an open wave that can be answered by text; otherwise it says nothing.
//
// The first such reply starts the conversation: how to answer, then the first item. Each digit
// answers the current item and gets the next one; SKIP leaves it unanswered; anything else gets
// the scale again. Answers are saved with wave.SavePageTx into the invitation's draft, as a web
// page would, and the last one submits it with wave.SubmitTx: one response, scored like any
// other, and in an anonymous wave stored without person or invitation. Replies go back as TwiML,
// so no text of the conversation is stored.
//
// Each text is applied in one transaction that first locks the invitation: texts arriving
// together from one number (or Twilio delivering one twice) take turns, each reading the draft
// and the conversation the one before left, so no acknowledged answer is overwritten and nothing
// is saved after the submission.
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
	var reply Reply
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		reply, err = s.answerIn(ctx, tx, a, phone, in)
		return err
	})
	if err != nil {
		return Reply{}, fmt.Errorf("answer by text: %w", err)
	}
	return reply, nil
}

// answerIn applies one text to invitation a in tx (see answer).
func (s *Service) answerIn(ctx context.Context, tx *gorm.DB, a answering, phone string, in Inbound) (Reply, error) {
	name := senderName(store.District{Name: a.DistrictName, Settings: a.Settings})
	sess, err := s.Waves.ByInvitationTx(ctx, tx, a.DistrictID, a.InvitationID)
	tag := s.sessionTag(sess)
	switch {
	case errors.Is(err, wave.ErrUsed):
		// Answered already, by text or on the web (or a text sent with the last answer).
		if err := endConversation(tx, a.DistrictID, a.InvitationID); err != nil {
			return Reply{}, err
		}
		return Reply{Text: render(s.Locales, tag, msgAnswerThanks, name, nil)}, nil
	case errors.Is(err, wave.ErrUnknown), errors.Is(err, wave.ErrOptedOut), errors.Is(err, wave.ErrClosed), errors.Is(err, wave.ErrNotOpen):
		return Reply{}, nil
	case err != nil:
		return Reply{}, err
	}
	inst := sess.Instrument
	if !Answerable(inst) || len(inst.Items) == 0 {
		s.Log.Warn("sms answering: instrument cannot be answered with one digit", "instrument", inst.ID, "points", inst.Scale.Points)
		return Reply{}, nil
	}
	text := catalogText(s.Locales, tag)
	conv, found, err := loadConversation(tx, a)
	if err != nil {
		return Reply{}, err
	}
	fresh, err := s.recordInbound(tx, a.DistrictID, in.MessageSid)
	if err != nil {
		return Reply{}, err
	}
	switch {
	case !fresh && !found:
		return Reply{}, nil // a replay of a conversation that was stopped: start nothing
	case !fresh:
		// Applied already (Twilio delivered it again, or an older text was replayed): ask again.
		return Reply{Text: promptText(text, inst, min(conv.Item, len(inst.Items)-1), tag)}, nil
	case !found:
		conv = store.SMSConversation{DistrictID: a.DistrictID, InvitationID: a.InvitationID, Phone: phone, CreatedAt: s.now(), UpdatedAt: s.now()}
		if err := tx.Create(&conv).Error; err != nil {
			return Reply{}, fmt.Errorf("start sms conversation: %w", err)
		}
		s.Log.Info("sms answering started", "district", a.DistrictID, "wave", sess.Wave.ID)
		return Reply{Text: startText(text, inst, tag), More: []string{promptText(text, inst, 0, tag)}}, nil
	}
	i := min(conv.Item, len(inst.Items)-1)
	value, ok := parseAnswer(in.Body, inst.Scale.Points)
	if !ok {
		return Reply{Text: retryText(text, inst, tag)}, nil
	}
	if err := s.saveAnswer(ctx, tx, sess, i, value, tag); err != nil {
		return Reply{}, err
	}
	next := i + 1
	if err := tx.Model(&store.SMSConversation{}).Where("district_id = ? AND invitation_id = ?", a.DistrictID, a.InvitationID).
		Updates(map[string]any{"item": next, "updated_at": s.now()}).Error; err != nil {
		return Reply{}, fmt.Errorf("advance sms conversation: %w", err)
	}
	if next < len(inst.Items) {
		return Reply{Text: promptText(text, inst, next, tag)}, nil
	}
	return s.submitAnswers(ctx, tx, sess, a, name, tag)
}

// sessionTag is the locale the family is texted in: the invitation's language when the catalog
// has it, else English.
func (s *Service) sessionTag(sess *wave.Session) string {
	if sess != nil && sess.Invitation != nil {
		if t, ok := s.Locales.Supported(sess.Invitation.Language); ok {
			return t
		}
	}
	return "en"
}

// saveAnswer saves value as the answer to item i in the session's draft, in tx. SavePageTx sets
// every item of the page, so the page's other saved answers are carried over; sess was read in
// tx, under the invitation's lock, so they are the latest.
func (s *Service) saveAnswer(ctx context.Context, tx *gorm.DB, sess *wave.Session, i int, value, tag string) error {
	inst := sess.Instrument
	page := i / wave.PageSize
	values := map[string]string{}
	for _, j := range sess.PageItems(page) {
		if v := sess.Answer(j); v >= 0 {
			values[inst.Items[j].ID] = strconv.Itoa(v)
		}
	}
	values[inst.Items[i].ID] = value
	nextPage := min(i+1, len(inst.Items)-1) / wave.PageSize
	return s.Waves.SavePageTx(ctx, tx, sess, page, values, nil, nextPage, tag)
}

// submitAnswers submits the answers after the last item, in tx, and ends the conversation.
func (s *Service) submitAnswers(ctx context.Context, tx *gorm.DB, sess *wave.Session, a answering, name, tag string) (Reply, error) {
	if err := s.Waves.SubmitTx(ctx, tx, sess, tag); err != nil {
		if errors.Is(err, wave.ErrClosed) {
			return Reply{}, nil
		}
		return Reply{}, err
	}
	if err := endConversation(tx, a.DistrictID, a.InvitationID); err != nil {
		return Reply{}, err
	}
	s.Log.Info("sms answering submitted", "district", a.DistrictID, "wave", sess.Wave.ID)
	s.Metrics.Submission("sms") // counted before the commit: a rare rollback over-counts by one
	return Reply{Text: render(s.Locales, tag, msgAnswerThanks, name, nil)}, nil
}

// loadConversation reads where the conversation of invitation a stands; found is false when it
// has not started (or was stopped).
func loadConversation(tx *gorm.DB, a answering) (conv store.SMSConversation, found bool, err error) {
	err = tx.Where("district_id = ? AND invitation_id = ?", a.DistrictID, a.InvitationID).Take(&conv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return conv, false, nil
	}
	if err != nil {
		return conv, false, fmt.Errorf("load sms conversation: %w", err)
	}
	return conv, true, nil
}

// recordInbound records that the text sid is being applied; fresh is false when it was before, in
// any district (a replay may land on another district's invitation of the same number). A text
// without an id (HandleInbound) is always fresh. The row commits or rolls back with the text's
// other changes, so a text that failed is applied when Twilio retries it.
func (s *Service) recordInbound(tx *gorm.DB, districtID int64, sid string) (fresh bool, err error) {
	if sid == "" {
		return true, nil
	}
	var seen int64
	if err := tx.Model(&store.SMSInbound{}).Where("message_sid = ?", sid).Count(&seen).Error; err != nil {
		return false, fmt.Errorf("look up inbound text: %w", err)
	}
	if seen > 0 {
		return false, nil
	}
	// The day only: enough to purge old rows by, too coarse to match a text to an answer.
	row := store.SMSInbound{DistrictID: districtID, MessageSid: sid, CreatedAt: s.now().Truncate(24 * time.Hour)}
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return false, fmt.Errorf("record inbound text: %w", res.Error)
	}
	return res.RowsAffected == 1, nil
}

// endConversation forgets where a conversation stood (it is over).
func endConversation(tx *gorm.DB, districtID, invitationID int64) error {
	err := tx.Where("district_id = ? AND invitation_id = ?", districtID, invitationID).Delete(&store.SMSConversation{}).Error
	if err != nil {
		return fmt.Errorf("end sms conversation: %w", err)
	}
	return nil
}

// endConversations ends every conversation of a number (STOP) in the districts it belongs to
// (districtsOf: a conversation follows a text, so its district is among them).
func endConversations(tx *gorm.DB, districts []store.District, phone string) error {
	for _, d := range districts {
		if err := tx.Where("district_id = ? AND phone = ?", d.DistrictID, phone).Delete(&store.SMSConversation{}).Error; err != nil {
			return fmt.Errorf("end sms conversations: %w", err)
		}
	}
	return nil
}
