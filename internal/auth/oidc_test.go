package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/auth/authtest"
	"github.com/trustpulse/trustpulse/internal/store"
)

func TestOIDC(t *testing.T) {
	ctx := context.Background()
	st, svc, _, d := setup(t)
	// Tokens carry real time; the store clock must agree with the provider's.
	st.Now = func() time.Time { return time.Now().UTC().Truncate(time.Second) }
	now := st.Now()
	school := store.NewID()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.DB.Create(&store.School{DistrictID: d, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	teacher := store.NewID()
	must(st.DB.Create(&store.Person{DistrictID: d, ID: teacher, SourcedID: "t1", Kind: store.KindStaff, Role: "teacher", Email: "Teacher@School.org",
		GivenName: "Tess", FamilyName: "Teacher", SchoolID: &school, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	must(st.DB.Create(&store.PersonSchool{DistrictID: d, PersonID: teacher, SchoolID: school}).Error)
	_, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "lead@school.org", Role: auth.SchoolLeader, Schools: []int64{school}})
	must(err)

	fp := authtest.NewProvider(t)
	cfg := func(provider string) auth.OIDCConfig {
		return auth.OIDCConfig{Provider: provider, Issuer: fp.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
			RedirectURL: "http://example.test/login/oidc/callback", AllowedDomains: []string{"school.org"}}
	}
	yes, no := true, false
	tests := []struct {
		name      string
		provider  string
		claims    map[string]any
		badState  bool
		badVerify bool
		wantRole  auth.Role // empty: refused
	}{
		{"google workspace account", auth.ProviderGoogle, map[string]any{"email": "lead@school.org", "email_verified": yes, "hd": "school.org"}, false, false, auth.SchoolLeader},
		{"google unverified email", auth.ProviderGoogle, map[string]any{"email": "lead@school.org", "email_verified": no, "hd": "school.org"}, false, false, ""},
		{"google consumer account without hd", auth.ProviderGoogle, map[string]any{"email": "lead@school.org", "email_verified": yes}, false, false, ""},
		{"google other workspace", auth.ProviderGoogle, map[string]any{"email": "lead@school.org", "email_verified": yes, "hd": "evil.org"}, false, false, ""},
		{"domain not allowed", auth.ProviderGeneric, map[string]any{"email": "x@evil.org", "email_verified": yes}, false, false, ""},
		{"rostered staff gets a staff account", auth.ProviderMicrosoft, map[string]any{"preferred_username": "teacher@school.org"}, false, false, auth.Staff},
		{"unknown person", auth.ProviderMicrosoft, map[string]any{"email": "nobody@school.org"}, false, false, ""},
		{"wrong issuer (another tenant)", auth.ProviderMicrosoft, map[string]any{"email": "lead@school.org", "iss": "https://login.microsoftonline.com/other/v2.0"}, false, false, ""},
		{"wrong nonce", auth.ProviderGeneric, map[string]any{"email": "lead@school.org", "email_verified": yes, "nonce": "replayed"}, false, false, ""},
		{"wrong audience", auth.ProviderGeneric, map[string]any{"email": "lead@school.org", "email_verified": yes, "aud": "someone-else"}, false, false, ""},
		{"state mismatch", auth.ProviderGeneric, map[string]any{"email": "lead@school.org", "email_verified": yes}, true, false, ""},
		{"PKCE verifier mismatch", auth.ProviderGeneric, map[string]any{"email": "lead@school.org", "email_verified": yes}, false, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := auth.NewOIDC(svc, cfg(tc.provider))
			authURL, flow, err := o.Start(ctx)
			if err != nil {
				t.Fatal(err)
			}
			state, code := fp.Authorize(authURL, tc.claims)
			if tc.badState {
				state = "forged"
			}
			if tc.badVerify {
				flow.Verifier = "a-different-verifier-of-enough-length-0123456789"
			}
			token, p, err := o.Finish(ctx, flow, state, code, "10.0.0.9", "")
			if tc.wantRole == "" {
				if !errors.Is(err, auth.ErrOIDCRejected) {
					t.Fatalf("want refusal, got %v", err)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Role() != tc.wantRole || len(p.Schools) != 1 || p.Schools[0] != school {
				t.Fatalf("principal %+v", p)
			}
			if _, err := svc.Session(ctx, token); err != nil {
				t.Fatalf("session: %v", err)
			}
		})
	}
	// The staff account made at first sign-in is linked to the rostered person.
	var u store.User
	must(st.DB.Where("district_id = ? AND email = ?", d, "teacher@school.org").First(&u).Error)
	if u.PersonID == nil || *u.PersonID != teacher || u.Name != "Tess Teacher" {
		t.Errorf("staff account %+v", u)
	}
}

// An account waiting after many failed password sign-ins still signs in by single sign-on.
func TestSingleSignOnDoesNotWaitAfterFailures(t *testing.T) {
	ctx := context.Background()
	st, svc, _, d := setup(t)
	st.Now = func() time.Time { return time.Now().UTC().Truncate(time.Second) }
	school := store.NewID()
	now := st.Now()
	if err := st.DB.Create(&store.School{DistrictID: d, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "waiting@school.org", Role: auth.DistrictAdmin, Password: "a long enough password"}); err != nil {
		t.Fatal(err)
	}
	// Twelve checked failures on a stepped clock: the last wait (128 s) ends minutes from now.
	clock := now
	st.Now = func() time.Time { return clock }
	for i := 1; i <= 12; i++ {
		if _, _, err := svc.SignIn(ctx, "waiting@school.org", "guess", "203.0.113.1"); !errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("failure %d: %v", i, err)
		}
		clock = clock.Add(auth.SignInDelay(i))
	}
	st.Now = func() time.Time { return time.Now().UTC().Truncate(time.Second) } // tokens carry real time
	if _, _, err := svc.SignIn(ctx, "waiting@school.org", "a long enough password", "192.0.2.1"); !errors.Is(err, auth.ErrThrottled) {
		t.Fatalf("password sign-in during the wait: %v, want ErrThrottled", err)
	}
	fp := authtest.NewProvider(t)
	o := auth.NewOIDC(svc, auth.OIDCConfig{Provider: auth.ProviderGeneric, Issuer: fp.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
		RedirectURL: "http://example.test/login/oidc/callback", AllowedDomains: []string{"school.org"}})
	authURL, flow, err := o.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	state, code := fp.Authorize(authURL, map[string]any{"email": "waiting@school.org", "email_verified": true})
	if _, p, err := o.Finish(ctx, flow, state, code, "192.0.2.1", ""); err != nil || p.User.Email != "waiting@school.org" {
		t.Fatalf("single sign-on during the wait: %v", err)
	}
}
