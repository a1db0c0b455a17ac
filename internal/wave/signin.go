package wave

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Sign in to answer. A signed-in student or staff member sees their own invitations in open
// waves and starts one by getting a fresh link: an extra token of the invitation (kind
// KindSignIn), replacing the one any earlier start made. From there it is the personal link's
// flow, unchanged: an anonymous wave's response still stores neither person nor invitation.
// Starting writes nothing else (no audit, no log): in an anonymous wave a record of who started
// which survey when would be a path from the answer to the person.

// KindSignIn marks an invitation token made by starting a survey from /me.
const KindSignIn = "signin"

// MySurvey is one of a signed-in person's invitations in an open wave.
type MySurvey struct {
	InvitationID int64
	WaveName     string
	SchoolName   string
	Started      bool // answers saved, not submitted: "Continue"
	Done         bool
}

// Me is what a signed-in person's page shows.
type Me struct {
	GivenName string
	Language  string // the person's preferred language, when the roster has one
	Surveys   []MySurvey
}

// MySurveys lists a person's invitations in waves open now (status open, inside the window),
// unanswered first, for a person not opted out of surveys.
func (s *Service) MySurveys(ctx context.Context, districtID, personID int64) (Me, error) {
	db := s.Store.DB.WithContext(ctx)
	var p store.Person
	if err := db.Select("given_name", "preferred_language", "survey_opt_out").Where("district_id = ? AND id = ? AND active = ?", districtID, personID, true).
		First(&p).Error; err != nil {
		return Me{}, fmt.Errorf("my surveys: %w", store.NotFound(err, "person"))
	}
	me := Me{GivenName: p.GivenName, Language: p.PreferredLanguage}
	if p.SurveyOptOut {
		return me, nil
	}
	now := s.Store.Now()
	var rows []struct {
		InvitationID int64
		WaveName     string
		SchoolName   string
		Completed    bool
		DraftOwner   *string
	}
	err := db.Table("invitations i").
		Joins("JOIN waves w ON w.district_id = i.district_id AND w.id = i.wave_id").
		Joins("JOIN schools sc ON sc.district_id = i.district_id AND sc.id = i.school_id").
		Joins("LEFT JOIN drafts d ON d.district_id = i.district_id AND d.owner = 'i:' || CAST(i.id AS TEXT) AND d.submitted = ?", false).
		Where("i.district_id = ? AND i.person_id = ? AND w.status = ? AND w.opens_at <= ? AND w.closes_at > ?", districtID, personID, store.StatusOpen, now, now).
		Select("i.id AS invitation_id, w.name AS wave_name, sc.name AS school_name, i.completed_at IS NOT NULL AS completed, d.owner AS draft_owner").
		Order("i.completed_at IS NOT NULL, w.closes_at, w.name, i.id").Scan(&rows).Error
	if err != nil {
		return Me{}, fmt.Errorf("my surveys: %w", err)
	}
	for _, r := range rows {
		me.Surveys = append(me.Surveys, MySurvey{InvitationID: r.InvitationID, WaveName: r.WaveName, SchoolName: r.SchoolName,
			Done: r.Completed, Started: !r.Completed && r.DraftOwner != nil})
	}
	return me, nil
}

// StartSignedIn issues a fresh link for the person's own invitation and returns its token: the
// person's earlier sign-in link of this invitation stops working. Someone else's invitation is
// ErrUnknown (the caller answers 404, telling nothing of whose it is); an answered one ErrUsed;
// a wave not open ErrNotOpen or ErrClosed.
func (s *Service) StartSignedIn(ctx context.Context, districtID, personID, invitationID int64) (string, error) {
	token, hash, err := NewDistrictToken(s.Store, s.Store.DB.WithContext(ctx), districtID)
	if err != nil {
		return "", fmt.Errorf("start invitation %d: %w", invitationID, err)
	}
	err = s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var inv store.Invitation
		err := tx.Where("district_id = ? AND id = ? AND person_id = ?", districtID, invitationID, personID).First(&inv).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrUnknown
		}
		if err != nil {
			return err
		}
		if inv.CompletedAt != nil {
			return ErrUsed
		}
		var optedOut bool
		if err := tx.Model(&store.Person{}).Where("district_id = ? AND id = ?", districtID, personID).Pluck("survey_opt_out", &optedOut).Error; err != nil {
			return err
		}
		if optedOut {
			return ErrOptedOut
		}
		w, err := getWave(tx, districtID, inv.WaveID)
		if err != nil {
			return err
		}
		if err := checkOpen(w, s.Store.Now()); err != nil {
			return err
		}
		if err := tx.Where("district_id = ? AND invitation_id = ? AND kind = ?", districtID, inv.ID, KindSignIn).Delete(&store.InvitationToken{}).Error; err != nil {
			return err
		}
		// The day only in an anonymous wave (coarse), like every other time kept about it.
		return tx.Create(&store.InvitationToken{DistrictID: districtID, TokenHash: hash, InvitationID: inv.ID, Kind: KindSignIn, CreatedAt: s.coarse(w)}).Error
	})
	if err != nil {
		return "", fmt.Errorf("start invitation %d: %w", invitationID, err)
	}
	return token, nil
}
