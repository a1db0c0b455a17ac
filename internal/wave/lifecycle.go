package wave

import (
	"errors"
	"fmt"
	"strconv"
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

// status names a wave's status in a refusal's message ID ("refusal.wave.schedule_open"): one
// message per status, so each language words the status in its sentence; a status the package
// does not know (a corrupt row) has none, and the page shows the English sentence.
func status(s string) string {
	switch s {
	case store.StatusDraft, store.StatusScheduled, store.StatusOpen, store.StatusClosed:
		return s
	}
	return "other"
}

// graceHours is DraftGrace in words ("24 hours"; it once read "24h0m0s").
func graceHours() string {
	if h := int(DraftGrace.Hours()); h != 1 {
		return strconv.Itoa(h) + " hours"
	}
	return "1 hour"
}

// Transition is the whole lifecycle rule, as a pure function: what a wave in state l becomes when
// a is asked at now (closesAt is the new closing time, for ActExtend only). Every use case that
// changes a wave's status or window goes through it.
func Transition(l Lifecycle, a Action, now, closesAt time.Time) (Lifecycle, error) {
	next := l
	switch a {
	case ActSchedule:
		if l.Status != store.StatusDraft {
			return l, refuse("refusal.wave.schedule_"+status(l.Status), "only a draft can be scheduled; this wave is "+l.Status, "Status", l.Status)
		}
		if !now.Before(l.OpensAt) {
			return l, refuse("refusal.wave.schedule_late", "its opening time has passed: open it now instead, or change the opening time")
		}
		next.Status = store.StatusScheduled
	case ActUnschedule:
		if l.Status != store.StatusScheduled {
			return l, refuse("refusal.wave.unschedule_"+status(l.Status), "only a scheduled wave can go back to draft; this wave is "+l.Status, "Status", l.Status)
		}
		next.Status = store.StatusDraft
	case ActOpen:
		if l.Status != store.StatusDraft && l.Status != store.StatusScheduled {
			if l.Status == store.StatusClosed {
				return l, refuse("refusal.wave.open_closed", "a closed wave is reopened by extending it (within "+graceHours()+" of its end)", "Count", int(DraftGrace.Hours()))
			}
			return l, refuse("refusal.wave.open_"+status(l.Status), "this wave is already "+l.Status, "Status", l.Status)
		}
		if !now.Before(l.ClosesAt) {
			return l, refuse("refusal.wave.open_late", "its closing time has passed: move it later first")
		}
		next.Status = store.StatusOpen
	case ActClose:
		if l.Status == store.StatusClosed {
			return l, refuse("refusal.wave.close_closed", "this wave is already closed")
		}
		next.Status = store.StatusClosed
		next.ClosedAt = now
	case ActExtend:
		closesAt = closesAt.UTC()
		if !closesAt.After(l.OpensAt) {
			return l, refuse("refusal.wave.extend_before_open", "the new closing time must be after the wave opens")
		}
		if !closesAt.After(now) {
			return l, refuse("refusal.wave.extend_past", "the new closing time must be in the future")
		}
		switch l.Status {
		case store.StatusDraft, store.StatusScheduled:
		case store.StatusOpen, store.StatusClosed:
			// Unfinished answers are purged DraftGrace after the end: past that, reopening would
			// bring respondents back to an empty survey.
			if !now.Before(l.ended().Add(DraftGrace)) {
				return l, refuse("refusal.wave.extend_ended", "this wave ended more than "+graceHours()+" ago; create a new wave instead", "Count", int(DraftGrace.Hours()))
			}
			next.Status = store.StatusOpen
		default:
			return l, refuse("refusal.wave.status_unknown", fmt.Sprintf("unknown status %q", l.Status), "Status", strconv.Quote(l.Status))
		}
		next.ClosesAt = closesAt
	default:
		return l, refuse("refusal.wave.change_unknown", fmt.Sprintf("unknown change %q", a), "Change", strconv.Quote(string(a)))
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
