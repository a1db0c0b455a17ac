package httpserver_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/surveys"
)

// A family answers a wave by text through the signed inbound webhook, in Vietnamese: the first
// reply gets two TwiML messages (how to answer, item 1), each digit the next item, the last a
// thank-you; the answers land as one scored response.
func TestTwilioInboundAnswersBySMS(t *testing.T) {
	st := testdb.Open(t)
	cfg := config.Default()
	cfg.BaseURL = hookBase
	cfg.TwilioAuthToken = hookToken
	loc := mustLocales(t)
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		t.Fatal(err)
	}
	svc := sms.New(cfg, st, loc, quietLog())
	svc.Waves = &wave.Service{Store: st, Surveys: cat, Scorer: &measures.Service{Store: st, Surveys: cat, Log: quietLog()}, Mixing: wave.MixPolicy{MinBatch: 1}}
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: st, Log: quietLog(), Locales: loc, SMS: svc})
	if err != nil {
		t.Fatal(err)
	}
	env := &hookEnv{srv: srv, st: st, district: testdb.NewDistrict(t, st)}
	const phone = "+12015550042"
	now := st.Now()
	d, school, person, w, inv := env.district, store.NewID(), store.NewID(), store.NewID(), store.NewID()
	for _, r := range []any{
		&store.School{DistrictID: d, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now},
		&store.Person{DistrictID: d, ID: person, SourcedID: "g", Kind: store.KindGuardian, Phone: phone, PreferredLanguage: "vi", Active: true, Attributes: store.Attrs{}, CreatedAt: now, UpdatedAt: now},
		&store.Instrument{DistrictID: d, InstrumentID: "family-pulse", Version: 1, Audience: "family", CreatedAt: now},
		&store.Wave{DistrictID: d, ID: w, Name: "W", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family", AudienceFilter: store.Attrs{},
			Mode: store.ModeAnonymous, Channels: "sms", Status: store.StatusOpen, SMSAnswering: true, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now},
		&store.Invitation{DistrictID: d, ID: inv, WaveID: w, PersonID: person, SchoolID: school, TokenHash: []byte(strconv.FormatInt(inv, 10)), Channel: "sms", Language: "vi", CreatedAt: now},
		&store.SMSMessage{DistrictID: d, ID: store.NewID(), InvitationID: inv, Kind: "invite", WaveID: w, SchoolID: school, PersonID: person, ToNumber: phone,
			TimeZone: "UTC", Body: "hello", Status: store.SMSDelivered, ProviderSid: "SM1", NotBefore: now, CreatedAt: now, UpdatedAt: now},
	} {
		if err := st.DB.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	const path = "/webhooks/twilio/inbound"
	n := 0
	// Twilio's MessageSids are unique everywhere; this package's tests share one database (across
	// -count runs too), where a reused one would be a replay: the district makes them unique.
	sid := func(n int) string { return "SMa" + strconv.FormatInt(d, 10) + "-" + strconv.Itoa(n) }
	sendSid := func(body, messageSid string) []string {
		t.Helper()
		form := url.Values{"From": {phone}, "To": {"+12025550100"}, "Body": {body}, "MessageSid": {messageSid}}
		rec := env.post(path, form, sign(t, hookToken, hookBase+path, form))
		if rec.Code != http.StatusOK {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body)
		}
		var tw struct {
			Messages []string `xml:"Message"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &tw); err != nil {
			t.Fatalf("%q: TwiML %q: %v", body, rec.Body, err)
		}
		return tw.Messages
	}
	send := func(body string) []string {
		t.Helper()
		n++
		return sendSid(body, sid(n))
	}
	got := send("OK")
	if len(got) != 2 || !strings.Contains(got[0], "1=Hoàn toàn không đồng ý") || !strings.HasPrefix(got[1], "1/8 Nhân viên nhà trường đối xử") {
		t.Fatalf("start: %q", got)
	}
	for i, body := range []string{"4", "bỏ qua", "3", "3", "2", "4", "1"} {
		if got := send(body); len(got) != 1 || !strings.HasPrefix(got[0], strconv.Itoa(i+2)+"/8 ") {
			t.Fatalf("after %q: %q", body, got)
		}
	}
	// Twilio delivers an earlier text again: it is not a second answer to the last item.
	if got := sendSid("4", sid(2)); len(got) != 1 || !strings.HasPrefix(got[0], "8/8 ") {
		t.Fatalf("replayed text: %q, want item 8 asked again", got)
	}
	if got := send("4"); len(got) != 1 || !strings.Contains(got[0], "cảm ơn") {
		t.Fatalf("last: %q", got)
	}
	if _, err := svc.Waves.Mix(context.Background()); err != nil { // the anonymous ballot into responses
		t.Fatal(err)
	}
	var rs []store.Response
	if err := st.DB.Where("district_id = ? AND wave_id = ?", d, w).Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Answers != "3-221303" || rs[0].InvitationID != nil || rs[0].PersonID != nil || rs[0].Language != "vi" {
		t.Fatalf("responses %+v", rs)
	}
	var scores int64
	st.DB.Model(&store.Score{}).Where("district_id = ? AND response_id = ?", d, rs[0].ID).Count(&scores)
	if scores != 2 {
		t.Fatalf("%d scores, want 2 measures", scores)
	}
	// A number that is not answering anything still gets no answer to a digit.
	form := url.Values{"From": {"+12015550043"}, "Body": {"3"}, "MessageSid": {"SMx"}}
	if rec := env.post(path, form, sign(t, hookToken, hookBase+path, form)); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "<Message>") {
		t.Fatalf("stranger's digit: %d %q", rec.Code, rec.Body)
	}
}
