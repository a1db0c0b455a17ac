package cli_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"testing"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// demoOutboxHoldsNoLinks reads every SMS outbox row of the demo database and finds no token that
// opens a survey (the demo's outbox held 530 live links before links were sealed).
func demoOutboxHoldsNoLinks(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, _ := config.ParseDatabaseURL("sqlite:" + path)
	s, err := store.Open(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var msgs []store.SMSMessage
	if err := s.DB.Find(&msgs).Error; err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatal("the demo queued no texts")
	}
	var mails []store.EmailMessage
	if err := s.DB.Find(&mails).Error; err != nil {
		t.Fatal(err)
	}
	if len(mails) == 0 {
		t.Fatal("the demo queued no staff mails")
	}
	for _, m := range mails { // checked with the texts below: no live token in body or sealed token
		msgs = append(msgs, store.SMSMessage{ID: m.ID, Body: m.Subject + m.Body, SealedToken: m.SealedToken})
	}
	// Every run of token characters, each substring of a token's length (a token is the
	// 32-character secret after its district's route, or alone when made before routes).
	shape := regexp.MustCompile(`[a-z2-7]{32,}`)
	for _, m := range msgs {
		var windows []string
		for _, run := range shape.FindAllString(m.Body+string(m.SealedToken), -1) {
			for n := 32; n <= wave.MaxTokenLen; n++ {
				for i := 0; i+n <= len(run); i++ {
					windows = append(windows, run[i:i+n])
				}
			}
		}
		for _, tok := range windows {
			var n int64
			h := wave.HashToken(tok)
			s.DB.Model(&store.Invitation{}).Where("token_hash = ?", h).Count(&n)
			var k int64
			s.DB.Model(&store.InvitationToken{}).Where("token_hash = ?", h).Count(&k)
			if n+k > 0 {
				t.Fatalf("outbox row %d holds a live survey token", m.ID)
			}
		}
	}
}
