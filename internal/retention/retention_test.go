package retention_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/retention"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is one district with a school, a student, and two waves with an invitation each: one
// ended long ago (closed 40 days ago) and one still open.
type world struct {
	st                *store.Store
	district, school  int64
	oldWave, openWave store.Wave
	oldInv, openInv   int64
	user              int64
	t0                time.Time // "now" when the rows were written
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	cat, err := survey.Load(surveys.FS)
	must(t, err)
	w := &world{st: st, district: testdb.NewDistrict(t, st), school: store.NewID(), t0: st.Now()}
	svc := &wave.Service{Store: st, Surveys: cat}
	now := w.t0
	must(t, st.DB.Create(&store.School{DistrictID: w.district, ID: w.school, SourcedID: "s1", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	pid := store.NewID()
	must(t, st.DB.Create(&store.Person{DistrictID: w.district, ID: pid, SourcedID: "p1", Kind: store.KindStudent, Grade: "05", SchoolID: &w.school, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	must(t, st.DB.Create(&store.PersonSchool{DistrictID: w.district, PersonID: pid, SchoolID: w.school}).Error)
	mk := func(name string, opens, closes time.Time) (store.Wave, int64) {
		wv, err := svc.Create(ctx, wave.Spec{DistrictID: w.district, Name: name, InstrumentID: "student-pulse", InstrumentVersion: 1,
			Mode: store.ModeAnonymous, SchoolIDs: []int64{w.school}, OpensAt: opens, ClosesAt: closes, Channels: []string{"link"}})
		must(t, err)
		issued, err := svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		if len(issued) != 1 {
			t.Fatalf("issued %+v", issued)
		}
		return wv, issued[0].InvitationID
	}
	w.oldWave, w.oldInv = mk("spring", now.Add(-60*24*time.Hour), now.Add(-40*24*time.Hour))
	w.openWave, w.openInv = mk("fall", now.Add(-time.Hour), now.Add(14*24*time.Hour))
	w.user = store.NewID()
	must(t, st.DB.Create(&store.User{DistrictID: w.district, ID: w.user, Email: "a@example.org", Role: "district_admin", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	return w
}

func (w *world) session(t *testing.T, key string, expires time.Time) {
	t.Helper()
	must(t, w.st.DB.Create(&store.Session{DistrictID: w.district, TokenHash: []byte(key), UserID: w.user, CreatedAt: w.t0, LastSeenAt: w.t0, ExpiresAt: expires}).Error)
}

func (w *world) text(t *testing.T, inv int64, kind, status string) int64 {
	t.Helper()
	id := store.NewID()
	must(t, w.st.DB.Create(&store.SMSMessage{DistrictID: w.district, ID: id, InvitationID: inv, Kind: kind, WaveID: w.openWave.ID, SchoolID: w.school,
		ToNumber: "+12025550143", Language: "en", TimeZone: "UTC", Body: "Lincoln: your survey https://x.test/s/abc", Status: status,
		NotBefore: w.t0, CreatedAt: w.t0, UpdatedAt: w.t0}).Error)
	return id
}

func (w *world) draft(t *testing.T, owner string, wv store.Wave, submitted bool, answers string) {
	t.Helper()
	must(t, w.st.DB.Create(&store.Draft{DistrictID: w.district, Owner: owner, WaveID: wv.ID, SchoolID: w.school, Answers: answers, Submitted: submitted, UpdatedAt: w.t0}).Error)
}

// Each retention rule removes what has served its purpose and nothing else, on both dialects; a
// second run at once changes nothing, and a run before the keep periods end removes nothing.
func TestPurgeAppliesEachRule(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.session(t, "expired", w.t0.Add(-2*time.Hour))
		w.session(t, "live", w.t0.Add(8*time.Hour))
		delivered := w.text(t, w.openInv, "invite", store.SMSDelivered)
		failed := w.text(t, w.openInv, "reminder1", store.SMSFailed)
		queued := w.text(t, w.openInv, "reminder2", store.SMSQueued)
		sending := w.text(t, w.oldInv, "invite", store.SMSSending)
		w.draft(t, "i:old", w.oldWave, true, "")
		w.draft(t, "i:open", w.openWave, true, "")

		svc := &retention.Service{Store: st}
		got, err := svc.Purge(ctx)
		must(t, err)
		// Texts were sent just now: their bodies stay for SMSBodyKeep.
		if got != (retention.Purged{Sessions: 1, Markers: 1}) {
			t.Fatalf("first purge %+v, want the expired session and the ended wave's marker", got)
		}
		var sessions []string
		must(t, st.DB.Model(&store.Session{}).Where("district_id = ?", w.district).Pluck("token_hash", &sessions).Error)
		if len(sessions) != 1 || sessions[0] != "live" {
			t.Fatalf("sessions left %q", sessions)
		}
		var owners []string
		must(t, st.DB.Model(&store.Draft{}).Where("district_id = ?", w.district).Pluck("owner", &owners).Error)
		if len(owners) != 1 || owners[0] != "i:open" {
			t.Fatalf("drafts left %q, want only the open wave's marker", owners)
		}

		// Eight days later the bodies of texts that left the outbox for good are blanked; texts
		// still queued or sending keep theirs (the worker needs them).
		later := w.t0.Add(retention.SMSBodyKeep + 24*time.Hour)
		st.Now = func() time.Time { return later }
		got, err = svc.Purge(ctx)
		must(t, err)
		if got.SMSBodies != 2 {
			t.Fatalf("purge after SMSBodyKeep %+v, want 2 bodies blanked", got)
		}
		body := func(id int64) string {
			var m store.SMSMessage
			must(t, st.DB.Where("district_id = ? AND id = ?", w.district, id).First(&m).Error)
			return m.Body
		}
		if body(delivered) != "" || body(failed) != "" || body(queued) == "" || body(sending) == "" {
			t.Fatalf("bodies: delivered %q failed %q queued %q sending %q", body(delivered), body(failed), body(queued), body(sending))
		}
		var rows int64
		must(t, st.DB.Model(&store.SMSMessage{}).Where("district_id = ?", w.district).Count(&rows).Error)
		if rows != 4 {
			t.Fatalf("%d text rows left, want all 4 (status and times stay)", rows)
		}
		if got, err := svc.Purge(ctx); err != nil || got != (retention.Purged{}) {
			t.Fatalf("second purge at once: %+v %v, want nothing", got, err)
		}
	})
}

// A wave closed by hand keeps its markers for MarkerKeep counted from when it was closed, even if
// its planned closing date is long past.
func TestPurgeKeepsMarkersOfRecentlyClosedWave(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.draft(t, "i:open", w.openWave, true, "")
		must(t, st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", w.district, w.openWave.ID).
			Updates(map[string]any{"status": store.StatusClosed, "updated_at": w.t0}).Error)
		svc := &retention.Service{Store: st}
		st.Now = func() time.Time { return w.t0.Add(retention.MarkerKeep - time.Hour) }
		if got, err := svc.Purge(ctx); err != nil || got.Markers != 0 {
			t.Fatalf("purge before MarkerKeep: %+v %v", got, err)
		}
		st.Now = func() time.Time { return w.t0.Add(retention.MarkerKeep + time.Hour) }
		if got, err := svc.Purge(ctx); err != nil || got.Markers != 1 {
			t.Fatalf("purge after MarkerKeep: %+v %v", got, err)
		}
	})
}
