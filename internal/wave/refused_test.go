package wave_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestRefusalsWorded (#16 line 6): every refusal of creating a wave and of its lifecycle reads as
// it always has (logs and the command line print it), is still ErrTransition or ErrConflict where
// it was, and carries a refusal whose message in the staff catalog's English renders exactly as
// the sentence the wave pages show.
func TestRefusalsWorded(t *testing.T) {
	const file = "dashboard-refusals-wave.en.toml"
	st := testdb.Postgres(t)
	w := newWorld(t, st)
	ctx := context.Background()
	var rs []*refusal.Error
	as := func(what string, err error) *refusal.Error {
		t.Helper()
		var r *refusal.Error
		if !errors.As(err, &r) {
			t.Errorf("%s: %v is no refusal", what, err)
			return nil
		}
		rs = append(rs, r)
		return r
	}

	now := st.Now()
	ok := wave.Spec{DistrictID: w.district, Name: "x", InstrumentID: "student-pulse", InstrumentVersion: 1, Mode: store.ModeAnonymous,
		SchoolIDs: w.schools[:], OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour)}
	for _, c := range []struct {
		mutate func(*wave.Spec)
		text   string // the error, as it has always read
	}{
		{func(s *wave.Spec) { s.InstrumentID = "nope" }, "create wave: instrument nope version 1 does not exist"},
		{func(s *wave.Spec) { s.Mode = "public" }, `create wave: mode "public": want anonymous or confidential`},
		{func(s *wave.Spec) { s.Name = " " }, "create wave: name is required"},
		{func(s *wave.Spec) { s.ClosesAt = s.OpensAt }, "create wave: it must close after it opens"},
		{func(s *wave.Spec) { s.SchoolIDs = nil }, "create wave: choose at least one school"},
		{func(s *wave.Spec) { s.Channels = []string{"fax"} }, `create wave: unknown channel "fax"`},
		{func(s *wave.Spec) { s.Mode = store.ModeConfidential; s.Channels = []string{"code"} },
			"create wave: class codes are for anonymous waves only: a code cannot tell who answered"},
		{func(s *wave.Spec) { s.MaxReminders = 3 }, "create wave: at most 2 reminders"},
		{func(s *wave.Spec) { s.Start = "later" }, `create wave: start "later": choose draft, schedule or open`},
		{func(s *wave.Spec) { s.SchoolIDs = []int64{store.NewID()} }, "create wave: one of the schools does not exist in this district"},
		{func(s *wave.Spec) { s.Start = wave.ActSchedule },
			"create wave: wave change refused: its opening time has passed: open it now instead, or change the opening time"},
	} {
		spec := ok
		c.mutate(&spec)
		_, err := w.svc.Create(ctx, spec)
		if err == nil || err.Error() != c.text {
			t.Errorf("Create: %v, want %q", err, c.text)
		}
		as(c.text, err)
	}

	h := time.Hour
	running := wave.Lifecycle{OpensAt: now.Add(-24 * h), ClosesAt: now.Add(10 * 24 * h)}
	past := wave.Lifecycle{OpensAt: now.Add(-10 * 24 * h), ClosesAt: now.Add(-48 * h)}
	with := func(l wave.Lifecycle, status string) wave.Lifecycle { l.Status = status; return l }
	for _, c := range []struct {
		from   wave.Lifecycle
		act    wave.Action
		closes time.Time
		text   string // after "wave change refused: "
	}{
		{with(running, "scheduled"), wave.ActSchedule, time.Time{}, "only a draft can be scheduled; this wave is scheduled"},
		{with(running, "open"), wave.ActSchedule, time.Time{}, "only a draft can be scheduled; this wave is open"},
		{with(running, "closed"), wave.ActSchedule, time.Time{}, "only a draft can be scheduled; this wave is closed"},
		{with(running, "draft"), wave.ActSchedule, time.Time{}, "its opening time has passed: open it now instead, or change the opening time"},
		{with(running, "draft"), wave.ActUnschedule, time.Time{}, "only a scheduled wave can go back to draft; this wave is draft"},
		{with(running, "open"), wave.ActUnschedule, time.Time{}, "only a scheduled wave can go back to draft; this wave is open"},
		{with(running, "closed"), wave.ActUnschedule, time.Time{}, "only a scheduled wave can go back to draft; this wave is closed"},
		{with(running, "open"), wave.ActOpen, time.Time{}, "this wave is already open"},
		{with(running, "closed"), wave.ActOpen, time.Time{}, "a closed wave is reopened by extending it (within 24 hours of its end)"},
		{with(past, "draft"), wave.ActOpen, time.Time{}, "its closing time has passed: move it later first"},
		{with(running, "closed"), wave.ActClose, time.Time{}, "this wave is already closed"},
		{with(running, "open"), wave.ActExtend, now.Add(-48 * h), "the new closing time must be after the wave opens"},
		{with(running, "open"), wave.ActExtend, now.Add(-h), "the new closing time must be in the future"},
		{with(past, "open"), wave.ActExtend, now.Add(h), "this wave ended more than 24 hours ago; create a new wave instead"},
		{with(running, "lost"), wave.ActExtend, now.Add(h), `unknown status "lost"`},
		{with(running, "open"), wave.Action("delete"), time.Time{}, `unknown change "delete"`},
	} {
		_, err := wave.Transition(c.from, c.act, now, c.closes)
		if !errors.Is(err, wave.ErrTransition) || err.Error() != "wave change refused: "+c.text {
			t.Errorf("Transition(%s, %s): %v, want %q", c.from.Status, c.act, err, c.text)
		}
		if r := as(c.text, err); r != nil && r.Msg[1:] != c.text[1:]+"." {
			t.Errorf("%s: sentence %q for %q", r.ID, r.Msg, c.text)
		}
	}
	// A status the catalog has no message for is shown in English.
	_, err := wave.Transition(with(running, "lost"), wave.ActSchedule, now, time.Time{})
	var r *refusal.Error
	if !errors.As(err, &r) || r.Msg != "Only a draft can be scheduled; this wave is lost." {
		t.Errorf("unknown status: %v", err)
	}

	conflict := fmt.Errorf("wave 1: open: %w", wave.ErrConflict)
	if !errors.Is(conflict, wave.ErrConflict) || errors.Is(conflict, wave.ErrTransition) ||
		wave.ErrConflict.Error() != "the wave was changed at the same moment by someone else; reload and try again" {
		t.Errorf("conflict: %v", conflict)
	}
	as("conflict", conflict)

	refusaltest.AllUsed(t, file, refusaltest.Rendered(t, file, rs...))
}
