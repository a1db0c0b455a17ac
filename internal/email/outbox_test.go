package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Opening a staff wave with the email channel mails each staff member with an address their own
// link, in their language, with a text/plain part, through a real SMTP server with AUTH.
func TestWaveOpenedWithEmailSendsOneMailPerStaffMember(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 3, store.StatusOpen, func(i int, p *store.Person) {
			switch i {
			case 1:
				p.PreferredLanguage = "es"
			case 2:
				p.Email = "" // no school address: a link invitation (slip or sign-in), no mail
			}
		})
		for _, is := range f.issued {
			want := "email"
			if is.PersonID == f.staff[2].ID {
				want = "link"
			}
			if is.Channel != want {
				t.Errorf("invitation of %d: channel %q, want %q", is.PersonID, is.Channel, want)
			}
		}
		f.sendAll(t)
		got := f.smtp.mails()
		if len(got) != 2 {
			t.Fatalf("server got %d mails, want 2: %+v", len(got), got)
		}
		for _, r := range got {
			i := 0
			if r.To == addrOf(1) {
				i = 1
			} else if r.To != addrOf(0) {
				t.Fatalf("mail to %q", r.To)
			}
			if r.From != "surveys@lincoln.example.org" || r.User != "mailer" {
				t.Errorf("%s: from %q, auth user %q", r.To, r.From, r.User)
			}
			p := parseMail(t, r.Data)
			plain := p.Parts["text/plain"]
			link := testBase + "/s/" + f.tokenOf(f.staff[i].ID)
			if !strings.Contains(plain, link) || !strings.Contains(p.Parts["text/html"], `href="`+link+`"`) {
				t.Errorf("%s: text part %q lacks the personal link %s (or the HTML part its anchor)", r.To, plain, link)
			}
			if p.Header.Get("Message-ID") == "" || p.Header.Get("Date") == "" {
				t.Errorf("%s: no Message-ID or Date: %v", r.To, p.Header)
			}
			subj := subjectOf(t, p)
			if i == 1 && (!strings.Contains(plain, "encuesta") || !strings.Contains(subj, "encuesta") || p.Header.Get("Content-Language") != "es") {
				t.Errorf("Spanish staff member got %q / %q", subj, plain)
			}
			if i == 0 && (!strings.Contains(plain, "Hello Pat0") || !strings.Contains(subj, "Lincoln Unified")) {
				t.Errorf("English mail: %q / %q", subj, plain)
			}
		}
		for _, m := range f.messages(t) {
			if m.Status != store.EmailSent || m.SentAt == nil || m.SealedToken != nil || m.MessageID == "" {
				t.Errorf("stored %+v: want sent, sent_at, message id, sealed token dropped", m)
			}
		}
		var sent int64
		st.DB.Model(&store.Invitation{}).Where("district_id = ? AND sent_at IS NOT NULL", f.district).Count(&sent)
		if sent != 2 {
			t.Errorf("%d invitations stamped sent_at, want 2", sent)
		}
		f.sendAll(t)
		if n := len(f.smtp.mails()); n != 2 {
			t.Fatalf("a second pass sent again: %d mails", n)
		}
	})
}

// A draft wave queues nothing; opening it (the lifecycle use case) queues and sends.
func TestDraftWaveSendsNothingUntilOpened(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 2, store.StatusDraft, nil)
	f.sendAll(t)
	if n := len(f.messages(t)); n != 0 || len(f.smtp.mails()) != 0 {
		t.Fatalf("draft wave: %d outbox rows, %d mails", n, len(f.smtp.mails()))
	}
	ws := &wave.Service{Store: st, Notifier: wave.Notifiers{f.svc}}
	if _, _, err := ws.Apply(context.Background(), f.district, f.wave, wave.Change{Action: wave.ActOpen}, wave.System); err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	if n := len(f.smtp.mails()); n != 2 {
		t.Fatalf("after opening: %d mails, want 2", n)
	}
}

// A person who opted out or left after their mail was queued gets nothing: the contact rule is
// asked again at send time.
func TestContactRuleAtSendTime(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 3, store.StatusOpen, nil)
	db := st.DB.Model(&store.Person{}).Where("district_id = ?", f.district)
	if err := db.Where("id = ?", f.staff[0].ID).Update("survey_opt_out", true).Error; err != nil {
		t.Fatal(err)
	}
	if err := st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.staff[1].ID).Update("active", false).Error; err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	got := f.smtp.mails()
	if len(got) != 1 || got[0].To != addrOf(2) {
		t.Fatalf("mails %+v: want only %s", got, addrOf(2))
	}
	for _, m := range f.messages(t) {
		if m.ToAddress != addrOf(2) && (m.Status != store.EmailCancelled || m.SealedToken != nil) {
			t.Errorf("%s: %s (%s), want cancelled without its token", m.ToAddress, m.Status, m.LastError)
		}
	}
}

// 550 is permanent (never retried); 451 is retried later; a connection cut after the data went
// out is unknown and never resent.
func TestSMTPErrorClasses(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 3, store.StatusOpen, nil)
		f.smtp.mu.Lock()
		f.smtp.rcpt[addrOf(0)] = 550
		f.smtp.rcpt[addrOf(1)] = 451
		f.smtp.cut[addrOf(2)] = true
		f.smtp.mu.Unlock()
		f.sendAll(t)
		byTo := func() map[string]store.EmailMessage {
			out := map[string]store.EmailMessage{}
			for _, m := range f.messages(t) {
				out[m.ToAddress] = m
			}
			return out
		}
		m := byTo()
		if x := m[addrOf(0)]; x.Status != store.EmailFailed || x.Attempts != 1 || !strings.Contains(x.LastError, "550") {
			t.Errorf("550: %+v, want failed after one attempt", x)
		}
		if x := m[addrOf(1)]; x.Status != store.EmailQueued || !x.NextAttemptAt.After(f.clock.Now()) || !strings.Contains(x.LastError, "451") {
			t.Errorf("451: %+v, want queued for later", x)
		}
		if x := m[addrOf(2)]; x.Status != store.EmailUnknown || x.SealedToken != nil {
			t.Errorf("cut after DATA: %+v, want unknown", x)
		}
		// Later, the server takes everything: only the 451 is tried again.
		f.smtp.mu.Lock()
		f.smtp.rcpt, f.smtp.cut = map[string]int{}, map[string]bool{}
		f.smtp.mu.Unlock()
		f.clock.Add(2 * time.Hour)
		f.sendAll(t)
		got := f.smtp.mails()
		if len(got) != 1 || got[0].To != addrOf(1) {
			t.Fatalf("after the retry delay the server got %+v; want only the 451 retried", got)
		}
		if x := byTo()[addrOf(1)]; x.Status != store.EmailSent || x.Attempts != 2 {
			t.Errorf("451 retried: %+v", x)
		}
		if x := byTo()[addrOf(2)]; x.Status != store.EmailUnknown {
			t.Errorf("unknown row changed: %+v", x)
		}
	})
}

// A worker killed after claiming (before or during the hand-over) never causes a second mail:
// its rows stay "sending", the lease turns them unknown, and no later pass sends them.
func TestKilledWorkerDoesNotDoubleSend(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 2, store.StatusOpen, nil)
	ctx := context.Background()
	// Worker A claims staff 0's mail and dies before sending it.
	claimed, err := f.svc.claim(ctx, f.district, 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	// Worker B is killed while the server is reading staff 1's mail.
	hold := make(chan struct{})
	f.smtp.mu.Lock()
	other := addrOf(1)
	if claimed[0].ToAddress == other {
		other = addrOf(0)
	}
	f.smtp.hold[other] = hold
	f.smtp.mu.Unlock()
	kctx, kill := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); f.svc.SendDue(kctx) }()
	<-f.smtp.started
	kill()
	<-done
	close(hold)
	// Another worker finds nothing to send; after the lease both rows are unknown, never resent.
	f.sendAll(t)
	f.clock.Add(f.svc.SendingLease + time.Minute)
	if n, err := f.svc.RecoverStuck(ctx); err != nil || n != 2 {
		t.Fatalf("RecoverStuck = %d, %v; want 2", n, err)
	}
	f.clock.Add(24 * time.Hour)
	f.sendAll(t)
	if n := len(f.smtp.mails()); n > 1 {
		t.Fatalf("server got %d mails; want at most the one in flight", n)
	}
	for _, m := range f.messages(t) {
		if m.Status != store.EmailUnknown || m.SealedToken != nil {
			t.Errorf("%s: %s, want unknown without its token", m.ToAddress, m.Status)
		}
	}
}

// The outbox holds no usable link: the body has a placeholder and the token is sealed with a
// key the database does not hold.
func TestOutboxRowsHoldNoUsableToken(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 3, store.StatusOpen, nil)
	msgs := f.messages(t)
	if len(msgs) != 3 {
		t.Fatalf("%d rows queued, want 3", len(msgs))
	}
	for _, m := range msgs {
		tok := f.tokenOf(m.PersonID)
		if tok == "" || strings.Contains(m.Body, tok) || strings.Contains(m.Subject, tok) || bytes.Contains(m.SealedToken, []byte(tok)) {
			t.Errorf("row %d holds its token in clear", m.ID)
		}
		if !strings.Contains(m.Body, tokenSlot) || len(m.SealedToken) == 0 {
			t.Errorf("row %d: no placeholder or no sealed token", m.ID)
		}
		if h := wave.HashToken(tok); bytes.Contains(m.SealedToken, h) {
			t.Errorf("row %d holds the token hash", m.ID)
		}
	}
}

// One reminder, after the wave's reminder delay, to those who have not answered only.
func TestReminderOnlyToNonRespondents(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 3, store.StatusOpen, nil)
	ctx := context.Background()
	f.sendAll(t)
	now := f.clock.Now()
	if err := st.DB.Model(&store.Invitation{}).Where("district_id = ? AND person_id = ?", f.district, f.staff[0].ID).Update("completed_at", now).Error; err != nil {
		t.Fatal(err)
	}
	f.clock.Add(47 * time.Hour)
	if n, err := f.svc.ScheduleReminders(ctx); err != nil || n != 0 {
		t.Fatalf("before the delay: %d reminders, %v", n, err)
	}
	f.clock.Add(2 * time.Hour)
	if n, err := f.svc.ScheduleReminders(ctx); err != nil || n != 2 {
		t.Fatalf("after the delay: %d reminders, %v; want 2", n, err)
	}
	if n, err := f.svc.ScheduleReminders(ctx); err != nil || n != 0 {
		t.Fatalf("a second pass queued %d more, %v", n, err)
	}
	f.sendAll(t)
	got := f.smtp.mails()[3:]
	if len(got) != 2 {
		t.Fatalf("%d reminders sent, want 2", len(got))
	}
	for _, r := range got {
		if r.To == addrOf(0) {
			t.Fatal("the respondent got a reminder")
		}
		p := parseMail(t, r.Data)
		if !strings.Contains(p.Parts["text/plain"], "not answered") || !strings.Contains(subjectOf(t, p), "Reminder") {
			t.Errorf("reminder to %s: %q", r.To, p.Parts["text/plain"])
		}
		if !strings.Contains(p.Parts["text/plain"], testBase+"/s/") {
			t.Errorf("reminder to %s has no link", r.To)
		}
	}
	f.clock.Add(72 * time.Hour)
	if n, _ := f.svc.ScheduleReminders(ctx); n != 0 {
		t.Fatalf("a second reminder was queued: %d", n)
	}
}

// smtp:// requires STARTTLS: a server that does not offer it gets no mail (it is kept and
// retried, with the reason); one that does gets it over TLS.
func TestSTARTTLSRequired(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 1, store.StatusOpen, nil)
	plain := newSMTPServer(t, nil, "")
	f.svc = f.service(t, "smtp://"+plain.addr)
	f.svc.district = f.district
	f.sendAll(t)
	if n := len(plain.mails()); n != 0 {
		t.Fatalf("a server without STARTTLS got %d mails", n)
	}
	m := f.messages(t)[0]
	if m.Status != store.EmailQueued || !strings.Contains(m.LastError, "STARTTLS") {
		t.Fatalf("row %+v: want queued, with a STARTTLS error", m)
	}
	srvTLS, pool := selfSigned(t)
	secure := newSMTPServer(t, srvTLS, "mailer")
	f.svc = f.service(t, "smtp://mailer:secret@"+secure.addr)
	f.svc.Sender.(*SMTPSender).TLSConfig = &tls.Config{RootCAs: pool}
	f.clock.Add(2 * time.Hour)
	f.sendAll(t)
	got := secure.mails()
	if len(got) != 1 || !got[0].TLS || got[0].User != "mailer" {
		t.Fatalf("STARTTLS server got %+v; want one mail over TLS, authenticated", got)
	}
}

// A roster import that opts a person out cancels their queued mail in its transaction.
func TestCancelQueuedForRosterOptOut(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 3, store.StatusOpen, nil)
	ids := []int64{f.staff[0].ID, f.staff[1].ID, f.staff[2].ID}
	err := st.Tx(context.Background(), func(tx *gorm.DB) error {
		if err := tx.Model(&store.Person{}).Where("district_id = ? AND id = ?", f.district, f.staff[0].ID).Update("survey_opt_out", true).Error; err != nil {
			return err
		}
		n, err := CancelQueuedTx(tx, f.district, ids, f.clock.Now())
		if n != 1 {
			t.Errorf("cancelled %d, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range f.messages(t) {
		want := store.EmailQueued
		if m.PersonID == f.staff[0].ID {
			want = store.EmailCancelled
		}
		if m.Status != want || (want == store.EmailCancelled && m.SealedToken != nil) {
			t.Errorf("%s: %s, want %s", m.ToAddress, m.Status, want)
		}
	}
}

// A worker stopped before any message data went out puts the mail back in the queue (nothing
// was delivered), and the next worker sends it once.
func TestStopBeforeDataRequeues(t *testing.T) {
	st := testdb.Postgres(t)
	f := newFixture(t, st, 1, store.StatusOpen, nil)
	hold := make(chan struct{})
	f.smtp.mu.Lock()
	f.smtp.holdRcpt[addrOf(0)] = hold
	f.smtp.mu.Unlock()
	kctx, kill := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); f.svc.SendDue(kctx) }()
	<-f.smtp.started
	kill()
	<-done
	close(hold)
	m := f.messages(t)[0]
	if m.Status != store.EmailQueued || m.Attempts != 0 || len(m.SealedToken) == 0 {
		t.Fatalf("after a stop before DATA: %+v, want queued again, no attempt counted, link kept", m)
	}
	f.smtp.mu.Lock()
	delete(f.smtp.holdRcpt, addrOf(0))
	f.smtp.mu.Unlock()
	f.sendAll(t)
	if got := f.smtp.mails(); len(got) != 1 {
		t.Fatalf("server got %d mails, want 1", len(got))
	}
}
