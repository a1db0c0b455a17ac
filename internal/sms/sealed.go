package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/seal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// tokenSlot stands in a queued body where the link's token goes, made of a character no token
// has. It is as long as a token before routes (#19 line 3): texts queued before the upgrade
// keep theirs. A token now is up to two characters longer (its district's route), which the
// two-segment check counts (worstLink, wave.MaxTokenLen).
var tokenSlot = strings.Repeat("#", 32)

// sealContext binds a sealed token to its district and invitation: it cannot be moved to
// another row and opened there.
func sealContext(districtID, invitationID int64) string {
	return "sms-link:" + strconv.FormatInt(districtID, 10) + ":" + strconv.FormatInt(invitationID, 10)
}

func (s *Service) sealToken(districtID, invitationID int64, token string) []byte {
	return s.Sealer.Seal([]byte(token), sealContext(districtID, invitationID))
}

// linkBody is the text to send for m: its body with the sealed token put back. A token that
// cannot be opened (sealed by another instance's per-process key, or before a key change) is
// replaced by a fresh token of the same invitation, so no family loses its link; its hash is
// committed before the text goes out.
func (s *Service) linkBody(ctx context.Context, m store.SMSMessage) (string, error) {
	if !strings.Contains(m.Body, tokenSlot) {
		return m.Body, nil
	}
	if tok, err := s.Sealer.Open(m.SealedToken, sealContext(m.DistrictID, m.InvitationID)); err == nil {
		return strings.Replace(m.Body, tokenSlot, string(tok), 1), nil
	} else if !errors.Is(err, seal.ErrOpen) {
		return "", err
	}
	token, hash, err := wave.NewDistrictToken(s.Store, s.Store.DB.WithContext(ctx), m.DistrictID)
	if err != nil {
		return "", fmt.Errorf("mint a fresh link for sms %d: %w", m.ID, err)
	}
	err = s.Store.DB.WithContext(ctx).Create(&store.InvitationToken{DistrictID: m.DistrictID, TokenHash: hash, InvitationID: m.InvitationID, CreatedAt: s.now()}).Error
	if err != nil {
		return "", fmt.Errorf("mint a fresh link for sms %d: %w", m.ID, err)
	}
	s.Log.Warn("sms: sealed link could not be opened (other key); sent with a fresh link", "message_id", m.ID)
	return strings.Replace(m.Body, tokenSlot, token, 1), nil
}

// Reveal returns the messages with their links put back where this process can open them, for
// the demo's local outbox page (the only place links are shown); others keep the placeholder.
func (s *Service) Reveal(msgs []store.SMSMessage) []store.SMSMessage {
	out := make([]store.SMSMessage, len(msgs))
	for i, m := range msgs {
		if tok, err := s.Sealer.Open(m.SealedToken, sealContext(m.DistrictID, m.InvitationID)); err == nil {
			m.Body = strings.Replace(m.Body, tokenSlot, string(tok), 1)
		}
		out[i] = m
	}
	return out
}

// SealLegacy rewrites outbox rows written before links were sealed (their bodies hold a live
// token in clear): a waiting text gets its token sealed and a placeholder, any other row has its
// token redacted. It runs when the worker starts; it returns how many rows it rewrote.
// It works district by district.
func (s *Service) SealLegacy(ctx context.Context) (int, error) {
	n := 0
	err := s.Store.EachDistrict(ctx, s.district, func(district int64) error {
		k, err := s.sealLegacy(ctx, district)
		n += k
		return err
	})
	return n, err
}

// sealLegacy is SealLegacy for one district.
func (s *Service) sealLegacy(ctx context.Context, district int64) (int, error) {
	n := 0
	var last int64 = -1
	for {
		var rows []store.SMSMessage
		err := s.Store.DB.WithContext(ctx).Select("district_id, id, invitation_id, body, status").
			Where("district_id = ? AND sealed_token IS NULL AND body LIKE ? AND id > ?", district, "%/s/%", last).Order("id").Limit(500).Find(&rows).Error
		if err != nil {
			return n, fmt.Errorf("find unsealed sms bodies: %w", err)
		}
		if len(rows) == 0 {
			return n, nil
		}
		last = rows[len(rows)-1].ID
		changed := 0
		err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
			for _, m := range rows {
				tok, rest, ok := clearToken(m.Body)
				upd := map[string]any{"body": RedactLinks(m.Body)}
				if ok && (m.Status == store.SMSQueued || m.Status == store.SMSSending) {
					upd = map[string]any{"body": rest, "sealed_token": s.sealToken(m.DistrictID, m.InvitationID, tok)}
				}
				if upd["body"] == m.Body {
					continue
				}
				if err := tx.Model(&store.SMSMessage{}).Where("district_id = ? AND id = ?", m.DistrictID, m.ID).Updates(upd).Error; err != nil {
					return err
				}
				changed++
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("seal sms bodies: %w", err)
		}
		n += changed
	}
}

// clearToken finds the first survey token in body and returns it and body with tokenSlot in its
// place.
func clearToken(body string) (token, rest string, ok bool) {
	i := strings.Index(body, "/s/")
	if i < 0 {
		return "", body, false
	}
	j := i + 3
	k := j
	for k < len(body) && (body[k] >= 'a' && body[k] <= 'z' || body[k] >= '2' && body[k] <= '7') {
		k++
	}
	if !wave.ValidTokenShape(body[j:k]) {
		return "", body, false
	}
	return body[j:k], body[:j] + tokenSlot + body[k:], true
}
