package wave

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Issued is a freshly made invitation with its token: the only moment the token exists in clear.
type Issued struct {
	InvitationID int64
	PersonID     int64
	SchoolID     int64
	Token        string
	Language     string
	Channel      string
}

// recipient is one person to invite at one school.
type recipient struct {
	PersonID          int64
	SchoolID          int64
	PreferredLanguage string
	Phone             string
	DoNotText         bool
	Email             string
}

// Invite creates the missing invitations of a wave: everyone in its audience and schools who is
// active, not opted out of surveys and not yet invited. A guardian of several children in one
// school gets one invitation for that school. When the wave is open, their messages are queued
// in the same transaction (a draft or scheduled wave queues nothing: opening it does).
func (s *Service) Invite(ctx context.Context, districtID, waveID int64) ([]Issued, error) {
	var issued []Issued
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		w, err := getWave(tx, districtID, waveID)
		if err != nil {
			return err
		}
		issued, err = s.inviteTx(ctx, tx, w, s.Store.Now(), false)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("invite wave %d: %w", waveID, err)
	}
	return issued, nil
}

// inviteTx makes the missing invitations of w in tx and, when w is open, queues their messages.
// retext also gives a fresh token to the unanswered SMS invitations that have no text queued or
// sent (made while the wave was a draft, whose tokens nobody kept), so opening texts them too.
func (s *Service) inviteTx(ctx context.Context, tx *gorm.DB, w store.Wave, now time.Time, retext bool) ([]Issued, error) {
	districtID, waveID := w.DistrictID, w.ID
	var issued []Issued
	people, err := audience(tx, w)
	if err != nil {
		return nil, err
	}
	var existing []struct{ PersonID, SchoolID int64 }
	if err := tx.Model(&store.Invitation{}).Select("person_id, school_id").Where("district_id = ? AND wave_id = ?", districtID, waveID).Scan(&existing).Error; err != nil {
		return nil, err
	}
	have := make(map[[2]int64]bool, len(existing))
	for _, e := range existing {
		have[[2]int64{e.PersonID, e.SchoolID}] = true
	}
	route, err := s.Store.RouteOf(tx, districtID)
	if err != nil {
		return nil, err
	}
	sms := slices.Contains(strings.Split(w.Channels, ","), "sms")
	// Email is for staff and students with an address in the roster; families keep SMS.
	mail := slices.Contains(strings.Split(w.Channels, ","), "email") && w.Audience != "family"
	rows := make([]store.Invitation, 0, len(people))
	for _, p := range people {
		if have[[2]int64{p.PersonID, p.SchoolID}] {
			continue
		}
		have[[2]int64{p.PersonID, p.SchoolID}] = true
		token, hash := NewToken(route)
		channel := "link"
		if sms && p.Phone != "" && !p.DoNotText {
			channel = "sms"
		}
		if mail && p.Email != "" {
			channel = "email"
		}
		lang := p.PreferredLanguage // the importer fills it from the home language when absent
		inv := store.Invitation{DistrictID: districtID, ID: store.NewID(), WaveID: waveID, PersonID: p.PersonID, SchoolID: p.SchoolID,
			TokenHash: hash, Channel: channel, Language: lang, CreatedAt: now}
		rows = append(rows, inv)
		issued = append(issued, Issued{InvitationID: inv.ID, PersonID: p.PersonID, SchoolID: p.SchoolID, Token: token, Language: lang, Channel: channel})
	}
	if len(rows) > 0 {
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return nil, err
		}
	}
	if retext && (sms || mail) {
		var untexted []store.Invitation
		if err := tx.Where("district_id = ? AND wave_id = ? AND completed_at IS NULL", districtID, waveID).
			Where("(channel = 'sms' AND NOT EXISTS (SELECT 1 FROM sms_messages m WHERE m.district_id = invitations.district_id AND m.invitation_id = invitations.id))" +
				" OR (channel = 'email' AND NOT EXISTS (SELECT 1 FROM email_messages m WHERE m.district_id = invitations.district_id AND m.invitation_id = invitations.id))").
			Find(&untexted).Error; err != nil {
			return nil, err
		}
		fresh := map[int64]bool{}
		for _, r := range rows {
			fresh[r.ID] = true
		}
		for _, inv := range untexted {
			if fresh[inv.ID] {
				continue
			}
			token, hash := NewToken(route)
			if err := tx.Model(&store.Invitation{}).Where("district_id = ? AND id = ?", districtID, inv.ID).Update("token_hash", hash).Error; err != nil {
				return nil, err
			}
			issued = append(issued, Issued{InvitationID: inv.ID, PersonID: inv.PersonID, SchoolID: inv.SchoolID, Token: token, Language: inv.Language, Channel: inv.Channel})
		}
	}
	if s.Notifier != nil && len(issued) > 0 && w.Status == store.StatusOpen {
		if _, err := s.Notifier.EnqueueTx(ctx, tx, w, issued); err != nil {
			return nil, fmt.Errorf("queue messages: %w", err)
		}
	}
	return issued, nil
}

// audience lists who a wave invites. Opted-out people are never invited.
func audience(tx *gorm.DB, w store.Wave) ([]recipient, error) {
	var out []recipient
	base := func(kind string) *gorm.DB {
		return tx.Table("people p").
			Joins("JOIN person_schools ps ON ps.district_id = p.district_id AND ps.person_id = p.id").
			Joins("JOIN wave_schools ws ON ws.district_id = ps.district_id AND ws.school_id = ps.school_id AND ws.wave_id = ?", w.ID).
			Where("p.district_id = ? AND p.kind = ? AND p.active = ? AND p.survey_opt_out = ?", w.DistrictID, kind, true, false)
	}
	cols := "p.id AS person_id, ps.school_id AS school_id, p.preferred_language, p.phone, p.do_not_text, p.email"
	var q *gorm.DB
	switch w.Audience {
	case "student":
		q = base(store.KindStudent).Select(cols)
		if g := w.AudienceFilter["grades"]; g != "" {
			q = q.Where("p.grade IN ?", strings.Split(g, ","))
		}
	case "staff":
		q = base(store.KindStaff).Select(cols)
		if r := w.AudienceFilter["roles"]; r != "" {
			q = q.Where("p.role IN ?", strings.Split(r, ","))
		}
	case "family":
		// Guardians reach a school through an active child enrolled there; DISTINCT gives one
		// invitation per guardian per school however many children they have in it.
		q = tx.Table("people g").
			Joins("JOIN guardian_links gl ON gl.district_id = g.district_id AND gl.guardian_id = g.id").
			Joins("JOIN people c ON c.district_id = gl.district_id AND c.id = gl.student_id AND c.active = ?", true).
			Joins("JOIN person_schools ps ON ps.district_id = c.district_id AND ps.person_id = c.id").
			Joins("JOIN wave_schools ws ON ws.district_id = ps.district_id AND ws.school_id = ps.school_id AND ws.wave_id = ?", w.ID).
			Where("g.district_id = ? AND g.kind = ? AND g.active = ? AND g.survey_opt_out = ?", w.DistrictID, store.KindGuardian, true, false).
			Distinct("g.id AS person_id, ps.school_id AS school_id, g.preferred_language, g.phone, g.do_not_text")
	default:
		return nil, fmt.Errorf("unknown audience %q", w.Audience)
	}
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list audience: %w", err)
	}
	return out, nil
}

// Reissue gives an existing, unanswered invitation a new token (the old link stops working) and
// returns it: for a lost link, and for the demo, which prints live links on every start.
func (s *Service) Reissue(ctx context.Context, districtID, invitationID int64) (string, error) {
	db := s.Store.DB.WithContext(ctx)
	token, hash, err := NewDistrictToken(s.Store, db, districtID)
	if err != nil {
		return "", fmt.Errorf("reissue invitation: %w", err)
	}
	res := db.Model(&store.Invitation{}).
		Where("district_id = ? AND id = ? AND completed_at IS NULL", districtID, invitationID).
		Update("token_hash", hash)
	if res.Error != nil {
		return "", fmt.Errorf("reissue invitation: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return "", fmt.Errorf("reissue invitation %d: not found or already answered", invitationID)
	}
	return token, nil
}

// IssueCode makes an open-link code for a school (and optionally one class) in an anonymous wave.
func (s *Service) IssueCode(ctx context.Context, districtID, waveID, schoolID int64, classID *int64) (string, error) {
	w, err := s.Get(ctx, districtID, waveID)
	if err != nil {
		return "", fmt.Errorf("issue code: %w", err)
	}
	if w.Mode != store.ModeAnonymous {
		return "", fmt.Errorf("issue code: wave %d is confidential; class codes are for anonymous waves only", waveID)
	}
	for attempt := 0; attempt < 5; attempt++ {
		code := NewCode()
		// Codes arrive without a district, so they must be unique across districts too:
		// code_districts' primary key refuses a code another district holds, and the code's
		// lookup reads its district there (#19 line 3). Both rows or neither.
		err := s.Store.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := tx.Create(&store.CodeDistrict{Code: code, DistrictID: districtID}).Error; err != nil {
				return err
			}
			return tx.Create(&store.WaveCode{DistrictID: districtID, Code: code, WaveID: waveID, SchoolID: schoolID, ClassID: classID}).Error
		})
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("issue code: %w", err)
		}
		return code, nil
	}
	return "", fmt.Errorf("issue code: no free code after 5 tries")
}
