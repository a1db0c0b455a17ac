package sms

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

func TestEnqueueFiltersAndSendsOncePerGuardian(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 5, func(i int, p *store.Person) {
			switch i {
			case 0:
				p.PreferredLanguage = "es"
			case 4:
				p.Phone = "" // gets a link invitation, not a text
			}
		})
		// After invitation: guardian 2 is marked do-not-text, guardian 3's number texted STOP.
		if err := st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.guardian[2].ID).Update("do_not_text", true).Error; err != nil {
			t.Fatal(err)
		}
		if err := f.svc.recordOptOut(ctx, f.district, phoneOf(3), "STOP"); err != nil {
			t.Fatal(err)
		}
		n, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		if err != nil || n != 2 {
			t.Fatalf("Enqueue = %d, %v; want 2 (guardians 0 and 1)", n, err)
		}
		if n, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil || n != 0 {
			t.Fatalf("second Enqueue = %d, %v; want 0", n, err)
		}
		f.sendAll(t)
		reqs := f.fake.requests()
		if len(reqs) != 2 {
			t.Fatalf("fake got %d texts, want 2: %+v", len(reqs), reqs)
		}
		tokens := map[string]string{}
		for _, is := range f.issued {
			for i, g := range f.guardian {
				if g.ID == is.PersonID {
					tokens[phoneOf(i)] = is.Token
				}
			}
		}
		msgs := f.messages(t)
		byTo := map[string]store.SMSMessage{}
		for _, m := range msgs {
			byTo[m.ToNumber] = m
		}
		for _, r := range reqs {
			m := byTo[r.To]
			if r.MessagingServiceSid == "" || r.From != "" {
				t.Errorf("%s: MessagingServiceSid %q From %q", r.To, r.MessagingServiceSid, r.From)
			}
			if want := testBase + "/webhooks/twilio/status?d=" + strconv.FormatInt(f.district, 10) + "&m=" + strconv.FormatInt(m.ID, 10); r.StatusCallback != want {
				t.Errorf("%s: StatusCallback %q, want %q", r.To, r.StatusCallback, want)
			}
			if v, _ := strconv.Atoi(r.ValidityPeriod); v <= 0 || v > 4*3600 {
				t.Errorf("%s: ValidityPeriod %q", r.To, r.ValidityPeriod)
			}
			if !strings.Contains(r.Body, testBase+"/s/"+tokens[r.To]) || !strings.HasPrefix(r.Body, "Lincoln Elementary:") {
				t.Errorf("%s: body %q lacks the personal link", r.To, r.Body)
			}
			if Segments(r.Body) > 2 {
				t.Errorf("%s: %d segments", r.To, Segments(r.Body))
			}
			if m.Status != store.SMSSent || m.ProviderSid == "" || m.SentAt == nil || strings.Contains(m.Body, tokens[r.To]) {
				t.Errorf("%s: stored %+v (want sent, sid, sent_at, token scrubbed)", r.To, m)
			}
		}
		if !strings.Contains(byTo[phoneOf(0)].Language, "es") || !strings.Contains(reqs[0].Body+reqs[1].Body, "encuesta") {
			t.Errorf("guardian 0 should get Spanish: %+v", reqs)
		}
		var sent int64
		st.DB.Model(&store.Invitation{}).Where("district_id = ? AND sent_at IS NOT NULL", f.district).Count(&sent)
		if sent != 2 {
			t.Errorf("%d invitations stamped sent_at, want 2", sent)
		}
		// Nothing is due any more: a second worker pass sends nothing.
		f.sendAll(t)
		if len(f.fake.requests()) != 2 {
			t.Fatal("a second pass resent texts")
		}
	})
}

func TestQuietHoursHoldTextsUntilMorning(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 2, nil)
		if err := st.DB.Model(&store.School{}).Where("district_id = ?", f.district).Update("time_zone", "America/Chicago").Error; err != nil {
			t.Fatal(err)
		}
		chicago, _ := time.LoadLocation("America/Chicago")
		f.clock.Set(time.Date(2026, 3, 10, 21, 30, 0, 0, chicago))
		if n, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil || n != 2 {
			t.Fatalf("Enqueue = %d, %v", n, err)
		}
		for _, m := range f.messages(t) {
			if want := time.Date(2026, 3, 11, 8, 0, 0, 0, chicago); !m.NotBefore.Equal(want) {
				t.Fatalf("not_before = %v, want %v", m.NotBefore, want)
			}
		}
		f.sendAll(t)
		if n := len(f.fake.requests()); n != 0 {
			t.Fatalf("%d texts sent at 21:30 local", n)
		}
		f.clock.Set(time.Date(2026, 3, 11, 7, 59, 0, 0, chicago))
		f.sendAll(t)
		if n := len(f.fake.requests()); n != 0 {
			t.Fatalf("%d texts sent at 07:59 local", n)
		}
		f.clock.Set(time.Date(2026, 3, 11, 8, 0, 0, 0, chicago))
		f.sendAll(t)
		if n := len(f.fake.requests()); n != 2 {
			t.Fatalf("%d texts sent at 08:00 local, want 2", n)
		}
		// Late in the window the validity period ends with the window: 19:00 leaves an hour.
		f2 := newFixture(t, st, 1, nil)
		f2.clock.Set(time.Date(2026, 3, 10, 19, 0, 0, 0, time.UTC))
		f2.svc.Enqueue(ctx, f2.district, f2.wave, f2.issued)
		f2.sendAll(t)
		if r := f2.fake.requests(); len(r) != 1 || r[0].ValidityPeriod != "3600" {
			t.Fatalf("requests %+v: want ValidityPeriod 3600", r)
		}
		// Under a minute before the cut-off nothing goes out; the text waits for the morning.
		f3 := newFixture(t, st, 1, nil)
		f3.clock.Set(time.Date(2026, 3, 10, 19, 59, 30, 0, time.UTC))
		f3.svc.Enqueue(ctx, f3.district, f3.wave, f3.issued)
		f3.sendAll(t)
		if r := f3.fake.requests(); len(r) != 0 {
			t.Fatalf("sent at 19:59:30: %+v", r)
		}
		if m := f3.messages(t)[0]; m.Status != store.SMSQueued || m.Attempts != 0 || !m.NotBefore.Equal(time.Date(2026, 3, 11, 8, 0, 0, 0, time.UTC)) {
			t.Fatalf("after the cut-off: %+v", m)
		}
	})
}

// A claimed message whose send finds the window closed (claimed at 19:59:59, checked at 20:00)
// goes back to wait without costing an attempt.
func TestRetriesAndPermanentErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 4, nil)
		// Guardian 0: 429 then 500 then success. 1: invalid number. 2: unsubscribed at carrier.
		// 3: succeeds at once.
		seen := map[string]int{}
		var mu sync.Mutex
		f.fake.respond = func(n int, r fakeReq) (int, string) {
			mu.Lock()
			defer mu.Unlock()
			seen[r.To]++
			switch r.To {
			case phoneOf(0):
				switch seen[r.To] {
				case 1:
					return twilioError(429, 20429)
				case 2:
					return twilioError(503, 20503)
				}
			case phoneOf(1):
				return twilioError(400, 21211)
			case phoneOf(2):
				return twilioError(400, 21610)
			}
			return 201, `{"sid":"SM` + strconv.Itoa(n) + `","status":"queued"}`
		}
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		f.sendAll(t)
		byTo := func() map[string]store.SMSMessage {
			m := map[string]store.SMSMessage{}
			for _, x := range f.messages(t) {
				m[x.ToNumber] = x
			}
			return m
		}
		got := byTo()
		if m := got[phoneOf(0)]; m.Status != store.SMSQueued || m.Attempts != 1 || !m.NotBefore.After(f.clock.Now()) {
			t.Fatalf("after 429: %+v, want queued for later, 1 attempt", m)
		}
		if m := got[phoneOf(1)]; m.Status != store.SMSFailed || m.ErrorCode != 21211 {
			t.Fatalf("invalid number: %+v", m)
		}
		if m := got[phoneOf(2)]; m.Status != store.SMSFailed || m.ErrorCode != 21610 {
			t.Fatalf("unsubscribed: %+v", m)
		}
		if ok, _ := f.svc.OptedOut(ctx, f.district, phoneOf(2)); !ok {
			t.Fatal("21610 did not record an opt-out")
		}
		for i := 0; i < 3; i++ {
			f.clock.Add(2 * time.Minute) // backoff is 1 min + up to 30 s jitter in the fixture
			f.sendAll(t)
		}
		got = byTo()
		if m := got[phoneOf(0)]; m.Status != store.SMSSent || m.Attempts != 3 {
			t.Fatalf("after 429, 503, 201: %+v", m)
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[phoneOf(1)] != 1 || seen[phoneOf(2)] != 1 || seen[phoneOf(3)] != 1 || seen[phoneOf(0)] != 3 {
			t.Fatalf("requests per number %v: permanent errors must not be retried", seen)
		}
	})
}

// Killing the worker mid-batch (its context cancelled while Twilio is slow) must not make
// anyone get a second text: the in-flight message is left "sending" and later marked "unknown",
// the claimed-but-untried ones go back to the queue, and the restarted worker sends only those.
func TestKilledWorkerNeverDoublesTexts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 5, nil)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		f.fake.hold[1] = make(chan struct{}) // the second text hangs in "Twilio"
		f.svc.Workers = 1
		runCtx, kill := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { f.svc.Run(runCtx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for len(f.fake.requests()) < 2 {
			if time.Now().After(deadline) {
				t.Fatal("worker never reached the second text")
			}
			time.Sleep(5 * time.Millisecond)
		}
		kill()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("worker did not stop")
		}
		close(f.fake.hold[1]) // "Twilio" took the hung message after all
		msgs := f.messages(t)
		if countBy(msgs, store.SMSSent) != 1 || countBy(msgs, store.SMSSending) != 1 || countBy(msgs, store.SMSQueued) != 3 {
			t.Fatalf("after kill: %d sent, %d sending, %d queued; want 1, 1, 3", countBy(msgs, store.SMSSent), countBy(msgs, store.SMSSending), countBy(msgs, store.SMSQueued))
		}
		// Restart later with a fresh Twilio.
		f.clock.Add(f.svc.SendingLease + time.Minute)
		fake2 := newFakeTwilio(t)
		f.svc = f.service(t, fake2)
		if n, err := f.svc.RecoverStuck(ctx); err != nil || n != 1 {
			t.Fatalf("RecoverStuck = %d, %v; want 1", n, err)
		}
		f.sendAll(t)
		perNumber := map[string]int{}
		for _, r := range append(f.fake.requests(), fake2.requests()...) {
			perNumber[r.To]++
		}
		for i := 0; i < 5; i++ {
			if perNumber[phoneOf(i)] != 1 {
				t.Errorf("%s got %d texts, want exactly 1 (%v)", phoneOf(i), perNumber[phoneOf(i)], perNumber)
			}
		}
		msgs = f.messages(t)
		if countBy(msgs, store.SMSSent) != 4 || countBy(msgs, store.SMSUnknown) != 1 {
			t.Fatalf("after restart: %d sent, %d unknown; want 4, 1", countBy(msgs, store.SMSSent), countBy(msgs, store.SMSUnknown))
		}
		// A late status callback settles the unknown one.
		for _, m := range msgs {
			if m.Status == store.SMSUnknown {
				if err := f.svc.RecordStatus(ctx, f.district, m.ID, "SMx", "delivered", ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		if countBy(f.messages(t), store.SMSDelivered) != 1 {
			t.Fatal("callback did not settle the unknown message")
		}
	})
}

func TestStatusOnlyMovesForward(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 1, nil)
		f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		f.sendAll(t)
		m := f.messages(t)[0]
		steps := []struct{ twilio, want string }{
			{"delivered", store.SMSDelivered},
			{"sent", store.SMSDelivered}, // late "sent" after "delivered"
			{"queued", store.SMSDelivered},
			{"failed", store.SMSDelivered},
		}
		for _, s := range steps {
			if err := f.svc.RecordStatus(ctx, f.district, m.ID, m.ProviderSid, s.twilio, ""); err != nil {
				t.Fatal(err)
			}
			if got := f.messages(t)[0].Status; got != s.want {
				t.Fatalf("after %s: %s, want %s", s.twilio, got, s.want)
			}
		}
		if err := f.svc.RecordStatus(ctx, f.district, m.ID, "SMother", "delivered", ""); err == nil {
			t.Fatal("a callback with another message's sid was accepted")
		}
		if err := f.svc.RecordStatus(ctx, f.district, 12345, "", "delivered", ""); err == nil {
			t.Fatal("a callback for an unknown message was accepted")
		}
		if err := f.svc.RecordStatus(ctx, f.district+1, m.ID, m.ProviderSid, "delivered", ""); !errors.Is(err, ErrUnknownMessage) {
			t.Fatalf("a callback naming another district: %v", err)
		}
		// A callback URL given to Twilio before the district was in it (#19 line 3) still counts.
		if err := f.svc.RecordStatus(ctx, 0, m.ID, m.ProviderSid, "delivered", ""); err != nil {
			t.Fatalf("legacy callback: %v", err)
		}
	})
}

func TestRemindersAtMostTwoWithFreshLinks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 3, nil)
		f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		f.sendAll(t)
		// Guardian 1 answers; guardian 2's wave-mate… all in one wave here.
		var inv1 store.Invitation
		st.DB.Where("district_id = ? AND person_id = ?", f.district, f.guardian[1].ID).First(&inv1)
		now := f.clock.Now()
		st.DB.Model(&store.Invitation{}).Where("district_id = ? AND id = ?", f.district, inv1.ID).Update("completed_at", now)

		if n, err := f.svc.scheduleReminders(ctx, f.district); err != nil || n != 0 {
			t.Fatalf("reminders before the delay: %d, %v", n, err)
		}
		f.clock.Add(47 * time.Hour)
		if n, _ := f.svc.scheduleReminders(ctx, f.district); n != 0 {
			t.Fatalf("reminders after 47 h: %d", n)
		}
		f.clock.Add(time.Hour)
		n, err := f.svc.scheduleReminders(ctx, f.district)
		if err != nil || n != 2 {
			t.Fatalf("first reminders = %d, %v; want 2 (guardians 0 and 2)", n, err)
		}
		if n, _ := f.svc.scheduleReminders(ctx, f.district); n != 0 {
			t.Fatalf("reminders queued twice: %d", n)
		}
		f.sendAll(t)
		reqs := f.fake.requests()
		if len(reqs) != 5 {
			t.Fatalf("%d texts, want 3 invites + 2 reminders", len(reqs))
		}
		// The reminder's link is new and opens the survey; the first link still works too.
		last := reqs[len(reqs)-1].Body
		i := strings.Index(last, "/s/")
		if i < 0 || !strings.Contains(last, "reminder") {
			t.Fatalf("reminder body %q", last)
		}
		token := tokenShape.FindString(last[i+3:])
		var extra int64
		st.DB.Model(&store.InvitationToken{}).Where("district_id = ? AND token_hash = ?", f.district, wave.HashToken(token)).Count(&extra)
		if extra != 1 {
			t.Fatal("reminder token not stored in invitation_tokens")
		}
		cat, err := survey.Load(surveys.FS)
		if err != nil {
			t.Fatal(err)
		}
		ws := &wave.Service{Store: st, Surveys: cat}
		sess, err := ws.ByToken(ctx, token)
		if err != nil || sess.Invitation == nil || sess.Invitation.PersonID != f.guardian[2].ID && sess.Invitation.PersonID != f.guardian[0].ID {
			t.Fatalf("reminder link does not open the survey: %v", err)
		}
		for _, is := range f.issued {
			if is.PersonID == f.guardian[1].ID {
				continue // answered
			}
			if _, err := ws.ByToken(ctx, is.Token); err != nil {
				t.Fatalf("the first link stopped working after a reminder: %v", err)
			}
		}
		f.clock.Add(48 * time.Hour)
		if n, _ := f.svc.scheduleReminders(ctx, f.district); n != 2 {
			t.Fatalf("second reminders = %d, want 2", n)
		}
		f.sendAll(t)
		f.clock.Add(48 * time.Hour)
		if n, _ := f.svc.scheduleReminders(ctx, f.district); n != 0 {
			t.Fatalf("third reminder queued: %d (max is 2)", n)
		}
		var sent int
		st.DB.Model(&store.Invitation{}).Select("MAX(reminders_sent)").Where("district_id = ?", f.district).Scan(&sent)
		if sent != 2 {
			t.Fatalf("reminders_sent = %d", sent)
		}
	})
}

func TestNoRemindersAfterTheWaveCloses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 1, nil)
		f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		f.sendAll(t)
		f.clock.Add(49 * time.Hour)
		st.DB.Model(&store.Wave{}).Where("district_id = ?", f.district).Update("closes_at", f.clock.Now().Add(-time.Minute))
		if n, err := f.svc.scheduleReminders(ctx, f.district); err != nil || n != 0 {
			t.Fatalf("reminders for a closed wave: %d, %v", n, err)
		}
	})
}

func TestInboundKeywords(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 2, nil)
		f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		// Guardian 0 texts STOP before anything went out: the queued text is cancelled.
		r, err := f.svc.HandleInbound(ctx, "(201) 555-0000", " stop ")
		if err != nil || r.Text != "" {
			t.Fatalf("STOP = %q, %v (Twilio confirms English keywords itself)", r.Text, err)
		}
		f.sendAll(t)
		reqs := f.fake.requests()
		if len(reqs) != 1 || reqs[0].To != phoneOf(1) {
			t.Fatalf("texts after STOP: %+v", reqs)
		}
		// A localized STOP is confirmed in its language.
		r, _ = f.svc.HandleInbound(ctx, phoneOf(1), "PARAR")
		if !strings.Contains(r.Text, "START") || !strings.Contains(r.Text, "Lincoln Unified") || !strings.Contains(r.Text, "recibirá") {
			t.Fatalf("PARAR reply %q", r.Text)
		}
		if ok, _ := f.svc.OptedOut(ctx, f.district, phoneOf(1)); !ok {
			t.Fatal("PARAR did not opt out")
		}
		// Opted out: a later wave's Enqueue skips the number.
		if n, _ := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); n != 0 {
			t.Fatalf("Enqueue after opt-out = %d", n)
		}
		r, _ = f.svc.HandleInbound(ctx, phoneOf(1), "help")
		if !strings.Contains(r.Text, "Lincoln Unified") || !strings.Contains(r.Text, "555-0100") || !strings.Contains(r.Text, "STOP") {
			t.Fatalf("HELP reply %q: want program, contact and how to stop", r.Text)
		}
		r, _ = f.svc.HandleInbound(ctx, phoneOf(1), "Ayuda")
		if !strings.Contains(r.Text, "Dudas") {
			t.Fatalf("AYUDA reply %q", r.Text)
		}
		r, _ = f.svc.HandleInbound(ctx, phoneOf(1), "start")
		if ok, _ := f.svc.OptedOut(ctx, f.district, phoneOf(1)); ok || r.Text != "" {
			t.Fatalf("START did not opt back in (reply %q)", r.Text)
		}
		if r, _ := f.svc.HandleInbound(ctx, phoneOf(1), "what is this?"); r.Text != "" {
			t.Fatalf("free text got a reply %q", r.Text)
		}
	})
}

// The local outbox keeps the text with its link sealed: the row holds no token, and only Reveal
// (the demo's outbox page, in the process that sealed it) puts the link back.
func TestLocalOutboxKeepsTextAndMarksDelivered(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 1, nil)
		f.svc.Sender = &OutboxSender{Log: quietLog()}
		f.svc.Enqueue(ctx, f.district, f.wave, f.issued)
		f.sendAll(t)
		if recent, err := f.svc.Recent(ctx, 100); err != nil || len(recent) == 0 {
			t.Fatalf("Recent = %d rows, %v", len(recent), err)
		}
		mine := f.messages(t)
		if len(mine) != 1 || mine[0].Status != store.SMSDeliveredLocal || strings.Contains(mine[0].Body, f.issued[0].Token) {
			t.Fatalf("local outbox: %+v", mine)
		}
		if shown := f.svc.Reveal(mine); !strings.Contains(shown[0].Body, Link(testBase, f.issued[0].Token)) {
			t.Fatalf("revealed body %q lacks the link", shown[0].Body)
		}
		if len(f.fake.requests()) != 0 {
			t.Fatal("local outbox called Twilio")
		}
	})
}

// Several workers (and several Services, as on several app servers) never claim the same row.
func TestConcurrentWorkersSendEachTextOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 120, nil)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		other := f.service(t, f.fake) // a second "app server" on the same database and Twilio
		f.svc.BatchSize, other.BatchSize = 7, 5
		f.svc.Workers, other.Workers = 3, 3
		runCtx, stop := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, svc := range []*Service{f.svc, other} {
			wg.Add(1)
			go func() { defer wg.Done(); svc.Run(runCtx) }()
		}
		deadline := time.Now().Add(30 * time.Second)
		for countBy(f.messages(t), store.SMSSent) < 120 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		stop()
		wg.Wait()
		per := map[string]int{}
		for _, r := range f.fake.requests() {
			per[r.To]++
		}
		if len(per) != 120 {
			t.Fatalf("%d numbers texted, want 120", len(per))
		}
		for to, n := range per {
			if n != 1 {
				t.Fatalf("%s texted %d times", to, n)
			}
		}
	})
}

// A stop (SIGTERM) is not a kill: the text being handed to Twilio finishes and is recorded sent,
// the claimed-but-untried ones go back to the queue, and nothing is left "sending".
func TestStoppedWorkerFinishesTheTextInFlight(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 5, nil)
		if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		f.fake.hold[1] = make(chan struct{}) // the second text is slow in "Twilio"
		f.svc.Workers = 1
		f.svc.Drain = time.Minute
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { f.svc.Run(runCtx); close(done) }()
		deadline := time.Now().Add(10 * time.Second)
		for len(f.fake.requests()) < 2 {
			if time.Now().After(deadline) {
				t.Fatal("worker never reached the second text")
			}
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		select {
		case <-done:
			t.Fatal("worker stopped without waiting for the text in flight")
		default:
		}
		close(f.fake.hold[1])
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("worker did not stop after the text in flight finished")
		}
		msgs := f.messages(t)
		if countBy(msgs, store.SMSSent) != 2 || countBy(msgs, store.SMSSending) != 0 || countBy(msgs, store.SMSQueued) != 3 {
			t.Fatalf("after stop: %d sent, %d sending, %d queued; want 2, 0, 3", countBy(msgs, store.SMSSent), countBy(msgs, store.SMSSending), countBy(msgs, store.SMSQueued))
		}
		if len(f.fake.requests()) != 2 {
			t.Fatalf("%d texts sent after the stop began, want none beyond the one in flight", len(f.fake.requests())-2)
		}
	})
}

// A family with children at two schools gets two invitations, and each text says which school
// it is for (issue #14 line 5): the texts differ by the school, in the guardian's language, and
// a reminder names its school too.
func TestTextsNameTheSchool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) { textsNameTheSchool(t, st) })
}

func textsNameTheSchool(t *testing.T, st *store.Store) {
	ctx := context.Background()
	f := newFixture(t, st, 0, nil)
	now := st.Now()
	other := store.NewID()
	db := st.DB.WithContext(ctx)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.Create(&store.School{DistrictID: f.district, ID: other, SourcedID: "sch2", Name: "Washington Intermediate School", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	must(db.Create(&store.WaveSchool{DistrictID: f.district, WaveID: f.wave, SchoolID: other}).Error)
	g := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: "g-two", Kind: store.KindGuardian, Active: true, Attributes: store.Attrs{},
		Phone: phoneOf(7), PreferredLanguage: "es", CreatedAt: now, UpdatedAt: now}
	must(db.Create(&g).Error)
	for i, school := range []int64{f.school, other} {
		stu := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: fmt.Sprintf("stu-two-%d", i), Kind: store.KindStudent, SchoolID: &school, Active: true, Attributes: store.Attrs{}, CreatedAt: now, UpdatedAt: now}
		must(db.Create(&stu).Error)
		must(db.Create(&store.PersonSchool{DistrictID: f.district, PersonID: stu.ID, SchoolID: school}).Error)
		must(db.Create(&store.GuardianLink{DistrictID: f.district, GuardianID: g.ID, StudentID: stu.ID}).Error)
	}
	issued, err := (&wave.Service{Store: st}).Invite(ctx, f.district, f.wave)
	must(err)
	if len(issued) != 2 {
		t.Fatalf("%d invitations for a guardian of children at two schools, want 2", len(issued))
	}
	if _, err := f.svc.Enqueue(ctx, f.district, f.wave, issued); err != nil {
		t.Fatal(err)
	}
	bodies := map[int64]string{}
	for _, m := range f.messages(t) {
		bodies[m.SchoolID] = m.Body
	}
	if b := bodies[f.school]; !strings.HasPrefix(b, "Lincoln Elementary: encuesta familiar") {
		t.Errorf("Lincoln's invitation: %q", b)
	}
	// 30 characters: the generic words go first, so the part that tells schools apart stays.
	if b := bodies[other]; !strings.HasPrefix(b, "Washington Intermediate: encuesta familiar") {
		t.Errorf("Washington's invitation: %q", b)
	}
	f.sendAll(t)
	f.clock.Add(49 * time.Hour)
	if _, err := f.svc.scheduleReminders(ctx, f.district); err != nil {
		t.Fatal(err)
	}
	reminders := 0
	for _, m := range f.messages(t) {
		if m.Kind == KindInvite {
			continue
		}
		reminders++
		want := map[int64]string{f.school: "Lincoln Elementary recuerda:", other: "Washington Intermediate recuerda:"}[m.SchoolID]
		if !strings.HasPrefix(m.Body, want) {
			t.Errorf("reminder of school %d: %q, want it to start %q", m.SchoolID, m.Body, want)
		}
	}
	if reminders != 2 {
		t.Errorf("%d reminders, want 2 (one per school)", reminders)
	}
}
