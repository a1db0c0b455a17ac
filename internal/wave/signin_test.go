package wave_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestSignedInSurveys: a signed-in person sees only their own invitations in open waves; Start
// gives a working link that replaces the previous sign-in link and no other token, and refuses
// someone else's invitation, a closed wave and an opted-out person. On both dialects.
func TestSignedInSurveys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		me := w.person(t, store.KindStudent, "05", w.schools[0], func(p *store.Person) { p.GivenName = "Mia"; p.PreferredLanguage = "vi" })
		other := w.person(t, store.KindStudent, "05", w.schools[0], nil)
		open := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"})
		_, err := w.svc.Invite(ctx, w.district, open.ID)
		must(t, err)
		closed := w.wave(t, "student-pulse", store.ModeConfidential, []string{"link"})
		_, err = w.svc.Invite(ctx, w.district, closed.ID)
		must(t, err)
		inv := func(wv store.Wave, person int64) int64 {
			var id int64
			must(t, st.DB.Model(&store.Invitation{}).Where("district_id = ? AND wave_id = ? AND person_id = ?", w.district, wv.ID, person).Pluck("id", &id).Error)
			return id
		}
		// A slip code exists already: Start must not touch it.
		must(t, st.DB.Create(&store.InvitationToken{DistrictID: w.district, TokenHash: wave.HashToken("slip-code"), InvitationID: inv(open, me), Kind: wave.KindSlip, CreatedAt: st.Now()}).Error)
		must(t, w.svc.SetStatus(ctx, w.district, closed.ID, store.StatusClosed))

		got, err := w.svc.MySurveys(ctx, w.district, me)
		must(t, err)
		if got.GivenName != "Mia" || got.Language != "vi" || len(got.Surveys) != 1 || got.Surveys[0].InvitationID != inv(open, me) || got.Surveys[0].Started || got.Surveys[0].Done {
			t.Fatalf("my surveys: %+v", got)
		}
		if _, err := w.svc.StartSignedIn(ctx, w.district, me, inv(open, other)); !errors.Is(err, wave.ErrUnknown) {
			t.Fatalf("someone else's invitation: %v", err)
		}
		if _, err := w.svc.StartSignedIn(ctx, w.district, me, inv(closed, me)); !errors.Is(err, wave.ErrClosed) {
			t.Fatalf("closed wave: %v", err)
		}
		first, err := w.svc.StartSignedIn(ctx, w.district, me, inv(open, me))
		must(t, err)
		second, err := w.svc.StartSignedIn(ctx, w.district, me, inv(open, me))
		must(t, err)
		if _, err := w.svc.ByToken(ctx, first); !errors.Is(err, wave.ErrUnknown) {
			t.Fatalf("replaced sign-in link still opens: %v", err)
		}
		sess, err := w.svc.ByToken(ctx, second)
		must(t, err)
		if sess.Invitation.PersonID != me {
			t.Fatalf("sign-in link opens invitation of %d", sess.Invitation.PersonID)
		}
		var kinds []string
		must(t, st.DB.Model(&store.InvitationToken{}).Where("district_id = ? AND invitation_id = ?", w.district, inv(open, me)).Order("kind").Pluck("kind", &kinds).Error)
		if len(kinds) != 2 || kinds[0] != wave.KindSignIn || kinds[1] != wave.KindSlip {
			t.Fatalf("tokens of the invitation: %v", kinds)
		}
		// An anonymous wave keeps only the day of the start.
		var tok store.InvitationToken
		must(t, st.DB.Where("district_id = ? AND invitation_id = ? AND kind = ?", w.district, inv(open, me), wave.KindSignIn).First(&tok).Error)
		if !tok.CreatedAt.Equal(tok.CreatedAt.UTC().Truncate(24 * time.Hour)) {
			t.Fatalf("sign-in token of an anonymous wave keeps the time %v", tok.CreatedAt)
		}
		// Saved answers make it "Continue"; submitted, "Done".
		must(t, w.svc.SavePage(ctx, sess, 0, map[string]string{}, nil, 1, "en"))
		got, _ = w.svc.MySurveys(ctx, w.district, me)
		if !got.Surveys[0].Started {
			t.Fatalf("saved survey not started: %+v", got.Surveys)
		}
		must(t, w.svc.Submit(ctx, sess, "en"))
		got, _ = w.svc.MySurveys(ctx, w.district, me)
		if !got.Surveys[0].Done || got.Surveys[0].Started {
			t.Fatalf("submitted survey: %+v", got.Surveys)
		}
		if _, err := w.svc.StartSignedIn(ctx, w.district, me, inv(open, me)); !errors.Is(err, wave.ErrUsed) {
			t.Fatalf("start after submitting: %v", err)
		}
		// Opted out since: nothing listed, nothing started.
		must(t, st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", w.district, other).Update("survey_opt_out", true).Error)
		if got, _ := w.svc.MySurveys(ctx, w.district, other); len(got.Surveys) != 0 {
			t.Fatalf("opted-out person's surveys: %+v", got.Surveys)
		}
		if _, err := w.svc.StartSignedIn(ctx, w.district, other, inv(open, other)); !errors.Is(err, wave.ErrOptedOut) {
			t.Fatalf("opted-out start: %v", err)
		}
	})
}
