package comments_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/comments"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type world struct {
	st               *store.Store
	district, school int64
	wave             int64
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	w := &world{st: st, district: testdb.NewDistrict(t, st), school: store.NewID(), wave: store.NewID()}
	now := st.Now()
	must(t, st.DB.Create(&store.School{DistrictID: w.district, ID: w.school, SourcedID: "s1", Name: "Adams", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	must(t, st.DB.Create(&store.Instrument{DistrictID: w.district, InstrumentID: "family-pulse", Version: 1, Audience: "family", CreatedAt: now}).Error)
	must(t, st.DB.Create(&store.Wave{DistrictID: w.district, ID: w.wave, Name: "Family fall", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family",
		Mode: store.ModeAnonymous, Channels: "link", Status: store.StatusOpen, OpensAt: now, ClosesAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}).Error)
	must(t, st.DB.Create(&store.Person{DistrictID: w.district, ID: store.NewID(), SourcedID: "t1", Kind: store.KindStaff, GivenName: "Maria", FamilyName: "Gonzalez",
		SchoolID: &w.school, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	return w
}

// add stores n released responses (unless held) in lang with comment, scored in band on "family-school".
func (w *world) add(t *testing.T, n int, lang, comment string, band int, held bool) {
	t.Helper()
	for range n {
		id := store.NewID()
		must(t, w.st.DB.Create(&store.Response{DistrictID: w.district, ID: id, WaveID: w.wave, SchoolID: w.school, Language: lang, Answers: "3333", Comment: comment}).Error)
		must(t, w.st.DB.Create(&store.Score{DistrictID: w.district, ResponseID: id, MeasureID: "family-school", WaveID: w.wave, SchoolID: w.school, Category: band}).Error)
		if !held {
			must(t, w.st.DB.Create(&store.ResponseRelease{DistrictID: w.district, ResponseID: id, WaveID: w.wave, Batch: 1}).Error)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadAppliesFloorRedactsShufflesAndAudits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		uid := int64(3)
		by := auth.Actor{UserID: &uid, Email: "lead@adams.test"}
		read := func(q comments.Query) comments.Result {
			t.Helper()
			q.WaveID, q.SchoolID = w.wave, w.school
			r, err := comments.Read(ctx, st, w.district, q, 10, false, by)
			must(t, err)
			return r
		}
		// 19 released respondents (and 5 held): under the default floor of 20, nothing is shown.
		for i := range 10 {
			w.add(t, 1, "en", fmt.Sprintf("comment %d: Ms. Gonzalez is great, call 555-867-5309", i), 3, false)
		}
		w.add(t, 9, "es", "", 1, false)
		w.add(t, 5, "en", "held back", 3, true)
		if r := read(comments.Query{Band: -1}); r.Hidden != comments.HiddenSmall || r.Group != 19 || r.Comments != nil {
			t.Fatalf("19 respondents: %+v", r)
		}
		// The 20th: shown, redacted, without the held ones.
		w.add(t, 1, "es", "Maria nos ayudó mucho", 1, false)
		r := read(comments.Query{Band: -1})
		if r.Hidden != "" || r.Group != 20 || len(r.Comments) != 11 {
			t.Fatalf("20 respondents: %+v", r)
		}
		for _, c := range r.Comments {
			if strings.Contains(c, "Gonzalez") || strings.Contains(c, "Maria") || strings.Contains(c, "555") || strings.Contains(c, "held") {
				t.Fatalf("not redacted or held: %q", c)
			}
		}
		if !slices.Contains(r.Comments, "[name] nos ayudó mucho") {
			t.Fatalf("comments: %q", r.Comments)
		}
		// Random order: over views, the comments do not keep one order.
		orders := map[string]bool{}
		for range 12 {
			orders[strings.Join(read(comments.Query{Band: -1}).Comments, "|")] = true
		}
		if len(orders) < 2 {
			t.Fatal("the same order on every view")
		}
		// Filters: English alone is 10 of 20 (and leaves 10 out): below the floor.
		if r := read(comments.Query{Band: -1, Lang: "en"}); r.Hidden != comments.HiddenSmall || r.N != 10 {
			t.Fatalf("English: %+v", r)
		}
		// 25 more English respondents in band 3: English is 35 of 45, leaving 10 out: the rest rule.
		w.add(t, 25, "en", "Good school", 3, false)
		if r := read(comments.Query{Band: -1, Lang: "en"}); r.Hidden != comments.HiddenRest || r.N != 35 || r.Group != 45 {
			t.Fatalf("English of 45: %+v", r)
		}
		// 10 more Spanish: 35 English, 20 Spanish of 55: both shown.
		w.add(t, 10, "es", "Buena escuela", 1, false)
		if r := read(comments.Query{Band: -1, Lang: "es"}); r.Hidden != "" || r.N != 20 || len(r.Comments) != 11 {
			t.Fatalf("Spanish of 55: %+v", r)
		}
		if r := read(comments.Query{MeasureID: "family-school", Band: 3}); r.Hidden != "" || r.N != 35 || len(r.Comments) != 35 {
			t.Fatalf("band 3: %+v", r)
		}
		if r := read(comments.Query{MeasureID: "family-school", Band: 0}); r.Hidden != comments.HiddenSmall || r.N != 0 {
			t.Fatalf("band 0: %+v", r)
		}
		// A district floor of 60 hides it all.
		must(t, st.DB.Model(&store.District{}).Where("district_id = ?", w.district).Update("settings", store.Attrs{comments.SettingFloor: "60"}).Error)
		if r := read(comments.Query{Band: -1}); r.Hidden != comments.HiddenSmall || r.Floor != 60 {
			t.Fatalf("floor 60: %+v", r)
		}
		var rows []store.AuditEntry
		must(t, st.DB.Where("district_id = ? AND action = ?", w.district, comments.ActionView).Find(&rows).Error)
		if len(rows) != 20 {
			t.Fatalf("%d audit rows, want one per view (20)", len(rows))
		}
		for _, row := range rows {
			if row.Actor != "lead@adams.test" || row.Target != fmt.Sprintf("wave %d school %d", w.wave, w.school) {
				t.Fatalf("audit row %+v", row)
			}
		}
		if _, err := comments.Read(ctx, st, w.district, comments.Query{WaveID: w.wave, SchoolID: w.school, Band: -1}, 10, true, by); err != nil {
			t.Fatal(err)
		}
		var n int64
		st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", w.district, comments.ActionExport).Count(&n)
		if n != 1 {
			t.Fatalf("%d export audit rows", n)
		}
	})
}

func TestChangeFloor(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		by := auth.Actor{Email: "admin@x.test"}
		for _, bad := range []int{9, 0, -1, comments.MaxFloor + 1} {
			err := comments.ChangeFloor(ctx, st, w.district, bad, 10, by)
			if !errors.Is(err, comments.ErrFloor) {
				t.Fatalf("floor %d: %v", bad, err)
			}
			// The page words it from its message (#16 line 6), which in English reads as the
			// error's sentence.
			var r *refusal.Error
			if !errors.As(err, &r) || err.Error() != comments.ErrFloor.Error()+": "+r.Msg || r.Field != "floor" {
				t.Fatalf("floor %d: %v, want a refusal of the floor field", bad, err)
			}
			refusaltest.Rendered(t, "dashboard-refusals-comments.en.toml", r)
		}
		must(t, comments.ChangeFloor(ctx, st, w.district, 10, 10, by))
		must(t, comments.ChangeFloor(ctx, st, w.district, 35, 10, by))
		var d store.District
		must(t, st.DB.Where("district_id = ?", w.district).First(&d).Error)
		if got := comments.FloorOf(d.Settings, 10); got != 35 {
			t.Fatalf("floor %d, want 35", got)
		}
		var n int64
		st.DB.Model(&store.AuditEntry{}).Where("district_id = ? AND action = ?", w.district, comments.ActionFloor).Count(&n)
		if n != 2 {
			t.Fatalf("%d audit rows, want 2", n)
		}
	})
}
