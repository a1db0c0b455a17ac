package wave

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Actor is who asks for a use case, for its audit row (auth.Actor).
type Actor = auth.Actor

// System is the actor of changes nobody asked for at a keyboard.
var System = Actor{Email: "system"}

// Scheduler is the actor of waves that open by themselves.
var Scheduler = Actor{Email: "scheduler"}

func audit(tx *gorm.DB, now time.Time, by Actor, districtID int64, action string, waveID int64, detail string) error {
	return auth.AuditTx(tx, now, by.Entry(districtID, action, fmt.Sprintf("wave %d", waveID), detail))
}

// ErrConflict means the wave changed between reading and writing it (another admin, or another
// server's scheduler, changed it first); nothing was written. It carries its refusal for the
// staff pages (see refused).
var ErrConflict error = &refused{text: "the wave was changed at the same moment by someone else; reload and try again",
	r: refusal.New("", "refusal.wave.conflict", "The wave was changed at the same moment by someone else; reload and try again.")}

// Change is one lifecycle change: the action, and for ActExtend the new closing time.
type Change struct {
	Action   Action
	ClosesAt time.Time
}

// Apply runs one lifecycle change as one transaction: it reads the wave, applies Transition,
// writes the new status and window (only if nobody changed the wave meanwhile), makes the
// invitations of a wave that opens and queues their messages (Notifier), and writes the audit
// row. Any failure rolls all of it back: no wave opens without its invitations, and no
// invitation exists without its queued text. It returns the wave as written and the invitations
// made (their tokens exist in clear only here).
func (s *Service) Apply(ctx context.Context, districtID, waveID int64, ch Change, by Actor) (store.Wave, []Issued, error) {
	return s.apply(ctx, districtID, waveID, ch, by, true)
}

func (s *Service) apply(ctx context.Context, districtID, waveID int64, ch Change, by Actor, invite bool) (store.Wave, []Issued, error) {
	var w store.Wave
	var issued []Issued
	err := s.Store.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		w, err = getWave(tx, districtID, waveID)
		if err != nil {
			return err
		}
		now := s.Store.Now()
		next, err := Transition(LifecycleOf(w), ch.Action, now, ch.ClosesAt)
		if err != nil {
			return err
		}
		res := tx.Model(&store.Wave{}).
			Where("district_id = ? AND id = ? AND status = ?", districtID, waveID, w.Status).
			Updates(map[string]any{"status": next.Status, "closes_at": next.ClosesAt, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		opened := next.Status == store.StatusOpen && w.Status != store.StatusOpen
		w.Status, w.ClosesAt, w.UpdatedAt = next.Status, next.ClosesAt, now
		if opened && invite {
			if issued, err = s.inviteTx(ctx, tx, w, now, true); err != nil {
				return err
			}
		}
		detail := next.Status
		if ch.Action == ActExtend {
			detail = "closes " + next.ClosesAt.UTC().Format(time.RFC3339)
			if opened {
				detail = "reopened, " + detail
			}
		}
		if opened && invite {
			detail += fmt.Sprintf(", %d invitations", len(issued))
		}
		return audit(tx, now, by, districtID, auth.ActionWaveStatus, waveID, detail)
	})
	s.forget(districtID, waveID)
	if err != nil {
		return store.Wave{}, nil, fmt.Errorf("wave %d: %s: %w", waveID, ch.Action, err)
	}
	return w, issued, nil
}

// OpenDue opens every scheduled wave whose opening time has come (and whose closing time has
// not), each in its own Apply: invitations made and queued, audited as the scheduler. A wave
// another server opened first is skipped. It returns how many it opened; one wave that fails
// does not stop the others (their errors are joined).
//
// It works district by district.
func (s *Service) OpenDue(ctx context.Context) (int, error) {
	n := 0
	err := s.Store.EachDistrict(ctx, 0, func(district int64) error {
		opened, err := s.openDue(ctx, district)
		n += opened
		return err
	})
	return n, err
}

// openDue is OpenDue for one district.
func (s *Service) openDue(ctx context.Context, district int64) (int, error) {
	now := s.Store.Now()
	var due []store.Wave
	if err := s.Store.DB.WithContext(ctx).Select("district_id, id").
		Where("district_id = ? AND status = ? AND opens_at <= ? AND closes_at > ?", district, store.StatusScheduled, now, now).
		Order("opens_at").Limit(100).Find(&due).Error; err != nil {
		return 0, fmt.Errorf("find scheduled waves due: %w", err)
	}
	n := 0
	var errs []error
	for _, w := range due {
		_, _, err := s.Apply(ctx, w.DistrictID, w.ID, Change{Action: ActOpen}, Scheduler)
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrConflict), errors.Is(err, ErrTransition):
			// Opened (or changed) by someone else since we looked.
		default:
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}
