package wave

import (
	"errors"
	"fmt"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Action is a change to a wave's lifecycle that a person (or the scheduler) asks for.
type Action string

// The lifecycle: draft → scheduled → open → closed. A draft may also open at once, and a
// scheduled wave may go back to draft; a wave that never opened may be closed (cancelled).
// Extending moves the closing time; it reopens a closed wave only within DraftGrace of its end.
const (
	ActSchedule   Action = "schedule"   // draft → scheduled: opens by itself at opens_at
	ActUnschedule Action = "unschedule" // scheduled → draft
	ActOpen       Action = "open"       // draft|scheduled → open: invitations made and queued now
	ActClose      Action = "close"      // draft|scheduled|open → closed
	ActExtend     Action = "extend"     // new closing time; closed → open within DraftGrace
)

// ErrTransition is a change the lifecycle refuses; its message says why, for the person asking.
var ErrTransition = errors.New("wave change refused")

// Lifecycle is what the transition rule reads of a wave.
type Lifecycle struct {
	Status            string
	OpensAt, ClosesAt time.Time
	// ClosedAt is when a closed wave was closed (its updated_at); ignored for other statuses.
	ClosedAt time.Time
}

// LifecycleOf reads a stored wave.
func LifecycleOf(w store.Wave) Lifecycle {
	return Lifecycle{Status: w.Status, OpensAt: w.OpensAt, ClosesAt: w.ClosesAt, ClosedAt: w.UpdatedAt}
}

// ended is when the wave stopped taking answers (or will): its close, or the closing time.
func (l Lifecycle) ended() time.Time {
	if l.Status == store.StatusClosed && !l.ClosedAt.IsZero() && l.ClosedAt.Before(l.ClosesAt) {
		return l.ClosedAt
	}
	return l.ClosesAt
}

func refuse(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrTransition, fmt.Sprintf(format, args...))
}

// Transition is the whole lifecycle rule, as a pure function: what a wave in state l becomes when
// a is asked at now (closesAt is the new closing time, for ActExtend only). Every use case that
// changes a wave's status or window goes through it.
func Transition(l Lifecycle, a Action, now, closesAt time.Time) (Lifecycle, error) {
	next := l
	switch a {
	case ActSchedule:
		if l.Status != store.StatusDraft {
			return l, refuse("only a draft can be scheduled; this wave is %s", l.Status)
		}
		if !now.Before(l.OpensAt) {
			return l, refuse("its opening time has passed: open it now instead, or change the opening time")
		}
		next.Status = store.StatusScheduled
	case ActUnschedule:
		if l.Status != store.StatusScheduled {
			return l, refuse("only a scheduled wave can go back to draft; this wave is %s", l.Status)
		}
		next.Status = store.StatusDraft
	case ActOpen:
		if l.Status != store.StatusDraft && l.Status != store.StatusScheduled {
			if l.Status == store.StatusClosed {
				return l, refuse("a closed wave is reopened by extending it (within %s of its end)", DraftGrace)
			}
			return l, refuse("this wave is already %s", l.Status)
		}
		if !now.Before(l.ClosesAt) {
			return l, refuse("its closing time has passed: move it later first")
		}
		next.Status = store.StatusOpen
	case ActClose:
		if l.Status == store.StatusClosed {
			return l, refuse("this wave is already closed")
		}
		next.Status = store.StatusClosed
		next.ClosedAt = now
	case ActExtend:
		closesAt = closesAt.UTC()
		if !closesAt.After(l.OpensAt) {
			return l, refuse("the new closing time must be after the wave opens")
		}
		if !closesAt.After(now) {
			return l, refuse("the new closing time must be in the future")
		}
		switch l.Status {
		case store.StatusDraft, store.StatusScheduled:
		case store.StatusOpen, store.StatusClosed:
			// Unfinished answers are purged DraftGrace after the end: past that, reopening would
			// bring respondents back to an empty survey.
			if !now.Before(l.ended().Add(DraftGrace)) {
				return l, refuse("this wave ended more than %s ago; create a new wave instead", DraftGrace)
			}
			next.Status = store.StatusOpen
		default:
			return l, refuse("unknown status %q", l.Status)
		}
		next.ClosesAt = closesAt
	default:
		return l, refuse("unknown change %q", a)
	}
	return next, nil
}

// Allowed lists the actions Transition accepts for l at now (ActExtend with a closing time a
// day later): what a wave's page offers.
func Allowed(l Lifecycle, now time.Time) []Action {
	var out []Action
	for _, a := range []Action{ActOpen, ActSchedule, ActUnschedule, ActClose, ActExtend} {
		later := now.Add(24 * time.Hour)
		if later.Before(l.ClosesAt) {
			later = l.ClosesAt.Add(24 * time.Hour)
		}
		if _, err := Transition(l, a, now, later); err == nil {
			out = append(out, a)
		}
	}
	return out
}
