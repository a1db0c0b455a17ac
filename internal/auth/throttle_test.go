package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

func TestSignInDelaySchedule(t *testing.T) {
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {4, 0}, // typos cost nothing
		{5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second}, {10, 32 * time.Second},
		{14, 512 * time.Second}, {15, 15 * time.Minute}, {16, 15 * time.Minute},
		{64, 15 * time.Minute}, {1 << 30, 15 * time.Minute}, // no overflow
	} {
		if got := auth.SignInDelay(tc.failures); got != tc.want {
			t.Errorf("SignInDelay(%d) = %s, want %s", tc.failures, got, tc.want)
		}
	}
	// The guess budget against one account, from any number of addresses: tries a guesser who
	// tries again the moment each wait ends gets in a day.
	tries, at := 0, time.Duration(0)
	for at < 24*time.Hour {
		tries++
		at += auth.SignInDelay(tries)
	}
	if tries > 110 {
		t.Errorf("guesser gets %d tries a day, want under 110", tries)
	}
	t.Logf("guess budget: %d password checks per account per day", tries)
}

// An attacker who knows the owner's email sends 1,000 wrong passwords from many addresses. The
// owner still signs in from the browser they used before; guessing is slowed to the schedule.
func TestGuessingDoesNotLockOutTheOwnersKnownDevice(t *testing.T) {
	ctx := context.Background()
	st, svc, c, d := setup(t)
	const pw = "the owner's long password"
	if _, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "owner@example.org", Role: auth.DistrictAdmin, Password: pw}); err != nil {
		t.Fatal(err)
	}
	first, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: pw, IP: "192.0.2.10"})
	if err != nil || first.Device == "" {
		t.Fatalf("first sign-in: device %q, %v", first.Device, err)
	}
	start := c.now
	checked := 0
	for i := 0; i < 1000; i++ {
		c.now = c.now.Add(3 * time.Second) // one guess every 3 s for 50 minutes
		_, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: fmt.Sprintf("guess %d", i), IP: fmt.Sprintf("203.0.113.%d", i%250)})
		switch {
		case errors.Is(err, auth.ErrThrottled):
		case errors.Is(err, auth.ErrBadCredentials):
			checked++
		default:
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	// Slowed: of 1,000 guesses in 50 minutes only the schedule's few were checked at all.
	want := 0
	for at := time.Duration(0); at < c.now.Sub(start); at += auth.SignInDelay(want) + 3*time.Second {
		want++
	}
	if checked > want || checked < 5 {
		t.Errorf("%d of 1,000 guesses checked, want at most %d (schedule)", checked, want)
	}
	t.Logf("1,000 guesses over %s: %d checked, %d refused unchecked", c.now.Sub(start), checked, 1000-checked)

	// The owner on their known browser signs in at once, while the guessing goes on.
	r, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: pw, IP: "192.0.2.10", Device: first.Device})
	if err != nil {
		t.Fatalf("owner on known device: %v", err)
	}
	if r.Device != "" {
		t.Errorf("known device got a new cookie %q", r.Device)
	}
	// From a new browser the owner waits like anyone (the page says to wait or use a known one).
	if _, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: pw, IP: "192.0.2.11"}); !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("owner on a new device during the wait: %v, want ErrThrottled", err)
	}
	// A device cookie of another account, or a made-up one, is no way around the wait.
	for _, dev := range []string{"", "not-a-token", strings.Repeat("A", 43)} {
		if _, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: pw, IP: "203.0.113.1", Device: dev}); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("device %q: %v", dev, err)
		}
	}
	// A stolen device cookie buys ten guesses, then the device is forgotten.
	for i := 0; i < 10; i++ {
		if _, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: "stolen cookie guess", IP: "203.0.113.9", Device: first.Device}); !errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("guess %d on the known device: %v", i, err)
		}
	}
	if _, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: pw, IP: "192.0.2.10", Device: first.Device}); !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("forgotten device: %v, want ErrThrottled", err)
	}
	// Once the wait passes, the right password works from anywhere and ends the wait.
	c.now = c.now.Add(16 * time.Minute)
	if _, err := svc.SignInWith(ctx, auth.Attempt{Email: "owner@example.org", Password: pw, IP: "192.0.2.11"}); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// The audit log has each checked failure with the wait it set, and each refusal.
	log, err := svc.AuditLog(ctx, d, 5000)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	noticed := false
	for _, e := range log {
		count[e.Action]++
		if e.Action == auth.ActionSignInFailure && strings.Contains(e.Detail, "unknown devices wait") {
			noticed = true
		}
	}
	if !noticed || count[auth.ActionSignInThrottled] < 1000-checked || count[auth.ActionSignInFailure] != checked+10 {
		t.Errorf("audit: %v, notice of the wait %v", count, noticed)
	}
	var u store.User
	must(t, st.DB.Where("district_id = ? AND email = ?", d, "owner@example.org").First(&u).Error)
	if u.LockedUntil != nil {
		t.Errorf("guessing set locked_until %v (it also stops API tokens)", u.LockedUntil)
	}
}
