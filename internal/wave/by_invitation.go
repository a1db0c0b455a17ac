package wave

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// ByInvitation opens the session of an invitation known by its id rather than its link token:
// for answering by text, where the family is found by the number we texted and the token (kept
// only as a hash) is not at hand. It is ByToken's session, with the same checks and errors: the
// same draft ("i:<invitation>"), so SavePage and Submit treat it exactly like a web session.
func (s *Service) ByInvitation(ctx context.Context, districtID, invitationID int64) (*Session, error) {
	return s.byInvitation(s.Store.DB.WithContext(ctx), false, districtID, invitationID)
}

// ByInvitationTx is ByInvitation inside the caller's transaction tx, with the invitation locked
// until tx ends (on PostgreSQL its row; SQLite's BEGIN IMMEDIATE holds the whole database). Texts
// that arrive together from one number are so applied one after another, each to the draft the
// one before left, and none after a submission: use SavePageTx and SubmitTx in the same tx.
func (s *Service) ByInvitationTx(ctx context.Context, tx *gorm.DB, districtID, invitationID int64) (*Session, error) {
	return s.byInvitation(tx.WithContext(ctx), true, districtID, invitationID)
}

// byInvitation reads the invitation (locked if lock), its draft and its wave through db.
func (s *Service) byInvitation(db *gorm.DB, lock bool, districtID, invitationID int64) (*Session, error) {
	var row struct {
		store.Invitation
		OptedOut bool
	}
	q := db.Table("invitations i").Select("i.*, p.survey_opt_out AS opted_out").
		Joins("JOIN people p ON p.district_id = i.district_id AND p.id = i.person_id").
		Where("i.district_id = ? AND i.id = ?", districtID, invitationID)
	if lock {
		q = s.forUpdate(q, "i")
	}
	err := q.Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrUnknown
	}
	if err != nil {
		return nil, fmt.Errorf("look up invitation: %w", err)
	}
	inv := row.Invitation
	sess, err := s.session(db, inv.DistrictID, inv.WaveID, inv.SchoolID, "i:"+strconv.FormatInt(inv.ID, 10))
	if err != nil {
		return nil, err
	}
	return s.invitationSession(sess, inv, row.OptedOut)
}
