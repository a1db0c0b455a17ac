package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/auth/authtest"
	"github.com/trustpulse/trustpulse/internal/credential"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
)

// legacyToken is a session, device or API token as made before routes (#19 line 3): the
// 43-character secret alone, stored as the SHA-256 of its bytes.
func legacyToken(t *testing.T) (string, []byte) {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:]), h[:]
}

// Tokens made after the upgrade start with their district's route; those made before (a staff
// session cookie, an API token, a known device, a respondent session) still work, and a new
// token moved to another district's route, or to one no district has, does not.
func TestTokensCarryTheirDistrict(t *testing.T) {
	ctx := context.Background()
	st, svc, c, d := setup(t)
	u, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "legacy-owner@example.org", Role: auth.DistrictAdmin, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	route, err := st.RouteOf(st.DB, d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.SignInWith(ctx, auth.Attempt{Email: "legacy-owner@example.org", Password: "a long enough password", IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	api, _, err := svc.CreateAPIToken(ctx, r.Principal, "report", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	for what, tok := range map[string]string{"session": r.Token, "device": r.Device, "api": strings.TrimPrefix(api, auth.APITokenPrefix)} {
		if got, _, ok := credential.Split(tok, 43); !ok || got != route {
			t.Errorf("%s token %q: route %d, want %d", what, tok, got, route)
		}
	}
	if known, err := svc.IsKnownDevice(ctx, r.Device); err != nil || !known {
		t.Fatalf("new device cookie: %v %v", known, err)
	}

	now := c.Now()
	session, sessionHash := legacyToken(t)
	device, deviceHash := legacyToken(t)
	apiToken, apiHash := legacyToken(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.DB.Create(&store.Session{DistrictID: d, TokenHash: sessionHash, UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour), IP: "192.0.2.1"}).Error)
	must(st.DB.Create(&store.KnownDevice{DistrictID: d, TokenHash: deviceHash, UserID: u.ID, CreatedAt: now, LastUsedAt: now}).Error)
	must(st.DB.Create(&store.APIToken{DistrictID: d, ID: store.NewID(), UserID: u.ID, Name: "old", TokenHash: apiHash, CreatedAt: now}).Error)
	if p, err := svc.Session(ctx, session); err != nil || p.User.ID != u.ID {
		t.Fatalf("legacy session: %v", err)
	}
	if known, err := svc.IsKnownDevice(ctx, device); err != nil || !known {
		t.Fatalf("legacy device: %v %v", known, err)
	}
	// A legacy device cookie still skips the wait after failures.
	if r2, err := svc.SignInWith(ctx, auth.Attempt{Email: "legacy-owner@example.org", Password: "a long enough password", IP: "192.0.2.1", Device: device}); err != nil || r2.Device != "" {
		t.Fatalf("sign-in with a legacy device: %v, new device %q", err, r2.Device)
	}
	if p, err := svc.APITokenPrincipal(ctx, auth.APITokenPrefix+apiToken); err != nil || p.User.ID != u.ID {
		t.Fatalf("legacy API token: %v", err)
	}
	must(svc.SignOut(ctx, session))
	if _, err := svc.Session(ctx, session); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("legacy session after sign-out: %v", err)
	}

	// Moved to another district's route, or to a route nobody has: unknown.
	other := testdb.NewDistrict(t, st)
	otherRoute, err := st.RouteOf(st.DB, other)
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _ := credential.Split(r.Token, 43)
	_, apiSecret, _ := credential.Split(strings.TrimPrefix(api, auth.APITokenPrefix), 43)
	for _, rt := range []int{otherRoute, 1 << 20} {
		if _, err := svc.Session(ctx, credential.Wrap(rt, secret)); !errors.Is(err, auth.ErrNoSession) {
			t.Errorf("session moved to route %d: %v", rt, err)
		}
		if _, err := svc.APITokenPrincipal(ctx, auth.APITokenPrefix+credential.Wrap(rt, apiSecret)); !errors.Is(err, auth.ErrBadToken) {
			t.Errorf("API token moved to route %d: %v", rt, err)
		}
	}
	if _, err := svc.Session(ctx, r.Token); err != nil {
		t.Fatalf("the new session itself: %v", err)
	}
}

// Sign-in by email asks the district the host name is mapped to (TRUSTPULSE_DISTRICT_HOSTS),
// else — with more than one district — every district, the password picking the account.
func TestSignInByHostName(t *testing.T) {
	ctx := context.Background()
	st, _, _, a := setup(t)
	b := testdb.NewDistrict(t, st)
	slug := func(d int64) string {
		var s []string
		if err := st.DB.Model(&store.District{}).Where("district_id = ?", d).Pluck("slug", &s).Error; err != nil || len(s) != 1 {
			t.Fatalf("slug of %d: %v %v", d, s, err)
		}
		return s[0]
	}
	svc := auth.New(st, auth.Options{Argon2: cheap, DistrictHosts: map[string]string{"a.example.org": slug(a), "gone.example.org": "no-such-district"}})
	for d, pw := range map[int64]string{a: "password of district a", b: "password of district b"} {
		if _, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "twin@example.org", Role: auth.DistrictAdmin, Password: pw}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		host, password string
		district       int64 // 0: refused
	}{
		{"a.example.org", "password of district a", a},
		{"A.example.org:8443", "password of district a", a}, // case and port do not matter
		{"a.example.org", "password of district b", 0},      // district b's account is not asked
		{"other.example.org", "password of district b", b},  // not mapped: every district
		{"", "password of district a", a},
	}
	for _, c := range cases {
		r, err := svc.SignInWith(ctx, auth.Attempt{Email: "twin@example.org", Password: c.password, IP: "192.0.2.7", Host: c.host})
		switch {
		case c.district == 0 && !errors.Is(err, auth.ErrBadCredentials):
			t.Errorf("%s with %q: %v, want refused", c.host, c.password, err)
		case c.district != 0 && (err != nil || r.Principal.User.DistrictID != c.district):
			t.Errorf("%s with %q: %v, want district %d", c.host, c.password, err, c.district)
		}
	}
	if _, err := svc.SignInWith(ctx, auth.Attempt{Email: "twin@example.org", Password: "password of district a", Host: "gone.example.org"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("host mapped to a missing district: %v", err)
	}
}

// Single sign-on asks the district of the host name too (#19 line 3): a respondent whose email is
// rostered in two districts signs in at their district's host name (and is refused as ambiguous
// where no host is mapped); a staff account found by email is the host's district's.
func TestSingleSignOnByHostName(t *testing.T) {
	ctx := context.Background()
	st, _, _, a := setup(t)
	b := testdb.NewDistrict(t, st)
	var slugB []string
	if err := st.DB.Model(&store.District{}).Where("district_id = ?", b).Pluck("slug", &slugB).Error; err != nil || len(slugB) != 1 {
		t.Fatalf("slug of %d: %v %v", b, slugB, err)
	}
	svc := auth.New(st, auth.Options{Argon2: cheap, DistrictHosts: map[string]string{"b.example.org": slugB[0]}})
	now := st.Now()
	staffEmail := fmt.Sprintf("lead%d@staff.example", a) // the package's database outlives one run (-count)
	people := map[int64]int64{}
	for _, d := range []int64{a, b} {
		id := store.NewID()
		people[d] = id
		if err := st.DB.Create(&store.Person{DistrictID: d, ID: id, SourcedID: "twin", Kind: store.KindStudent, Email: "twin@students.example",
			Active: true, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: staffEmail, Role: auth.DistrictAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	fp := authtest.NewProvider(t)
	o := auth.NewOIDC(svc, auth.OIDCConfig{Provider: auth.ProviderGeneric, Issuer: fp.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		RedirectURL: "http://example.test/login/oidc/callback", AllowedDomains: []string{"staff.example"},
		RespondentDomains: []string{"students.example"}, RespondentRedirectURL: "http://example.test/me/callback"})
	for _, c := range []struct {
		host    string
		want    int64 // district of the session; 0: ambiguous
		staffIn int64
	}{
		{"b.example.org", b, b},
		{"B.example.org:443", b, b},
		{"", 0, min(a, b)}, // no host mapped, two districts: every district; staff, the first by id (ids are random)
	} {
		authURL, flow, err := o.StartRespondent(ctx)
		if err != nil {
			t.Fatal(err)
		}
		state, code := fp.Authorize(authURL, map[string]any{"email": "twin@students.example", "email_verified": true})
		token, err := o.FinishRespondent(ctx, flow, state, code, c.host)
		if c.want == 0 {
			if !errors.Is(err, auth.ErrAmbiguousPerson) {
				t.Errorf("respondent at %q: %v, want ambiguous", c.host, err)
			}
		} else if r, err := svc.RespondentSession(ctx, token); err != nil || r.DistrictID != c.want || r.PersonID != people[c.want] {
			t.Errorf("respondent at %q: %+v %v, want district %d", c.host, r, err, c.want)
		}
		authURL, flow, err = o.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		state, code = fp.Authorize(authURL, map[string]any{"email": staffEmail, "email_verified": true})
		if _, p, err := o.Finish(ctx, flow, state, code, "192.0.2.8", c.host); err != nil || p.User.DistrictID != c.staffIn {
			t.Errorf("staff at %q: %v, got district %d, want %d (a %d, b %d)", c.host, err, p.User.DistrictID, c.staffIn, a, b)
		}
	}
}
