package httpserver_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

const (
	hookBase  = "https://survey.example.org"
	hookToken = "twilio-auth-token-1"
)

// sign computes X-Twilio-Signature as Twilio does (HMAC-SHA1 of the URL followed by the sorted
// POST parameters), and checks twilio-go's own validator agrees before the test relies on it.
func sign(t *testing.T, token, fullURL string, form url.Values) string {
	t.Helper()
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	params := map[string]string{}
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
		params[k] = form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	v := client.NewRequestValidator(token)
	if !v.Validate(fullURL, params, sig) {
		t.Fatal("test signer disagrees with twilio-go's RequestValidator")
	}
	return sig
}

type hookEnv struct {
	srv      *httpserver.Server
	st       *store.Store
	district int64
	msgID    int64
}

func newHookEnv(t *testing.T, authToken string, devOutbox bool) *hookEnv {
	t.Helper()
	st := testdb.Open(t)
	cfg := config.Default()
	cfg.BaseURL = hookBase
	cfg.TwilioAuthToken = authToken
	loc := mustLocales(t)
	svc := sms.New(cfg, st, loc, quietLog())
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: st, Log: quietLog(), Locales: loc, SMS: svc, DevOutbox: devOutbox})
	if err != nil {
		t.Fatal(err)
	}
	env := &hookEnv{srv: srv, st: st, district: testdb.NewDistrict(t, st)}
	// One sent message to +12015550001, for status callbacks and for finding the district of a STOP.
	now := st.Now()
	d, school, person, w, inv := env.district, store.NewID(), store.NewID(), store.NewID(), store.NewID()
	env.msgID = store.NewID()
	rows := []any{
		&store.School{DistrictID: d, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now},
		&store.Person{DistrictID: d, ID: person, SourcedID: "g", Kind: store.KindGuardian, Phone: "+12015550001", Active: true, Attributes: store.Attrs{}, CreatedAt: now, UpdatedAt: now},
		&store.Instrument{DistrictID: d, InstrumentID: "family-pulse", Version: 1, Audience: "family", CreatedAt: now},
		&store.Wave{DistrictID: d, ID: w, Name: "W", InstrumentID: "family-pulse", InstrumentVersion: 1, Audience: "family", AudienceFilter: store.Attrs{},
			Mode: store.ModeConfidential, Channels: "sms", Status: store.StatusOpen, OpensAt: now, ClosesAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now},
		&store.Invitation{DistrictID: d, ID: inv, WaveID: w, PersonID: person, SchoolID: school, TokenHash: []byte(strconv.FormatInt(inv, 10)), Channel: "sms", CreatedAt: now},
		&store.SMSMessage{DistrictID: d, ID: env.msgID, InvitationID: inv, Kind: "invite", WaveID: w, SchoolID: school, PersonID: person, ToNumber: "+12015550001",
			TimeZone: "UTC", Body: "hello", Status: store.SMSSent, ProviderSid: "SM1", NotBefore: now, CreatedAt: now, UpdatedAt: now},
	}
	for _, r := range rows {
		if err := st.DB.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	return env
}

func (e *hookEnv) post(path string, form url.Values, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return rec
}

func (e *hookEnv) status(t *testing.T) string {
	t.Helper()
	var m store.SMSMessage
	if err := e.st.DB.Where("district_id = ? AND id = ?", e.district, e.msgID).First(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m.Status
}

func TestTwilioStatusWebhookSignatures(t *testing.T) {
	env := newHookEnv(t, hookToken, false)
	path := strings.TrimPrefix(sms.StatusCallbackURL(hookBase, env.district, env.msgID), hookBase)
	form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "AccountSid": {"AC1"}}
	tests := []struct {
		name string
		sig  string
		want int
	}{
		{"missing signature", "", http.StatusForbidden},
		{"invalid signature", "bm90IGEgc2lnbmF0dXJl", http.StatusForbidden},
		{"signed with another token", sign(t, "other-token", hookBase+path, form), http.StatusForbidden},
		{"signed for the request host, not the public URL", sign(t, hookToken, "http://example.com"+path, form), http.StatusForbidden},
		{"valid", sign(t, hookToken, hookBase+path, form), http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := env.post(path, form, tt.sig)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			want := store.SMSSent
			if tt.want == http.StatusNoContent {
				want = store.SMSDelivered
			}
			if got := env.status(t); got != want {
				t.Fatalf("message status %s, want %s", got, want)
			}
		})
	}
	// A late "sent" callback does not move it back, also through a callback URL given to Twilio
	// before URLs named the district (#19 line 3).
	late := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"sent"}}
	legacy := "/webhooks/twilio/status?m=" + strconv.FormatInt(env.msgID, 10)
	for _, p := range []string{path, legacy} {
		if rec := env.post(p, late, sign(t, hookToken, hookBase+p, late)); rec.Code != http.StatusNoContent || env.status(t) != store.SMSDelivered {
			t.Fatalf("late callback %s: %d, status %s", p, rec.Code, env.status(t))
		}
	}
	// A signed URL naming another district finds no message there (answered 204 so Twilio
	// stops), and one whose district is not a number is refused.
	other := "/webhooks/twilio/status?d=" + strconv.FormatInt(env.district+1, 10) + "&m=" + strconv.FormatInt(env.msgID, 10)
	if rec := env.post(other, late, sign(t, hookToken, hookBase+other, late)); rec.Code != http.StatusNoContent {
		t.Fatalf("callback of another district: %d", rec.Code)
	}
	bad := "/webhooks/twilio/status?d=x&m=" + strconv.FormatInt(env.msgID, 10)
	if rec := env.post(bad, late, sign(t, hookToken, hookBase+bad, late)); rec.Code != http.StatusBadRequest {
		t.Fatalf("callback with a bad district: %d", rec.Code)
	}
}

func TestTwilioInboundWebhook(t *testing.T) {
	env := newHookEnv(t, hookToken, false)
	const path = "/webhooks/twilio/inbound"
	n := 0
	// Each text has its own MessageSid, as Twilio gives it; replay re-sends an earlier one.
	sendSid := func(sid, body string, sig func(url.Values) string) *httptest.ResponseRecorder {
		form := url.Values{"From": {"+12015550001"}, "To": {"+12025550100"}, "Body": {body}, "MessageSid": {sid}}
		return env.post(path, form, sig(form))
	}
	send := func(body string, sig func(url.Values) string) *httptest.ResponseRecorder {
		n++
		return sendSid(fmt.Sprintf("SMin%d", n), body, sig)
	}
	valid := func(f url.Values) string { return sign(t, hookToken, hookBase+path, f) }
	optedOut := func() bool {
		var n int64
		env.st.DB.Model(&store.SMSOptOut{}).Where("district_id = ? AND phone = ?", env.district, "+12015550001").Count(&n)
		return n > 0
	}
	if rec := send("STOP", func(url.Values) string { return "" }); rec.Code != http.StatusForbidden || optedOut() {
		t.Fatalf("unsigned STOP: %d, opted out %v", rec.Code, optedOut())
	}
	if rec := send("STOP", func(url.Values) string { return "AAAA" }); rec.Code != http.StatusForbidden || optedOut() {
		t.Fatalf("badly signed STOP: %d", rec.Code)
	}
	rec := send(" Stop ", valid)
	if rec.Code != http.StatusOK || !optedOut() || !strings.Contains(rec.Header().Get("Content-Type"), "xml") || !strings.Contains(rec.Body.String(), "<Response>") {
		t.Fatalf("STOP: %d %q, opted out %v", rec.Code, rec.Body, optedOut())
	}
	rec = send("HELP", valid)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<Message>") || !strings.Contains(rec.Body.String(), "STOP") || !strings.Contains(rec.Body.String(), hookBase) {
		t.Fatalf("HELP: %d %q", rec.Code, rec.Body)
	}
	rec = send("start", valid)
	if rec.Code != http.StatusOK || optedOut() {
		t.Fatalf("START: %d, opted out %v", rec.Code, optedOut())
	}
	startSid := fmt.Sprintf("SMin%d", n)
	rec = send("停止", valid)
	if rec.Code != http.StatusOK || !optedOut() || !strings.Contains(rec.Body.String(), "START") {
		t.Fatalf("停止: %d %q", rec.Code, rec.Body)
	}
	// The signed START, replayed after the STOP, is valid by signature and changes nothing.
	rec = sendSid(startSid, "start", valid)
	if rec.Code != http.StatusOK || !optedOut() {
		t.Fatalf("replayed START: %d, opted out %v", rec.Code, optedOut())
	}
}

func TestTwilioWebhooksWithoutTokenAre503(t *testing.T) {
	env := newHookEnv(t, "", false)
	for _, path := range []string{"/webhooks/twilio/status?m=1", "/webhooks/twilio/inbound"} {
		form := url.Values{"Body": {"STOP"}, "From": {"+12015550001"}}
		if rec := env.post(path, form, sign(t, hookToken, hookBase+path, form)); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s without TWILIO_AUTH_TOKEN: %d, want 503", path, rec.Code)
		}
	}
}

func TestDevOutboxOnlyInDemoMode(t *testing.T) {
	off := newHookEnv(t, "", false)
	rec := httptest.NewRecorder()
	off.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/outbox", nil))
	if rec.Code == http.StatusOK {
		t.Fatal("/dev/outbox served outside demo mode")
	}
	on := newHookEnv(t, "", true)
	rec = httptest.NewRecorder()
	on.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/outbox", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "hello") || !strings.Contains(rec.Body.String(), "12015550001") {
		t.Fatalf("/dev/outbox: %d %s", rec.Code, rec.Body)
	}
}
