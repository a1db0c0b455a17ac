package wave_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

type world struct {
	st       *store.Store
	svc      *wave.Service
	district int64
	schools  [2]int64
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, svc: &wave.Service{Store: st, Surveys: cat}, district: testdb.NewDistrict(t, st)}
	now := st.Now()
	for i := range w.schools {
		w.schools[i] = store.NewID()
		must(t, st.DB.Create(&store.School{DistrictID: w.district, ID: w.schools[i], SourcedID: "s" + string(rune('0'+i)), Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	}
	return w
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (w *world) person(t *testing.T, kind, grade string, school int64, mutate func(*store.Person)) int64 {
	t.Helper()
	now := w.st.Now()
	p := store.Person{DistrictID: w.district, ID: store.NewID(), Kind: kind, Grade: grade, Active: true, CreatedAt: now, UpdatedAt: now, Phone: "+12025550143"}
	p.SourcedID = "p" + time.Now().Format("150405.000000000") + string(rune('a'+len(grade)))
	if mutate != nil {
		mutate(&p)
	}
	must(t, w.st.DB.Create(&p).Error)
	if school != 0 {
		must(t, w.st.DB.Create(&store.PersonSchool{DistrictID: w.district, PersonID: p.ID, SchoolID: school}).Error)
	}
	return p.ID
}

func (w *world) wave(t *testing.T, instrument, mode string, channels []string, grades ...string) store.Wave {
	t.Helper()
	now := w.st.Now()
	wv, err := w.svc.Create(context.Background(), wave.Spec{DistrictID: w.district, Name: "W", InstrumentID: instrument, InstrumentVersion: 1, Mode: mode,
		SchoolIDs: w.schools[:], OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour), Channels: channels, Grades: grades})
	must(t, err)
	must(t, w.svc.SetStatus(context.Background(), w.district, wv.ID, store.StatusOpen))
	return wv
}

func TestInviteHonorsAudienceOptOutAndFamilies(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		in5 := w.person(t, store.KindStudent, "05", w.schools[0], nil)
		w.person(t, store.KindStudent, "09", w.schools[1], nil) // other grade: not in a grade-5 wave
		optedOut := w.person(t, store.KindStudent, "05", w.schools[0], func(p *store.Person) { p.SurveyOptOut = true })
		w.person(t, store.KindStudent, "05", w.schools[0], func(p *store.Person) { p.Active = false })
		sib := w.person(t, store.KindStudent, "03", w.schools[0], nil)
		other := w.person(t, store.KindStudent, "09", w.schools[1], nil)
		g := w.person(t, store.KindGuardian, "", 0, func(p *store.Person) { p.PreferredLanguage = "es" })
		noText := w.person(t, store.KindGuardian, "", 0, func(p *store.Person) { p.DoNotText = true })
		for _, link := range [][2]int64{{g, in5}, {g, sib}, {g, other}, {noText, in5}} {
			must(t, st.DB.Create(&store.GuardianLink{DistrictID: w.district, GuardianID: link[0], StudentID: link[1]}).Error)
		}

		sw := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"}, "05")
		issued, err := w.svc.Invite(ctx, w.district, sw.ID)
		must(t, err)
		if len(issued) != 1 || issued[0].PersonID != in5 {
			t.Fatalf("grade-5 wave invited %+v; want only the active, not opted-out grade-5 student", issued)
		}
		for _, is := range issued {
			if is.PersonID == optedOut {
				t.Fatal("an opted-out student was invited")
			}
		}
		again, err := w.svc.Invite(ctx, w.district, sw.ID)
		must(t, err)
		if len(again) != 0 {
			t.Fatalf("inviting twice made %d more invitations", len(again))
		}

		fw := w.wave(t, "family-pulse", store.ModeConfidential, []string{"link", "sms"})
		fam, err := w.svc.Invite(ctx, w.district, fw.ID)
		must(t, err)
		perSchool := map[[2]int64]wave.Issued{}
		for _, is := range fam {
			perSchool[[2]int64{is.PersonID, is.SchoolID}] = is
		}
		if len(fam) != 3 || len(perSchool) != 3 {
			t.Fatalf("family invitations %+v; want guardian g once per school (2) and noText once", fam)
		}
		if is := perSchool[[2]int64{g, w.schools[0]}]; is.Channel != "sms" || is.Language != "es" {
			t.Fatalf("guardian with a phone: %+v, want sms in es", is)
		}
		if is := perSchool[[2]int64{noText, w.schools[0]}]; is.Channel != "link" {
			t.Fatalf("do-not-text guardian got channel %q", is.Channel)
		}
	})
}

func TestTokensAreHashedAndUnguessable(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok, hash := wave.NewToken(7)
		if route, ok := wave.TokenRoute(tok); len(tok) != 33 || !ok || route != 7 || seen[tok] || len(hash) != 32 {
			t.Fatalf("token %q (hash %d bytes) repeated or malformed", tok, len(hash))
		}
		seen[tok] = true
	}
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.person(t, store.KindStudent, "05", w.schools[0], nil)
		sw := w.wave(t, "student-pulse", store.ModeAnonymous, nil)
		issued, err := w.svc.Invite(context.Background(), w.district, sw.ID)
		must(t, err)
		var n int64
		st.DB.Model(&store.Invitation{}).Where("token_hash = ?", []byte(issued[0].Token)).Count(&n)
		if n != 0 {
			t.Fatal("a token is stored in clear")
		}
		if _, err := w.svc.ByToken(context.Background(), issued[0].Token); err != nil {
			t.Fatalf("ByToken with the issued token: %v", err)
		}
	})
}

func TestConcurrentSubmissionsMakeOneResponse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.person(t, store.KindStudent, "05", w.schools[0], nil)
		sw := w.wave(t, "student-pulse", store.ModeConfidential, nil)
		issued, err := w.svc.Invite(ctx, w.district, sw.ID)
		must(t, err)
		sess, err := w.svc.ByToken(ctx, issued[0].Token)
		must(t, err)
		must(t, w.svc.SavePage(ctx, sess, 0, map[string]string{}, nil, 1, "en"))
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := w.svc.ByToken(ctx, issued[0].Token)
				if errors.Is(err, wave.ErrUsed) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				errs <- w.svc.Submit(ctx, s, "en")
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		st.DB.Model(&store.Response{}).Where("district_id = ? AND wave_id = ?", w.district, sw.ID).Count(&n)
		if n != 1 {
			t.Fatalf("%d responses from 8 concurrent submits, want 1", n)
		}
	})
}

func TestCreateRejectsBadSpecs(t *testing.T) {
	st := testdb.Postgres(t)
	w := newWorld(t, st)
	now := time.Now()
	ok := wave.Spec{DistrictID: w.district, Name: "x", InstrumentID: "student-pulse", InstrumentVersion: 1, Mode: store.ModeAnonymous,
		SchoolIDs: w.schools[:], OpensAt: now, ClosesAt: now.Add(time.Hour)}
	cases := map[string]func(*wave.Spec){
		"unknown instrument":      func(s *wave.Spec) { s.InstrumentID = "nope" },
		"bad mode":                func(s *wave.Spec) { s.Mode = "public" },
		"closes before opening":   func(s *wave.Spec) { s.ClosesAt = s.OpensAt.Add(-time.Minute) },
		"no school":               func(s *wave.Spec) { s.SchoolIDs = nil },
		"foreign school":          func(s *wave.Spec) { s.SchoolIDs = []int64{store.NewID()} },
		"codes when confidential": func(s *wave.Spec) { s.Mode = store.ModeConfidential; s.Channels = []string{"code"} },
		"three reminders":         func(s *wave.Spec) { s.MaxReminders = 3 },
	}
	for name, mutate := range cases {
		spec := ok
		mutate(&spec)
		if _, err := w.svc.Create(context.Background(), spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := w.svc.Create(context.Background(), ok); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
}
