package wave_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Every action from every status, allowed and refused, with the window rules around it.
func TestTransition(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	h := time.Hour
	future := wave.Lifecycle{OpensAt: now.Add(24 * h), ClosesAt: now.Add(10 * 24 * h)} // opens tomorrow
	running := wave.Lifecycle{OpensAt: now.Add(-24 * h), ClosesAt: now.Add(10 * 24 * h)}
	past := wave.Lifecycle{OpensAt: now.Add(-10 * 24 * h), ClosesAt: now.Add(-2 * h)}  // ended 2 h ago
	long := wave.Lifecycle{OpensAt: now.Add(-10 * 24 * h), ClosesAt: now.Add(-48 * h)} // ended 2 days ago
	with := func(l wave.Lifecycle, status string) wave.Lifecycle { l.Status = status; return l }
	closedAt := func(l wave.Lifecycle, at time.Time) wave.Lifecycle {
		l.Status, l.ClosedAt = store.StatusClosed, at
		return l
	}
	later := now.Add(20 * 24 * h)
	const ok = ""
	cases := []struct {
		name    string
		from    wave.Lifecycle
		act     wave.Action
		closes  time.Time
		want    string // status after, or "" when refused
		refusal string // a word of the refusal
	}{
		// draft
		{"draft schedule (opens later)", with(future, "draft"), wave.ActSchedule, time.Time{}, "scheduled", ok},
		{"draft schedule after its opening time", with(running, "draft"), wave.ActSchedule, time.Time{}, "", "passed"},
		{"draft unschedule", with(future, "draft"), wave.ActUnschedule, time.Time{}, "", "only a scheduled"},
		{"draft open", with(running, "draft"), wave.ActOpen, time.Time{}, "open", ok},
		{"draft open before its opening time", with(future, "draft"), wave.ActOpen, time.Time{}, "open", ok},
		{"draft open after its closing time", with(past, "draft"), wave.ActOpen, time.Time{}, "", "closing time has passed"},
		{"draft close (cancel)", with(future, "draft"), wave.ActClose, time.Time{}, "closed", ok},
		{"draft extend", with(future, "draft"), wave.ActExtend, later, "draft", ok},
		// scheduled
		{"scheduled schedule", with(future, "scheduled"), wave.ActSchedule, time.Time{}, "", "only a draft"},
		{"scheduled unschedule", with(future, "scheduled"), wave.ActUnschedule, time.Time{}, "draft", ok},
		{"scheduled open", with(future, "scheduled"), wave.ActOpen, time.Time{}, "open", ok},
		{"scheduled open after its closing time", with(past, "scheduled"), wave.ActOpen, time.Time{}, "", "closing time has passed"},
		{"scheduled close (cancel)", with(future, "scheduled"), wave.ActClose, time.Time{}, "closed", ok},
		{"scheduled extend", with(future, "scheduled"), wave.ActExtend, later, "scheduled", ok},
		// open
		{"open schedule", with(running, "open"), wave.ActSchedule, time.Time{}, "", "only a draft"},
		{"open unschedule", with(running, "open"), wave.ActUnschedule, time.Time{}, "", "only a scheduled"},
		{"open open", with(running, "open"), wave.ActOpen, time.Time{}, "", "already open"},
		{"open close", with(running, "open"), wave.ActClose, time.Time{}, "closed", ok},
		{"open extend", with(running, "open"), wave.ActExtend, later, "open", ok},
		{"open extend to before it opens", with(running, "open"), wave.ActExtend, now.Add(-48 * h), "", "after the wave opens"},
		{"open extend to the past", with(running, "open"), wave.ActExtend, now.Add(-h), "", "in the future"},
		{"open past its end, extend within the grace", with(past, "open"), wave.ActExtend, later, "open", ok},
		{"open past its end, extend after the grace", with(long, "open"), wave.ActExtend, later, "", "ended more than"},
		// closed
		{"closed schedule", closedAt(running, now.Add(-h)), wave.ActSchedule, time.Time{}, "", "only a draft"},
		{"closed unschedule", closedAt(running, now.Add(-h)), wave.ActUnschedule, time.Time{}, "", "only a scheduled"},
		{"closed open", closedAt(running, now.Add(-h)), wave.ActOpen, time.Time{}, "", "reopened by extending"},
		{"closed close", closedAt(running, now.Add(-h)), wave.ActClose, time.Time{}, "", "already closed"},
		{"closed an hour ago, extend reopens", closedAt(running, now.Add(-h)), wave.ActExtend, later, "open", ok},
		{"closed two days ago, extend", closedAt(running, now.Add(-48*h)), wave.ActExtend, later, "", "ended more than"},
		{"closed by its time long ago, extend", closedAt(long, now), wave.ActExtend, later, "", "ended more than"},
		// nonsense
		{"unknown action", with(running, "open"), wave.Action("delete"), time.Time{}, "", "unknown change"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := wave.Transition(c.from, c.act, now, c.closes)
			if c.want == "" {
				if !errors.Is(err, wave.ErrTransition) || !strings.Contains(err.Error(), c.refusal) {
					t.Fatalf("err = %v, want a refusal saying %q", err, c.refusal)
				}
				if got != c.from {
					t.Fatalf("a refused change returned %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if got.Status != c.want {
				t.Fatalf("status %s, want %s", got.Status, c.want)
			}
			if c.act == wave.ActExtend && !got.ClosesAt.Equal(c.closes) {
				t.Fatalf("closes %v, want %v", got.ClosesAt, c.closes)
			}
		})
	}
}

func auditRows(t *testing.T, st *store.Store, district int64, action string) []store.AuditEntry {
	t.Helper()
	var out []store.AuditEntry
	must(t, st.DB.Where("district_id = ? AND action = ?", district, action).Order("at, id").Find(&out).Error)
	return out
}

// Create, schedule, open, close and extend go through Apply: each writes its change and its
// audit row together, a refused change writes neither, and only opening makes invitations.
func TestLifecycleUseCases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			w.person(t, store.KindStudent, "05", w.schools[0], nil)
		}
		now := st.Now()
		uid := int64(42)
		admin := wave.Actor{UserID: &uid, Email: "admin@example.org", IP: "192.0.2.1"}
		wv, err := w.svc.Create(ctx, wave.Spec{DistrictID: w.district, Name: "Later", InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeAnonymous, SchoolIDs: w.schools[:1], OpensAt: now.Add(time.Hour), ClosesAt: now.Add(48 * time.Hour),
			Start: wave.ActSchedule, By: admin})
		must(t, err)
		if wv.Status != store.StatusScheduled {
			t.Fatalf("created %s, want scheduled", wv.Status)
		}
		if rows := auditRows(t, st, w.district, auth.ActionWaveCreate); len(rows) != 1 || rows[0].Actor != admin.Email || rows[0].IP != admin.IP {
			t.Fatalf("create audit %+v", rows)
		}
		invitations := func() int64 {
			var n int64
			must(t, st.DB.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ?", w.district, wv.ID).Count(&n).Error)
			return n
		}
		if n := invitations(); n != 0 {
			t.Fatalf("a scheduled wave has %d invitations", n)
		}
		// Refused: nothing written, nothing audited.
		if _, _, err := w.svc.Apply(ctx, w.district, wv.ID, wave.Change{Action: wave.ActSchedule}, admin); !errors.Is(err, wave.ErrTransition) {
			t.Fatalf("scheduling twice: %v", err)
		}
		if rows := auditRows(t, st, w.district, auth.ActionWaveStatus); len(rows) != 0 {
			t.Fatalf("a refused change was audited: %+v", rows)
		}
		got, issued, err := w.svc.Apply(ctx, w.district, wv.ID, wave.Change{Action: wave.ActOpen}, admin)
		must(t, err)
		if got.Status != store.StatusOpen || len(issued) != 3 || invitations() != 3 {
			t.Fatalf("open: %s, %d issued, %d stored", got.Status, len(issued), invitations())
		}
		_, _, err = w.svc.Apply(ctx, w.district, wv.ID, wave.Change{Action: wave.ActClose}, admin)
		must(t, err)
		if _, _, err := w.svc.Apply(ctx, w.district, wv.ID, wave.Change{Action: wave.ActOpen}, admin); !errors.Is(err, wave.ErrTransition) {
			t.Fatalf("opening a closed wave: %v", err)
		}
		got, issued, err = w.svc.Apply(ctx, w.district, wv.ID, wave.Change{Action: wave.ActExtend, ClosesAt: now.Add(72 * time.Hour)}, admin)
		must(t, err)
		if got.Status != store.StatusOpen || len(issued) != 0 || invitations() != 3 {
			t.Fatalf("extend: %s, %d issued, %d stored", got.Status, len(issued), invitations())
		}
		rows := auditRows(t, st, w.district, auth.ActionWaveStatus)
		var details []string
		for _, r := range rows {
			details = append(details, r.Detail)
		}
		want := []string{"open, 3 invitations", "closed", fmt.Sprintf("reopened, closes %s, 0 invitations", now.Add(72*time.Hour).UTC().Format(time.RFC3339))}
		slices.Sort(details) // one clock second: the log's order is not the test's
		slices.Sort(want)
		if fmt.Sprint(details) != fmt.Sprint(want) {
			t.Fatalf("audit details %q, want %q", details, want)
		}
	})
}

// A scheduled wave opens by itself at its opening time, once, however many servers run the
// scheduler at that moment.
func TestOpenDueOpensScheduledWavesOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		var mu sync.Mutex
		at := time.Date(2026, 3, 10, 7, 0, 0, 0, time.UTC)
		st.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return at }
		w := newWorld(t, st)
		ctx := context.Background()
		for i := 0; i < 4; i++ {
			w.person(t, store.KindStudent, "05", w.schools[0], nil)
		}
		wv, err := w.svc.Create(ctx, wave.Spec{DistrictID: w.district, Name: "Monday", InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeAnonymous, SchoolIDs: w.schools[:1], OpensAt: at.Add(time.Hour), ClosesAt: at.Add(48 * time.Hour), Start: wave.ActSchedule})
		must(t, err)
		if n, err := w.svc.OpenDue(ctx); err != nil || n != 0 {
			t.Fatalf("before its time: opened %d, %v", n, err)
		}
		mu.Lock()
		at = at.Add(time.Hour)
		mu.Unlock()
		var wg sync.WaitGroup
		opened := make([]int, 4)
		for i := range opened {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := w.svc.OpenDue(ctx)
				if err != nil {
					t.Error(err)
				}
				opened[i] = n
			}()
		}
		wg.Wait()
		total := 0
		for _, n := range opened {
			total += n
		}
		got, err := w.svc.Get(ctx, w.district, wv.ID)
		must(t, err)
		var inv int64
		must(t, st.DB.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ?", w.district, wv.ID).Count(&inv).Error)
		if total != 1 || got.Status != store.StatusOpen || inv != 4 {
			t.Fatalf("opened %d times, status %s, %d invitations; want once, open, 4", total, got.Status, inv)
		}
		if rows := auditRows(t, st, w.district, auth.ActionWaveStatus); len(rows) != 1 || rows[0].Actor != "scheduler" {
			t.Fatalf("audit %+v", rows)
		}
	})
}
