package wave_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/credential"
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
		extra, hash, err := wave.NewDistrictToken(st, st.DB, w.district) // a reminder's fresh link to the same invitation
		must(t, err)
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

// invitedOne makes one student invited to an anonymous wave and returns the invitation.
func invitedOne(t *testing.T, w *world) wave.Issued {
	t.Helper()
	w.person(t, store.KindStudent, "05", w.schools[0], nil)
	wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"})
	issued, err := w.svc.Invite(context.Background(), w.district, wv.ID)
	must(t, err)
	if len(issued) != 1 {
		t.Fatalf("issued %+v", issued)
	}
	return issued[0]
}

// A save in a transaction whose session was opened before a submission is refused with ErrUsed
// and brings no draft back: in an anonymous wave it would tie the answers to the person again.
func TestSavePageTxRefusesAnAnsweredInvitation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		is := invitedOne(t, w)
		stale, err := w.svc.ByInvitation(ctx, w.district, is.InvitationID)
		must(t, err)
		staleWeb, err := w.svc.ByToken(ctx, is.Token)
		must(t, err)
		sess, err := w.svc.ByToken(ctx, is.Token)
		must(t, err)
		must(t, w.svc.Submit(ctx, sess, "en"))
		err = st.Tx(ctx, func(tx *gorm.DB) error {
			return w.svc.SavePageTx(ctx, tx, stale, 0, map[string]string{"st-listen": "3"}, nil, 1, "en")
		})
		if !errors.Is(err, wave.ErrUsed) {
			t.Fatalf("SavePageTx after the submission: %v, want ErrUsed", err)
		}
		// The web path has no transaction: a stale session's save just after the submission finds
		// the submitted marker and leaves it as it is.
		if err := w.svc.SavePage(ctx, staleWeb, 0, map[string]string{"st-listen": "3"}, nil, 1, "en"); err != nil {
			t.Fatalf("stale SavePage: %v", err)
		}
		var n int64
		must(t, st.DB.Model(&store.Draft{}).Where("district_id = ? AND (NOT submitted OR answers <> '')", w.district).Count(&n).Error)
		if n != 0 {
			t.Fatal("a draft with answers was saved for an answered invitation")
		}
	})
}

// ByInvitationTx holds the invitation until its transaction ends: a second transaction opening it
// meanwhile waits, and once the first has saved and submitted it finds the invitation used.
func TestByInvitationTxTakesTurns(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		is := invitedOne(t, w)
		locked, second := make(chan struct{}), make(chan error, 1)
		go func() {
			<-locked
			second <- st.Tx(ctx, func(tx *gorm.DB) error {
				_, err := w.svc.ByInvitationTx(ctx, tx, w.district, is.InvitationID)
				return err
			})
		}()
		err := st.Tx(ctx, func(tx *gorm.DB) error {
			sess, err := w.svc.ByInvitationTx(ctx, tx, w.district, is.InvitationID)
			if err != nil {
				return err
			}
			close(locked)
			waitUntilBlocking(t, st, tx) // the second transaction reaches the invitation meanwhile
			if err := w.svc.SavePageTx(ctx, tx, sess, 0, map[string]string{"st-listen": "3"}, nil, 1, "en"); err != nil {
				return err
			}
			return w.svc.SubmitTx(ctx, tx, sess, "en")
		})
		must(t, err)
		if err := <-second; !errors.Is(err, wave.ErrUsed) {
			t.Fatalf("the transaction that waited: %v, want ErrUsed", err)
		}
		var inv store.Invitation
		must(t, st.DB.Where("district_id = ? AND id = ?", w.district, is.InvitationID).First(&inv).Error)
		mixAll(t, w, inv.WaveID)
		var rs []store.Response
		must(t, st.DB.Where("district_id = ?", w.district).Find(&rs).Error)
		if len(rs) != 1 || rs[0].Answers[0] != '3' || rs[0].InvitationID != nil {
			t.Fatalf("responses %+v, want one anonymous response with the saved answer", rs)
		}
	})
}

// waitUntilBlocking returns once another transaction waits for a lock tx holds. On PostgreSQL it
// watches pg_blocking_pids, so the test orders the two transactions by what the server reports,
// not by a sleep; SQLite's transactions hold the whole database from BEGIN IMMEDIATE, so there a
// second transaction cannot get in between at all and there is nothing to wait for.
func waitUntilBlocking(t *testing.T, st *store.Store, tx *gorm.DB) {
	t.Helper()
	if st.Dialect != config.Postgres {
		return
	}
	var pid int64
	must(t, tx.Raw("SELECT pg_backend_pid()").Scan(&pid).Error)
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(time.Minute)
	for {
		var waiting int64
		must(t, st.DB.Raw("SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))", pid).Scan(&waiting).Error)
		if waiting > 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("no transaction waited for the invitation within a minute")
		}
	}
}

// Unfinished answers outlive nothing: once a wave has ended, its drafts with answers and its SMS
// conversations go (they tie answers in progress to an invitation), while an open wave's stay so
// a link still resumes, and submitted markers stay.
func TestPurgeEndedRemovesUnfinishedAnswers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.person(t, store.KindStudent, "05", w.schools[0], nil)
		invite := func() wave.Issued { // one more wave, inviting the one student
			issued, err := w.svc.Invite(ctx, w.district, w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"}).ID)
			must(t, err)
			if len(issued) != 1 {
				t.Fatalf("issued %+v", issued)
			}
			return issued[0]
		}
		open, ended, done := invite(), invite(), invite()
		save := func(is wave.Issued) *wave.Session {
			sess, err := w.svc.ByToken(ctx, is.Token)
			must(t, err)
			must(t, w.svc.SavePage(ctx, sess, 0, map[string]string{"st-listen": "2"}, nil, 1, "en"))
			return sess
		}
		save(open)
		save(ended)
		must(t, w.svc.Submit(ctx, save(done), "en"))
		var endedInv store.Invitation
		must(t, st.DB.Where("district_id = ? AND id = ?", w.district, ended.InvitationID).First(&endedInv).Error)
		must(t, st.DB.Create(&store.SMSConversation{DistrictID: w.district, InvitationID: ended.InvitationID, Phone: "+12025550143",
			CreatedAt: st.Now(), UpdatedAt: st.Now()}).Error)
		must(t, w.svc.SetStatus(ctx, w.district, endedInv.WaveID, store.StatusClosed))

		n, err := w.svc.PurgeEnded(ctx)
		must(t, err)
		var owners []string
		must(t, st.DB.Model(&store.Draft{}).Where("district_id = ? AND NOT submitted", w.district).Order("owner").Pluck("owner", &owners).Error)
		var convs, markers int64
		must(t, st.DB.Model(&store.SMSConversation{}).Where("district_id = ?", w.district).Count(&convs).Error)
		must(t, st.DB.Model(&store.Draft{}).Where("district_id = ? AND submitted", w.district).Count(&markers).Error)
		want := fmt.Sprint("i:", open.InvitationID)
		if n != 1 || len(owners) != 1 || owners[0] != want || convs != 0 || markers != 1 {
			t.Errorf("after the purge: %d purged, drafts %v (want only %s), %d conversations, %d markers", n, owners, want, convs, markers)
		}
	})
}

// Links made before tokens carried their district's route (32 characters, no route) still open
// their survey after the upgrade, an invitation's and an extra one's; a new link opens only in
// its own district, and a route no district has is an unknown link.
func TestLegacyLinksStillOpen(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		is := invitedOne(t, w)
		if route, ok := wave.TokenRoute(is.Token); !ok || route == credential.Legacy || len(is.Token) <= 32 {
			t.Fatalf("new token %q has no route", is.Token)
		}
		// A token as made before the upgrade: the 32-character secret alone, its hash stored.
		legacy, extra := strings.Repeat("q", 32), strings.Repeat("r", 32)
		must(t, st.DB.Model(&store.Invitation{}).Where("district_id = ? AND id = ?", w.district, is.InvitationID).Update("token_hash", wave.HashToken(legacy)).Error)
		must(t, st.DB.Create(&store.InvitationToken{DistrictID: w.district, TokenHash: wave.HashToken(extra), InvitationID: is.InvitationID, CreatedAt: st.Now()}).Error)
		for _, tok := range []string{legacy, extra} {
			if route, ok := wave.TokenRoute(tok); !ok || route != credential.Legacy {
				t.Fatalf("legacy token %q: route %d, %v", tok, route, ok)
			}
			sess, err := w.svc.ByToken(ctx, tok)
			must(t, err)
			if sess.Invitation == nil || sess.Invitation.ID != is.InvitationID {
				t.Fatalf("legacy token %q opens %+v", tok, sess.Invitation)
			}
		}
		// A fresh link of the same district works; moved to another district's route, or to a
		// route nobody has, it is unknown.
		token, err := w.svc.Reissue(ctx, w.district, is.InvitationID)
		must(t, err)
		if _, err := w.svc.ByToken(ctx, token); err != nil {
			t.Fatalf("reissued link: %v", err)
		}
		other := newWorld(t, st)
		otherRoute, err := st.RouteOf(st.DB, other.district)
		must(t, err)
		_, secret, _ := credential.Split(token, 32)
		for _, moved := range []string{credential.Wrap(otherRoute, secret), credential.Wrap(1<<20, secret)} {
			if _, err := w.svc.ByToken(ctx, moved); !errors.Is(err, wave.ErrUnknown) {
				t.Fatalf("link %q moved to another route: %v", moved, err)
			}
		}
	})
}
