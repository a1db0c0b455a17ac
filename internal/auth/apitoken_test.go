package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/credential"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestAPITokens covers a token's life: shown once and stored only as a hash, resolving to its
// user, touched at most once a minute, revoked by its owner only, dead with its account, and
// audited on create and revoke.
func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	st, svc, c, d := setup(t)
	u, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "analyst@example.org", Role: auth.DistrictAdmin, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "other@example.org", Role: auth.DistrictAdmin})
	if err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{User: u}

	for _, name := range []string{"", "   ", strings.Repeat("x", 101)} {
		if _, _, err := svc.CreateAPIToken(ctx, p, name, "10.0.0.1"); !errors.Is(err, auth.ErrInvalid) {
			t.Errorf("name %q: %v", name, err)
		}
	}
	staff := &auth.Principal{User: store.User{DistrictID: d, ID: other.ID, Role: string(auth.Staff)}}
	if _, _, err := svc.CreateAPIToken(ctx, staff, "x", "10.0.0.1"); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("staff token: %v", err)
	}

	token, row, err := svc.CreateAPIToken(ctx, p, " Power BI ", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	// The prefix, the district's route (#19 line 3), then the secret.
	_, secret, ok := credential.Split(strings.TrimPrefix(token, auth.APITokenPrefix), 43)
	raw, err := base64.RawURLEncoding.DecodeString(secret)
	if !strings.HasPrefix(token, auth.APITokenPrefix) || !ok || err != nil || len(raw) < 16 {
		t.Fatalf("token %q: not ≥128 random bits", token)
	}
	// Only the SHA-256 is stored: the token itself is nowhere in the row.
	var stored store.APIToken
	if err := st.DB.Where("district_id = ? AND id = ?", d, row.ID).First(&stored).Error; err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(raw); string(stored.TokenHash) != string(h[:]) || stored.Name != "Power BI" || stored.UserID != u.ID {
		t.Fatalf("stored row %+v", stored)
	}

	got, err := svc.APITokenPrincipal(ctx, token)
	if err != nil || got.User.ID != u.ID {
		t.Fatalf("principal: %v %v", got, err)
	}
	for _, bad := range []string{"", "tp_", token[:len(token)-1], strings.TrimPrefix(token, auth.APITokenPrefix), "tp_" + strings.Repeat("A", 43)} {
		if _, err := svc.APITokenPrincipal(ctx, bad); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	// Last use is recorded, at most once a minute.
	first := c.now
	c.now = c.now.Add(30 * time.Second)
	if _, err := svc.APITokenPrincipal(ctx, token); err != nil {
		t.Fatal(err)
	}
	list, err := svc.APITokens(ctx, p)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(first) {
		t.Fatalf("list after use: %+v %v", list, err)
	}

	// A locked or inactive account's tokens stop working, and work again when it is back.
	locked := c.now.Add(10 * time.Minute)
	must(t, st.DB.Model(&store.User{}).Where("district_id = ? AND id = ?", d, u.ID).Update("locked_until", locked).Error)
	if _, err := svc.APITokenPrincipal(ctx, token); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("locked account: %v", err)
	}
	must(t, st.DB.Model(&store.User{}).Where("district_id = ? AND id = ?", d, u.ID).Updates(map[string]any{"locked_until": nil, "active": false}).Error)
	if _, err := svc.APITokenPrincipal(ctx, token); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("inactive account: %v", err)
	}
	must(t, st.DB.Model(&store.User{}).Where("district_id = ? AND id = ?", d, u.ID).Update("active", true).Error)
	if _, err := svc.APITokenPrincipal(ctx, token); err != nil {
		t.Errorf("reactivated account: %v", err)
	}

	// Only the owner revokes; then the token is dead and off the list.
	if err := svc.RevokeAPIToken(ctx, &auth.Principal{User: other}, row.ID, "10.0.0.2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoke by another user: %v", err)
	}
	if err := svc.RevokeAPIToken(ctx, p, row.ID, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeAPIToken(ctx, p, row.ID, "10.0.0.1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second revoke: %v", err)
	}
	if _, err := svc.APITokenPrincipal(ctx, token); !errors.Is(err, auth.ErrBadToken) {
		t.Errorf("revoked token: %v", err)
	}
	if list, _ := svc.APITokens(ctx, p); len(list) != 0 {
		t.Errorf("revoked token still listed: %+v", list)
	}

	// The command line's way in: by email, acting as that user.
	cliToken, _, err := svc.CreateAPITokenFor(ctx, d, "Other@Example.org", "nightly export")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := svc.APITokenPrincipal(ctx, cliToken); err != nil || got.User.ID != other.ID {
		t.Errorf("CLI token: %v %v", got, err)
	}
	if _, _, err := svc.CreateAPITokenFor(ctx, d, "nobody@example.org", "x"); !errors.Is(err, auth.ErrInvalid) {
		t.Errorf("unknown email: %v", err)
	}

	log, err := svc.AuditLog(ctx, d, 100)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range log {
		count[e.Action]++
		if strings.Contains(e.Detail+e.Target, token) || strings.Contains(e.Detail+e.Target, cliToken) {
			t.Errorf("token in the audit log: %+v", e)
		}
	}
	if count[auth.ActionAPITokenCreate] != 2 || count[auth.ActionAPITokenRevoke] != 1 {
		t.Errorf("audit: %v", count)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
