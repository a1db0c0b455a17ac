package wave_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestSessionsBringTheirDraft: a personal link and a class code find the saved draft with the
// link itself (one query), on both dialects: nothing saved, saved pages, then submitted.
func TestSessionsBringTheirDraft(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		pid := w.person(t, store.KindStudent, "05", w.schools[0], nil)
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link", "code"})
		issued, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		if len(issued) != 1 || issued[0].PersonID != pid {
			t.Fatalf("issued %+v", issued)
		}
		token := issued[0].Token
		code, err := w.svc.IssueCode(ctx, w.district, wv.ID, w.schools[1], nil)
		must(t, err)
		browser := strings.Repeat("b", 32)
		extra, hash := wave.NewToken() // a reminder's fresh link to the same invitation
		var inv store.Invitation
		must(t, st.DB.Where("district_id = ? AND person_id = ?", w.district, pid).First(&inv).Error)
		must(t, st.DB.Create(&store.InvitationToken{DistrictID: w.district, TokenHash: hash, InvitationID: inv.ID, CreatedAt: st.Now()}).Error)

		for _, c := range []struct {
			name string
			open func() (*wave.Session, error)
		}{
			{"token", func() (*wave.Session, error) { return w.svc.ByToken(ctx, token) }},
			{"code", func() (*wave.Session, error) { return w.svc.ByCode(ctx, strings.ToLower(code), browser) }},
		} {
			t.Run(c.name, func(t *testing.T) {
				sess, err := c.open()
				must(t, err)
				if !sess.Draft.UpdatedAt.IsZero() || sess.Draft.Answers != "" || sess.Submitted {
					t.Fatalf("fresh session has a draft: %+v", sess.Draft)
				}
				must(t, w.svc.SavePage(ctx, sess, 0, map[string]string{"st-listen": "3", "st-explain": "skip", "st-care": "0", "st-promise": ""}, nil, 2, "es"))
				sess, err = c.open()
				must(t, err)
				d := sess.Draft
				if d.UpdatedAt.IsZero() || d.Page != 2 || d.Language != "es" || d.Owner != sess.Owner || d.DistrictID != w.district || d.WaveID != wv.ID || d.Submitted {
					t.Fatalf("saved draft reads back as %+v", d)
				}
				if got := []int{sess.Answer(0), sess.Answer(1), sess.Answer(2), sess.Answer(3)}; got[0] != 3 || got[1] != -1 || got[2] != 0 || got[3] != -1 {
					t.Fatalf("answers %v from %q", got, d.Answers)
				}
				if c.name == "token" {
					if sess.Invitation == nil || sess.Invitation.PersonID != pid || sess.Invitation.WaveID != wv.ID {
						t.Fatalf("invitation %+v", sess.Invitation)
					}
					other, err := w.svc.ByToken(ctx, extra)
					must(t, err)
					if other.Owner != sess.Owner || other.Draft.Answers != d.Answers || other.Invitation.ID != inv.ID {
						t.Fatalf("the reminder's link opens %+v with draft %+v", other.Invitation, other.Draft)
					}
				}
				must(t, w.svc.Submit(ctx, sess, "es"))
				sess, err = c.open()
				if !errors.Is(err, wave.ErrUsed) || !sess.Submitted {
					t.Fatalf("after submitting: %v, submitted %v", err, sess != nil && sess.Submitted)
				}
				if sess.Draft.Answers != "" {
					t.Fatalf("answers kept after submission: %q", sess.Draft.Answers)
				}
			})
		}
		if _, err := w.svc.ByCode(ctx, code, strings.Repeat("c", 32)); err != nil {
			t.Fatalf("another browser on the same code: %v", err)
		}
		if _, err := w.svc.ByToken(ctx, strings.Repeat("a", 32)); !errors.Is(err, wave.ErrUnknown) {
			t.Fatalf("unknown token: %v", err)
		}
		if _, err := w.svc.ByCode(ctx, "ZZZZZZZZZZ", browser); !errors.Is(err, wave.ErrUnknown) {
			t.Fatalf("unknown code: %v", err)
		}
	})
}
