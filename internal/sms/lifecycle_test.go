package sms

import (
	"context"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/seal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// setStatus puts the fixture's wave in status directly, as an older server might have left it.
func (f *fixture) setStatus(t *testing.T, status string) {
	t.Helper()
	if err := f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.wave).Update("status", status).Error; err != nil {
		t.Fatal(err)
	}
}

// draftWave adds a family SMS wave in draft at the fixture's school, with no invitations yet.
func (f *fixture) draftWave(t *testing.T) int64 {
	t.Helper()
	now := f.st.Now()
	id := store.NewID()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.st.DB.Create(&store.Wave{DistrictID: f.district, ID: id, Name: "Draft", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family",
		AudienceFilter: store.Attrs{}, Mode: store.ModeConfidential, Channels: "link,sms", Status: store.StatusDraft, OpensAt: now.Add(-time.Hour),
		ClosesAt: now.Add(7 * 24 * time.Hour), ReminderDelayHours: 48, MaxReminders: 2, CreatedAt: now, UpdatedAt: now}).Error)
	must(f.st.DB.Create(&store.WaveSchool{DistrictID: f.district, WaveID: id, SchoolID: f.school}).Error)
	return id
}

func (f *fixture) rows(t *testing.T, model any, waveID int64) int64 {
	t.Helper()
	var n int64
	if err := f.st.DB.Model(model).Where("district_id = ? AND wave_id = ?", f.district, waveID).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A draft or scheduled wave queues no text; it is opening that queues them.
func TestDraftAndScheduledWavesQueueNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 3, nil)
		for _, status := range []string{store.StatusDraft, store.StatusScheduled} {
			f.setStatus(t, status)
			n, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
			if err != nil {
				t.Fatal(err)
			}
			if n != 0 || len(f.messages(t)) != 0 {
				t.Fatalf("%s wave: %d texts queued, want none", status, n)
			}
		}
		f.setStatus(t, store.StatusOpen)
		if n, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil || n != 3 {
			t.Fatalf("open wave: queued %d, %v; want 3", n, err)
		}
	})
}

// failAfterQueueing queues for real, then fails: a fault between writing and committing.
type failAfterQueueing struct{ *Service }

func (f failAfterQueueing) EnqueueTx(ctx context.Context, tx *gorm.DB, w store.Wave, issued []wave.Issued) (int, error) {
	if _, err := f.Service.EnqueueTx(ctx, tx, w, issued); err != nil {
		return 0, err
	}
	return 0, errors.New("injected fault after queueing")
}

// Opening a wave writes its invitations and their texts in one transaction: a failure in
// between leaves neither, and opening again texts every family (today's code kept the
// invitations, lost their tokens, and a retry texted nobody).
func TestOpeningQueuesInOneTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 4, nil)
		id := f.draftWave(t)
		waves := &wave.Service{Store: st, Notifier: failAfterQueueing{f.svc}}
		if _, _, err := waves.Apply(ctx, f.district, id, wave.Change{Action: wave.ActOpen}, wave.System); err == nil {
			t.Fatal("open with a failing outbox succeeded")
		}
		w, err := waves.Get(ctx, f.district, id)
		if err != nil {
			t.Fatal(err)
		}
		if w.Status != store.StatusDraft || f.rows(t, &store.Invitation{}, id) != 0 || f.rows(t, &store.SMSMessage{}, id) != 0 {
			t.Fatalf("after a failed open: %s, %d invitations, %d texts; want draft, 0, 0", w.Status, f.rows(t, &store.Invitation{}, id), f.rows(t, &store.SMSMessage{}, id))
		}
		waves.Notifier = f.svc
		if _, issued, err := waves.Apply(ctx, f.district, id, wave.Change{Action: wave.ActOpen}, wave.System); err != nil || len(issued) != 4 {
			t.Fatalf("open: %d issued, %v", len(issued), err)
		}
		if n := f.rows(t, &store.SMSMessage{}, id); n != 4 {
			t.Fatalf("%d texts queued, want 4", n)
		}
		f.sendAll(t)
		if got := len(f.fake.requests()); got != 4 {
			t.Fatalf("%d texts sent, want 4", got)
		}
	})
}

// Invitations made while a wave was a draft (their tokens kept by nobody) are texted with a
// fresh link when it opens.
func TestOpeningTextsInvitationsMadeInDraft(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 2, nil)
		id := f.draftWave(t)
		waves := &wave.Service{Store: st, Notifier: f.svc}
		early, err := waves.Invite(ctx, f.district, id)
		if err != nil || len(early) != 2 || f.rows(t, &store.SMSMessage{}, id) != 0 {
			t.Fatalf("invite in draft: %d issued, %v, %d texts", len(early), err, f.rows(t, &store.SMSMessage{}, id))
		}
		_, issued, err := waves.Apply(ctx, f.district, id, wave.Change{Action: wave.ActOpen}, wave.System)
		if err != nil || len(issued) != 2 || f.rows(t, &store.SMSMessage{}, id) != 2 {
			t.Fatalf("open: %d issued, %v, %d texts", len(issued), err, f.rows(t, &store.SMSMessage{}, id))
		}
		if issued[0].Token == early[0].Token && issued[0].InvitationID == early[0].InvitationID {
			t.Fatal("opening texted the draft's token, which nobody kept")
		}
	})
}

// A text queued before the family opted out, left the roster, texted STOP or was marked do not
// text is cancelled at send time by the one contact rule; the others go.
func TestSendTimeRuleCancelsTextsOfPeopleWhoOptedOut(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 5, nil)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		set := func(i int, col string, v any) {
			t.Helper()
			if err := st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.guardian[i].ID).Update(col, v).Error; err != nil {
				t.Fatal(err)
			}
		}
		set(0, "survey_opt_out", true)
		set(1, "active", false)
		set(2, "do_not_text", true)
		if err := f.svc.recordOptOut(ctx, f.district, phoneOf(3), "STOP"); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		reqs := f.fake.requests()
		if len(reqs) != 1 || reqs[0].To != phoneOf(4) {
			t.Fatalf("sent %d texts (%+v), want only guardian 4's", len(reqs), reqs)
		}
		for _, m := range f.messages(t) {
			if m.ToNumber != phoneOf(4) && (m.Status != store.SMSCancelled || m.LastError == "") {
				t.Errorf("%s: %s %q, want cancelled with a reason", m.ToNumber, m.Status, m.LastError)
			}
		}
		// Reminders ask the same rule: none for the opted-out.
		f.clock.Add(49 * time.Hour)
		if n, err := f.svc.ScheduleReminders(ctx); err != nil || n != 1 {
			t.Fatalf("reminders queued %d, %v; want 1 (guardian 4)", n, err)
		}
	})
}

// A Twilio call that times out after the request went out is recorded "unknown" and never
// retried: Twilio may have sent it, and a family must not get the text twice.
func TestTwilioTimeoutIsUnknownAndNeverResent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 1, nil)
		f.fake.hold[0] = make(chan struct{}) // Twilio takes the first request and never answers
		client := f.fake.client()
		client.Timeout = 300 * time.Millisecond
		f.svc.Sender = NewTwilioSender("AC0123456789abcdef0123456789abcdef", "authtoken0123", "MG0123456789abcdef0123456789abcdef", "", client)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		msgs := f.messages(t)
		if len(msgs) != 1 || msgs[0].Status != store.SMSUnknown {
			t.Fatalf("after a timeout: %+v, want unknown", msgs)
		}
		f.clock.Add(2 * time.Hour) // past any backoff
		f.sendAll(t)
		if n := len(f.fake.requests()); n != 1 {
			t.Fatalf("Twilio got %d requests, want 1 (no blind resend)", n)
		}
	})
}

// A request that never reached Twilio (no connection) is safe to retry; one that went out and
// got no answer is not.
func TestTwilioTransportErrorsClassified(t *testing.T) {
	dial := &url.Error{Op: "Post", URL: "https://api.twilio.com", Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}}
	read := &url.Error{Op: "Post", URL: "https://api.twilio.com", Err: &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}}
	if c := classify(dial).Class; c != Retryable {
		t.Errorf("dial error classed %s, want retryable", c)
	}
	if c := classify(read).Class; c != Unknown {
		t.Errorf("reset after sending classed %s, want unknown", c)
	}
}

// A link sealed by another process (another instance, or before a restart with no key set)
// cannot be opened here: the text goes with a fresh, working link instead of none.
func TestLinkSealedElsewhereGoesWithAFreshLink(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 1, nil)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		f.svc.Sealer = seal.Random()
		f.sendAll(t)
		reqs := f.fake.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests", len(reqs))
		}
		tok := tokenShape.FindString(reqs[0].Body)
		var n int64
		st.DB.Model(&store.InvitationToken{}).Where("district_id = ? AND token_hash = ?", f.district, wave.HashToken(tok)).Count(&n)
		if tok == "" || tok == f.issued[0].Token || n != 1 {
			t.Fatalf("sent %q: want a fresh token stored as a hash (found %d)", reqs[0].Body, n)
		}
	})
}

// tokenShape finds a survey token: the 32-character secret after its route (none for a legacy one).
var tokenShape = regexp.MustCompile(`[a-z2-7]{32,34}`)

// tokenWindows is every run of token characters that could be a token, in s: each substring of
// a token's length, so a token inside a longer run is found too.
func tokenWindows(s string) []string {
	var out []string
	for _, run := range regexp.MustCompile(`[a-z2-7]{32,}`).FindAllString(s, -1) {
		for n := 32; n <= wave.MaxTokenLen; n++ {
			for i := 0; i+n <= len(run); i++ {
				out = append(out, run[i:i+n])
			}
		}
	}
	return out
}

// Nothing in the outbox opens a survey: every 32-character token-shaped string in any column of
// any row (invitations and reminders, queued and sent) is checked against the stored token
// hashes. Today's code kept 530 live links in the demo's outbox.
func TestOutboxHoldsNoUsableToken(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 6, nil)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		checkOutbox := func(step string) {
			t.Helper()
			var rows []map[string]any
			if err := st.DB.Table("sms_messages").Where("district_id = ?", f.district).Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				t.Fatalf("%s: no outbox rows", step)
			}
			var candidates []string
			for _, r := range rows {
				for _, v := range r {
					var s string
					switch x := v.(type) {
					case string:
						s = x
					case []byte:
						s = string(x)
					}
					candidates = append(candidates, tokenWindows(strings.ToLower(s))...)
				}
			}
			for _, c := range candidates {
				var n int64
				h := wave.HashToken(c)
				st.DB.Model(&store.Invitation{}).Where("token_hash = ?", h).Count(&n)
				var m int64
				st.DB.Model(&store.InvitationToken{}).Where("token_hash = ?", h).Count(&m)
				if n+m > 0 {
					t.Fatalf("%s: the outbox holds a live token %q", step, c)
				}
			}
		}
		checkOutbox("queued")
		f.svc.Sender = &OutboxSender{Log: quietLog()} // the demo's local outbox keeps its rows
		f.sendAll(t)
		checkOutbox("delivered locally")
		f.clock.Add(49 * time.Hour)
		if _, err := f.svc.ScheduleReminders(ctx); err != nil {
			t.Fatal(err)
		}
		checkOutbox("reminders queued")
		f.svc.Sender = NewTwilioSender("AC0123456789abcdef0123456789abcdef", "authtoken0123", "MG0123456789abcdef0123456789abcdef", "", f.fake.client())
		f.sendAll(t)
		checkOutbox("reminders sent")
		reqs := f.fake.requests()
		if len(reqs) != 6 || !tokenShape.MatchString(reqs[0].Body) {
			t.Fatalf("Twilio got %d reminders; the first %q must carry its link", len(reqs), reqs[0].Body)
		}
	})
}

// Answering by text asks the same rule: a family that opted out of surveys, or left the roster,
// after its invitation was texted gets no conversation (today's code checked neither).
func TestAnsweringByTextHonoursOptOutAndRoster(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := answeringFixture(t, st, 7600, 3, store.ModeConfidential, nil)
		set := func(i int, col string, v any) {
			t.Helper()
			if err := st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.guardian[i].ID).Update(col, v).Error; err != nil {
				t.Fatal(err)
			}
		}
		set(0, "survey_opt_out", true)
		set(1, "active", false)
		if got := f.text(t, phoneOf(7600), "hi"); len(got) != 0 {
			t.Fatalf("opted out: %q", got)
		}
		if got := f.text(t, phoneOf(7601), "hi"); len(got) != 0 {
			t.Fatalf("left the roster: %q", got)
		}
		if got := f.text(t, phoneOf(7602), "hi"); len(got) == 0 {
			t.Fatal("a family still in the roster got no conversation")
		}
	})
}
