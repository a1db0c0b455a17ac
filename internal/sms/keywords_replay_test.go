package sms

import (
	"context"
	"testing"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// A signed START replayed after a later STOP must not opt the number back in: keyword texts are
// applied once per MessageSid, like answers.
func TestReplayedKeywordTextsChangeNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := newFixture(t, st, 1, nil)
		phone := phoneOf(0)
		text := func(sid, body string) {
			t.Helper()
			if _, err := f.svc.HandleText(ctx, Inbound{From: phone, Body: body, MessageSid: sid}); err != nil {
				t.Fatalf("%s %s: %v", sid, body, err)
			}
		}
		optedOut := func() bool {
			t.Helper()
			ok, err := f.svc.OptedOut(ctx, f.district, phone)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		text("SMstop1", "STOP")
		text("SMstart1", "START")
		if optedOut() {
			t.Fatal("START did not opt back in")
		}
		text("SMstop2", "STOP")
		// An attacker (or a confused proxy) replays the signed START request later.
		text("SMstart1", "START")
		if !optedOut() {
			t.Fatal("a replayed START undid a later STOP")
		}
		// The reverse: a replayed STOP after a later START leaves the family opted in.
		text("SMstart2", "START")
		text("SMstop1", "STOP")
		if optedOut() {
			t.Fatal("a replayed STOP undid a later START")
		}
		// A replayed localized STOP is not confirmed a second time either.
		if r, err := f.svc.HandleText(ctx, Inbound{From: phone, Body: "PARAR", MessageSid: "SMparar"}); err != nil || r.Text == "" {
			t.Fatalf("PARAR = %q, %v", r.Text, err)
		}
		if r, err := f.svc.HandleText(ctx, Inbound{From: phone, Body: "PARAR", MessageSid: "SMparar"}); err != nil || r.Text != "" {
			t.Fatalf("replayed PARAR = %q, %v: want no second confirmation", r.Text, err)
		}
	})
}
