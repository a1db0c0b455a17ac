package sms

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// answeringFixture is newFixture's wave made answerable by text (in mode), its invitations
// texted (sent to the fake Twilio), and the SMS service wired to a real wave service that scores.
// Guardian i's number is phoneOf(base+i): the package's tests share one PostgreSQL database, and
// a reply is matched to the newest invitation texted to the number in any district.
func answeringFixture(t *testing.T, st *store.Store, base, n int, mode string, edit func(i int, p *store.Person)) *fixture {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, st, n, func(i int, p *store.Person) {
		p.Phone = phoneOf(base + i)
		if edit != nil {
			edit(i, p)
		}
	})
	if err := st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.wave).
		Updates(map[string]any{"sms_answering": true, "mode": mode}).Error; err != nil {
		t.Fatal(err)
	}
	sc := loadSurveys(t)
	// The mixer takes each anonymous ballot on its own (MinBatch 1): these tests are about the
	// conversation; TestAnswerByTextLeavesNoLink keeps the default batches.
	f.svc.Waves = &wave.Service{Store: st, Surveys: sc, Scorer: &measures.Service{Store: st, Surveys: sc, Log: quietLog()}, Mixing: wave.MixPolicy{MinBatch: 1}}
	if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	// A reply is matched across districts, in the database the package's tests share: when the
	// test is over its wave stops taking answers by text, so a conversation it left under way
	// cannot take the texts of a later test (or -count run) to the same number.
	t.Cleanup(func() {
		st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.wave).Update("sms_answering", false)
	})
	return f
}

// text sends one inbound text with a fresh message id and returns every text of the reply.
func (f *fixture) text(t *testing.T, from, body string) []string {
	t.Helper()
	return f.textSid(t, from, body, f.nextSid())
}

// nextSid is a fresh inbound MessageSid. Twilio's are unique everywhere, and the package's tests
// share one PostgreSQL database (across -count runs too), where a reused id is a replay: so the
// fixture's district is part of it.
func (f *fixture) nextSid() string {
	f.sid++
	return "SMin" + strconv.FormatInt(f.district, 10) + "-" + strconv.Itoa(f.sid)
}

func (f *fixture) textSid(t *testing.T, from, body, sid string) []string {
	t.Helper()
	r, err := f.svc.HandleText(context.Background(), Inbound{From: from, Body: body, MessageSid: sid})
	if err != nil {
		t.Fatalf("text %q: %v", body, err)
	}
	return replyTexts(r)
}

// replyTexts is every text of a reply, in order.
func replyTexts(r Reply) []string {
	var out []string
	if r.Text != "" {
		out = append(out, r.Text)
	}
	return append(out, r.More...)
}

// together sends the texts from one number at the same moment, each with a fresh message id,
// and returns the reply to each, in the order of bodies.
func (f *fixture) together(t *testing.T, from string, bodies ...string) [][]string {
	t.Helper()
	sids := make([]string, len(bodies))
	for i := range bodies {
		sids[i] = f.nextSid()
	}
	f.warmPool(t, len(bodies)) // one connection per text
	replies, errs := make([][]string, len(bodies)), make([]error, len(bodies))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, body := range bodies {
		wg.Go(func() {
			<-start
			r, err := f.svc.HandleText(context.Background(), Inbound{From: from, Body: body, MessageSid: sids[i]})
			replies[i], errs[i] = replyTexts(r), err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("text %q sent with others: %v", bodies[i], err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return replies
}

// responses are the wave's responses, once the mixer has moved any anonymous ballot.
func (f *fixture) responses(t *testing.T) []store.Response {
	t.Helper()
	if _, err := f.svc.Waves.Mix(context.Background()); err != nil {
		t.Fatal(err)
	}
	var rs []store.Response
	if err := f.st.DB.Where("district_id = ? AND wave_id = ?", f.district, f.wave).Order("answers").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	return rs
}

// leftovers counts what a finished conversation must not leave: conversation rows and drafts
// holding answers (a submitted invitation keeps only an empty marker).
func (f *fixture) leftovers(t *testing.T) int64 {
	return f.count(t, &store.SMSConversation{}, "1 = 1") + f.count(t, &store.Draft{}, "NOT submitted OR answers <> ''")
}

func (f *fixture) count(t *testing.T, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := f.st.DB.Model(model).Where("district_id = ?", f.district).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) scores(t *testing.T, responseID int64) map[string]store.Score {
	t.Helper()
	var ss []store.Score
	if err := f.st.DB.Where("district_id = ? AND response_id = ?", f.district, responseID).Find(&ss).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]store.Score{}
	for _, s := range ss {
		out[s.MeasureID] = s
	}
	return out
}

// A family answers all eight items by text in Spanish, with a skip, a stray word and a replayed
// webhook on the way; the answers become one confidential response, scored exactly as the same
// answers given on the web, and the conversation is gone.
func TestAnswerByTextBecomesAScoredResponse(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := answeringFixture(t, st, 7000, 2, store.ModeConfidential, func(i int, p *store.Person) {
			if i == 0 {
				p.PreferredLanguage = "es"
			}
		})
		in, _ := f.svc.Waves.Surveys.Get("family-pulse", 1)
		byText, onWeb := f.issued[0], f.issued[1] // guardian 0's and 1's invitations
		if byText.PersonID != f.guardian[0].ID {
			byText, onWeb = onWeb, byText
		}
		msgs := f.messages(t)
		if len(msgs) != 2 || !strings.Contains(msgs[0].Body, "envíe OK por SMS") {
			t.Fatalf("invitations %+v: want the Spanish answering invitation", msgs)
		}
		es := phoneOf(7000)
		got := f.text(t, "(201) 555-7000", "OK")
		if len(got) != 2 || !strings.Contains(got[0], "8 preguntas") || !strings.Contains(got[0], "1=Totalmente en desacuerdo") ||
			!strings.HasPrefix(got[1], "1/8 "+in.Items[0].Text["es"]) || !strings.Contains(got[1], "SALTAR") {
			t.Fatalf("start = %q", got)
		}
		if got := f.text(t, es, " 3. "); len(got) != 1 || !strings.HasPrefix(got[0], "2/8 "+in.Items[1].Text["es"]) {
			t.Fatalf("after 3: %q", got)
		}
		if got := f.text(t, es, "saltar"); !strings.HasPrefix(got[0], "3/8 ") {
			t.Fatalf("after SALTAR: %q", got)
		}
		if got := f.text(t, es, "no sé"); len(got) != 1 || !strings.Contains(got[0], "Conteste con 1=Totalmente en desacuerdo") {
			t.Fatalf("after a stray word: %q", got)
		}
		if got := f.text(t, es, "5"); !strings.Contains(got[0], "Conteste con") {
			t.Fatalf("after 5: %q", got)
		}
		// Item 3 gets an Arabic-Indic 4; Twilio then delivers the same webhook again.
		dup := f.nextSid()
		if got := f.textSid(t, es, "٤", dup); !strings.HasPrefix(got[0], "4/8 ") {
			t.Fatalf("after ٤: %q", got)
		}
		if got := f.textSid(t, es, "٤", dup); !strings.HasPrefix(got[0], "4/8 ") {
			t.Fatalf("replayed webhook moved the conversation: %q", got)
		}
		if n := f.count(t, &store.SMSConversation{}, "phone = ? AND item = ?", es, 3); n != 1 {
			t.Fatalf("conversation rows at item 3: %d", n)
		}
		for i, d := range []string{"1", "2", "4", "1"} {
			if got := f.text(t, es, d); !strings.HasPrefix(got[0], fmt.Sprintf("%d/8 ", i+5)) {
				t.Fatalf("after %s: %q", d, got)
			}
		}
		got = f.text(t, es, "2")
		if len(got) != 1 || !strings.Contains(got[0], "gracias") || !strings.Contains(got[0], "Lincoln Unified") {
			t.Fatalf("after the last item: %q", got)
		}
		rs := f.responses(t)
		if len(rs) != 1 || rs[0].Answers != "2-301301" || rs[0].Language != "es" || rs[0].Subgroups["response_language"] != "es" ||
			rs[0].InvitationID == nil || *rs[0].InvitationID != byText.InvitationID {
			t.Fatalf("responses %+v", rs)
		}
		if f.leftovers(t) != 0 ||
			f.count(t, &store.Invitation{}, "id = ? AND completed_at IS NOT NULL", byText.InvitationID) != 1 {
			t.Fatal("conversation or draft left behind, or invitation not completed")
		}
		// Texting on changes nothing: the thank-you again, no second response.
		if got := f.text(t, es, "3"); len(got) != 1 || !strings.Contains(got[0], "gracias") || len(f.responses(t)) != 1 {
			t.Fatalf("after completion: %q, %d responses", got, len(f.responses(t)))
		}

		// The same answers on the web (guardian 1's link) score identically.
		ctx := context.Background()
		sess, err := f.svc.Waves.ByToken(ctx, onWeb.Token)
		if err != nil {
			t.Fatal(err)
		}
		for p := 0; p < sess.Pages(); p++ {
			vals := map[string]string{}
			for _, i := range sess.PageItems(p) {
				if c := rs[0].Answers[i]; c != wave.Missing {
					vals[in.Items[i].ID] = string(c)
				}
			}
			if err := f.svc.Waves.SavePage(ctx, sess, p, vals, nil, p+1, "es"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.Waves.Submit(ctx, sess, "es"); err != nil {
			t.Fatal(err)
		}
		var web store.Response
		if err := st.DB.Where("district_id = ? AND invitation_id = ?", f.district, onWeb.InvitationID).First(&web).Error; err != nil {
			t.Fatal(err)
		}
		smsScores, webScores := f.scores(t, rs[0].ID), f.scores(t, web.ID)
		if len(smsScores) != 2 || len(webScores) != 2 {
			t.Fatalf("scores: by text %d, on the web %d; want 2 measures each", len(smsScores), len(webScores))
		}
		for m, a := range smsScores {
			b := webScores[m]
			if a.Raw != b.Raw || a.NAnswered != b.NAnswered || a.Logit != b.Logit || a.Score != b.Score || a.Category != b.Category || a.Favorable != b.Favorable {
				t.Errorf("%s: by text %+v, on the web %+v", m, a, b)
			}
		}
	})
}

// In an anonymous wave the response answered by text keeps no person, invitation or time, and
// nothing else left in the database ties the answers to the number.
func TestAnswerByTextAnonymous(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := answeringFixture(t, st, 7100, 1, store.ModeAnonymous, nil)
		ph := phoneOf(7100)
		f.text(t, ph, "ok")
		for _, d := range []string{"4", "4", "3", "skip", "4", "3", "4", "2"} {
			f.text(t, ph, d)
		}
		rs := f.responses(t)
		if len(rs) != 1 || rs[0].Answers != "332-3231" || rs[0].InvitationID != nil || rs[0].PersonID != nil || rs[0].SubmittedAt != nil {
			t.Fatalf("anonymous response %+v", rs)
		}
		if len(f.scores(t, rs[0].ID)) != 2 {
			t.Fatal("anonymous response not scored")
		}
		if f.leftovers(t) != 0 {
			t.Fatal("conversation or draft (answers by invitation) left behind")
		}
		if m := f.messages(t); len(m) != 1 || m[0].Kind != KindInvite {
			t.Fatalf("outbox %+v: replies go back as TwiML, so the invitation is the only stored text", m)
		}
	})
}

// STOP in the middle ends the conversation and opts out; later digits get no answer. Numbers
// whose newest invitation is not answerable by text get no answer to a digit either.
func TestAnswerByTextStopAndNotAnswerable(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := answeringFixture(t, st, 7200, 2, store.ModeConfidential, nil)
		ph := phoneOf(7200)
		f.text(t, ph, "hi")
		f.text(t, ph, "2")
		if got := f.text(t, ph, "STOP"); len(got) != 0 {
			t.Fatalf("STOP reply %q (Twilio confirms English keywords)", got)
		}
		if optedOut, _ := f.svc.OptedOut(context.Background(), f.district, ph); !optedOut || f.count(t, &store.SMSConversation{}, "1 = 1") != 0 {
			t.Fatalf("after STOP: opted out %v, conversations %d", optedOut, f.count(t, &store.SMSConversation{}, "1 = 1"))
		}
		if got := f.text(t, ph, "3"); len(got) != 0 || len(f.responses(t)) != 0 {
			t.Fatalf("a digit after STOP: %q", got)
		}
		// HELP in the middle of a conversation is still HELP.
		other := phoneOf(7201)
		f.text(t, other, "ok")
		if got := f.text(t, other, "help"); len(got) != 1 || !strings.Contains(got[0], "555-0100") {
			t.Fatalf("HELP mid-conversation: %q", got)
		}
		if got := f.text(t, other, "1"); !strings.HasPrefix(got[0], "2/8 ") {
			t.Fatalf("after HELP the conversation goes on: %q", got)
		}
		// The wave stops being answerable by text; closed waves likewise say nothing.
		if err := st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.wave).Update("sms_answering", false).Error; err != nil {
			t.Fatal(err)
		}
		if got := f.text(t, other, "1"); len(got) != 0 {
			t.Fatalf("not answerable: %q", got)
		}
		if got := f.text(t, "+12025550199", "1"); len(got) != 0 {
			t.Fatalf("unknown number: %q", got)
		}
	})
}

// Reminders and invitations of a wave that is not answerable by text keep the plain invitation.
func TestPlainInvitationWithoutAnswering(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st, 1, nil)
		if _, err := f.svc.Enqueue(context.Background(), f.district, f.wave, f.issued); err != nil {
			t.Fatal(err)
		}
		if m := f.messages(t); len(m) != 1 || strings.Contains(m[0].Body, "OK") || !strings.Contains(m[0].Body, "2-min family") {
			t.Fatalf("plain invitation: %+v", m)
		}
	})
}

// warmPool opens n pooled connections, so that texts sent together meet in the database rather
// than one finishing while the others are still connecting.
func (f *fixture) warmPool(t *testing.T, n int) {
	t.Helper()
	ctx := context.Background()
	conns := make([]*sql.Conn, 0, n)
	for range n {
		c, err := f.st.SQL().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// acknowledged is the item (0-based) a reply to an answer acknowledges: the one before the item
// it asks next, or the last after the thank-you.
func acknowledged(t *testing.T, reply []string, items int) int {
	t.Helper()
	if len(reply) == 1 && strings.Contains(reply[0], "thank you") {
		return items - 1
	}
	var next, total int
	if len(reply) != 1 {
		t.Fatalf("reply %q acknowledges no answer", reply)
	}
	if _, err := fmt.Sscanf(reply[0], "%d/%d ", &next, &total); err != nil || total != items || next < 2 {
		t.Fatalf("reply %q acknowledges no answer", reply)
	}
	return next - 2
}

// Texts from one number that arrive together are applied one after another: each is
// acknowledged by asking a different item, every acknowledged answer is in the one response,
// and no draft or conversation is left (in an anonymous wave that would tie the answers to the
// person).
func TestAnswerByTextConcurrentRepliesKeepEveryAnswer(t *testing.T) {
	for i, mode := range []string{store.ModeConfidential, store.ModeAnonymous} {
		t.Run(mode, func(t *testing.T) {
			testdb.Each(t, func(t *testing.T, st *store.Store) {
				f := answeringFixture(t, st, 7300+i, 1, mode, nil)
				ph := phoneOf(7300 + i)
				f.text(t, ph, "OK")
				answers := []byte("--------")
				for range 2 {
					bodies := []string{"1", "2", "3", "4"}
					for j, reply := range f.together(t, ph, bodies...) {
						item := acknowledged(t, reply, len(answers))
						if answers[item] != wave.Missing {
							t.Fatalf("item %d acknowledged twice", item+1)
						}
						answers[item] = bodies[j][0] - 1 // digit d is category d-1
					}
				}
				rs := f.responses(t)
				if len(rs) != 1 || rs[0].Answers != string(answers) {
					t.Fatalf("responses %+v, want one with the acknowledged answers %q", rs, answers)
				}
				if n := f.leftovers(t); n != 0 {
					t.Fatalf("%d conversation or draft rows left after submission", n)
				}
			})
		})
	}
}

// Texts answering the last item at once: one submits, the others get the thank-you; no error,
// one response, and no draft brought back after the submission deleted it (in an anonymous wave
// it would tie the answers to the person again).
func TestAnswerByTextLastItemTwiceAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := answeringFixture(t, st, 7310, 1, store.ModeAnonymous, nil)
		ph := phoneOf(7310)
		f.text(t, ph, "OK")
		for range 7 {
			f.text(t, ph, "2")
		}
		for _, reply := range f.together(t, ph, "3", "4", "3", "4") {
			if len(reply) != 1 || !strings.Contains(reply[0], "thank you") {
				t.Fatalf("reply %q, want the thank-you", reply)
			}
		}
		rs := f.responses(t)
		if len(rs) != 1 || (rs[0].Answers != "11111112" && rs[0].Answers != "11111113") {
			t.Fatalf("responses %+v, want one", rs)
		}
		if n := f.leftovers(t); n != 0 {
			t.Fatalf("%d conversation or draft rows left after submission", n)
		}
	})
}

// Twilio may deliver a webhook again, and a signed request can be replayed later: a text already
// applied changes nothing, older or newer, during the conversation, after it, and when it lands
// on another invitation of the number (another district's).
func TestAnswerByTextReplayedTextChangesNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		f := answeringFixture(t, st, 7320, 1, store.ModeConfidential, nil)
		ph := phoneOf(7320)
		f.text(t, ph, "OK")
		older, newer := f.nextSid(), f.nextSid()
		f.textSid(t, ph, "3", older)
		f.textSid(t, ph, "4", newer)
		for _, sid := range []string{older, newer, older} {
			if got := f.textSid(t, ph, "3", sid); len(got) != 1 || !strings.HasPrefix(got[0], "3/8 ") {
				t.Fatalf("replayed %s: %q, want item 3 asked again", sid, got)
			}
		}
		if n := f.count(t, &store.SMSConversation{}, "item = 2"); n != 1 {
			t.Fatal("a replayed text moved the conversation")
		}
		if n := f.count(t, &store.Draft{}, "answers = ?", "23------"); n != 1 {
			t.Fatal("a replayed text changed the saved answers")
		}
		for range 6 {
			f.text(t, ph, "1")
		}
		if got := f.textSid(t, ph, "3", older); len(got) != 1 || !strings.Contains(got[0], "thank you") {
			t.Fatalf("replayed after the end: %q, want the thank-you", got)
		}
		if rs := f.responses(t); len(rs) != 1 || rs[0].Answers != "23000000" {
			t.Fatalf("responses %+v", rs)
		}

		// The number's next invitation, in another district, is under way: the old texts replayed
		// now must not answer it.
		g := answeringFixture(t, st, 7320, 1, store.ModeConfidential, nil)
		g.text(t, ph, "OK")
		g.text(t, ph, "4")
		for _, sid := range []string{older, newer} {
			if got := g.textSid(t, ph, "3", sid); len(got) != 1 || !strings.HasPrefix(got[0], "2/8 ") {
				t.Fatalf("replayed %s on the next invitation: %q, want item 2 asked again", sid, got)
			}
		}
		if g.count(t, &store.SMSConversation{}, "item = 1") != 1 || g.count(t, &store.Draft{}, "answers = ?", "3-------") != 1 {
			t.Fatal("an old text replayed changed the next invitation's conversation")
		}
	})
}

// A reply goes to the invitation whose conversation is under way, else to one not yet answered,
// newest first: never to one already answered while another waits, nor to a newer invitation
// texted in the middle of a conversation.
func TestAnswerByTextMatchesTheInvitationUnderWay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		// Two guardians share a number and were texted in one batch.
		f := answeringFixture(t, st, 7330, 2, store.ModeConfidential, func(_ int, p *store.Person) { p.Phone = phoneOf(7330) })
		ph := phoneOf(7330)
		f.text(t, ph, "OK")
		for range 7 {
			f.text(t, ph, "2")
		}
		if got := f.text(t, ph, "2"); !strings.Contains(got[0], "thank you") {
			t.Fatalf("first invitation's last answer: %q", got)
		}
		if got := f.text(t, ph, "OK"); len(got) != 2 || !strings.Contains(got[0], "8 questions") {
			t.Fatalf("after one invitation is answered, the other starts: %q", got)
		}
		f.text(t, ph, "3")

		// A newer invitation reaches the number (another district) in the middle of the conversation.
		g := answeringFixture(t, st, 7330, 1, store.ModeConfidential, nil)
		if err := st.DB.Model(&store.SMSMessage{}).Where("district_id = ?", f.district).
			Update("created_at", st.Now().Add(-time.Hour)).Error; err != nil {
			t.Fatal(err)
		}
		if got := f.text(t, ph, "4"); len(got) != 1 || !strings.HasPrefix(got[0], "3/8 ") {
			t.Fatalf("the conversation under way goes on: %q", got)
		}
		if n := g.count(t, &store.SMSConversation{}, "1 = 1"); n != 0 {
			t.Fatal("the newer invitation took the conversation over")
		}
		for range 6 {
			f.text(t, ph, "1")
		}
		if rs := f.responses(t); len(rs) != 2 || rs[0].Answers != "11111111" || rs[1].Answers != "23000000" {
			t.Fatalf("responses %+v, want both guardians' invitations answered", rs)
		}
		// Both answered: the newer invitation is next.
		if got := f.text(t, ph, "OK"); len(got) != 2 || g.count(t, &store.SMSConversation{}, "1 = 1") != 1 {
			t.Fatalf("the next invitation does not start: %q", got)
		}
	})
}
