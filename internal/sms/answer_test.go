package sms

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

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
	f.svc.Waves = &wave.Service{Store: st, Surveys: sc, Scorer: &measures.Service{Store: st, Surveys: sc, Log: quietLog()}}
	if _, err := f.svc.Enqueue(ctx, f.district, f.wave, f.issued); err != nil {
		t.Fatal(err)
	}
	f.sendAll(t)
	return f
}

// text sends one inbound text with a fresh message id and returns every text of the reply.
func (f *fixture) text(t *testing.T, from, body string) []string {
	t.Helper()
	f.sid++
	return f.textSid(t, from, body, "SMin"+strconv.Itoa(f.sid))
}

func (f *fixture) textSid(t *testing.T, from, body, sid string) []string {
	t.Helper()
	r, err := f.svc.HandleText(context.Background(), Inbound{From: from, Body: body, MessageSid: sid})
	if err != nil {
		t.Fatalf("text %q: %v", body, err)
	}
	var out []string
	if r.Text != "" {
		out = append(out, r.Text)
	}
	return append(out, r.More...)
}

func (f *fixture) responses(t *testing.T) []store.Response {
	t.Helper()
	var rs []store.Response
	if err := f.st.DB.Where("district_id = ? AND wave_id = ?", f.district, f.wave).Order("answers").Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	return rs
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
		if len(msgs) != 2 || !strings.Contains(msgs[0].Body, "responda OK por SMS") {
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
		if got := f.textSid(t, es, "٤", "SMdup"); !strings.HasPrefix(got[0], "4/8 ") {
			t.Fatalf("after ٤: %q", got)
		}
		if got := f.textSid(t, es, "٤", "SMdup"); !strings.HasPrefix(got[0], "4/8 ") {
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
		if f.count(t, &store.SMSConversation{}, "1 = 1") != 0 || f.count(t, &store.Draft{}, "1 = 1") != 0 ||
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
		if f.count(t, &store.SMSConversation{}, "1 = 1") != 0 || f.count(t, &store.Draft{}, "1 = 1") != 0 {
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
		if m := f.messages(t); len(m) != 1 || strings.Contains(m[0].Body, "OK") || !strings.Contains(m[0].Body, "2-minute") {
			t.Fatalf("plain invitation: %+v", m)
		}
	})
}
