package auth

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Audit actions. Free text is allowed too; these are the ones the code writes.
const (
	ActionSignInSuccess    = "signin.success"
	ActionSignInFailure    = "signin.failure"
	ActionSignInLocked     = "signin.locked"
	ActionSignInThrottled  = "signin.throttled" // refused: the account's wait after failures has not passed
	ActionSignOut          = "signout"
	ActionUserCreate       = "user.create"
	ActionRoleChange       = "user.role_change"
	ActionPasswordChange   = "user.password_change"
	ActionExport           = "export"
	ActionViewConfidential = "view.confidential"
	ActionWaveCreate       = "wave.create"
	ActionWaveStatus       = "wave.status"
	ActionRosterImport     = "roster.import"
	ActionSlipsPrint       = "slips.print" // printed link slips: fresh links for the people printed
	ActionSlipsView        = "slips.view"  // the slips page: names next to whether they answered
)

// Entry is one audit record to append.
type Entry struct {
	DistrictID int64
	UserID     *int64
	Actor      string // email of who acted, kept even if the account is later removed
	Action     string
	Target     string
	Detail     string
	IP         string
}

// Audit appends one record. The log is append-only: this package has no update or delete of it,
// and on both dialects a trigger refuses them.
func (s *Service) Audit(ctx context.Context, e Entry) error {
	if err := appendAudit(s.store.DB.WithContext(ctx), s.store.Now(), e); err != nil {
		return err
	}
	return nil
}

// AuditBy appends a record acted by p.
func (s *Service) AuditBy(ctx context.Context, p *Principal, action, target, detail, ip string) error {
	return s.Audit(ctx, Entry{DistrictID: p.User.DistrictID, UserID: &p.User.ID, Actor: p.User.Email, Action: action, Target: target, Detail: detail, IP: ip})
}

// audit records an event on u where a failure to audit must not turn into a failed request path
// the caller cannot act on; it is logged instead.
func (s *Service) audit(ctx context.Context, u store.User, action, ip, detail string) {
	if err := s.Audit(ctx, Entry{DistrictID: u.DistrictID, UserID: &u.ID, Actor: u.Email, Action: action, IP: ip, Detail: detail}); err != nil {
		s.opt.Log.Error("audit", "action", action, "err", err)
	}
}

func appendAudit(tx *gorm.DB, now time.Time, e Entry) error {
	row := store.AuditEntry{DistrictID: e.DistrictID, ID: store.NewID(), At: now, UserID: e.UserID, Actor: e.Actor,
		Action: e.Action, Target: e.Target, Detail: e.Detail, IP: e.IP}
	if err := tx.Create(&row).Error; err != nil {
		return fmt.Errorf("append audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog lists a district's most recent records, newest first.
func (s *Service) AuditLog(ctx context.Context, districtID int64, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	err := s.store.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("at DESC, id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return out, nil
}

// AuditTx appends one record in tx: for use cases that must commit their change and its audit
// row together (internal/wave's lifecycle, settings changes), or neither.
func AuditTx(tx *gorm.DB, now time.Time, e Entry) error { return appendAudit(tx, now, e) }

// Actor is who asks for a use case, for its audit row: a signed-in user, or the system (the
// scheduler, the demo, the CLI) when Email names it and UserID is nil.
type Actor struct {
	UserID *int64
	Email  string
	IP     string
}

// ActorOf is the actor of a request made by p from ip.
func ActorOf(p *Principal, ip string) Actor {
	return Actor{UserID: &p.User.ID, Email: p.User.Email, IP: ip}
}

// Entry is the audit record of a's action; an Actor with no Email is recorded as "system".
func (a Actor) Entry(districtID int64, action, target, detail string) Entry {
	if a.Email == "" {
		a.Email = "system"
	}
	return Entry{DistrictID: districtID, UserID: a.UserID, Actor: a.Email, Action: action, Target: target, Detail: detail, IP: a.IP}
}
