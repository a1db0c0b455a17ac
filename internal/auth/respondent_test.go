package auth_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/auth/authtest"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestOIDCRespondent: sign in to answer applies the provider rules against its own domain list,
// finds exactly one active student or staff member, and makes a respondent session that expires,
// ends with the person's deactivation, and never touches staff accounts or sessions.
func TestOIDCRespondent(t *testing.T) {
	ctx := context.Background()
	st, svc, _, d := setup(t)
	var offset time.Duration
	st.Now = func() time.Time { return time.Now().UTC().Truncate(time.Second).Add(offset) }
	now := st.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	students, staffDomain := fmt.Sprintf("st%d.org", d), fmt.Sprintf("staff%d.org", d)
	person := func(kind, email string) int64 {
		id := store.NewID()
		must(st.DB.Create(&store.Person{DistrictID: d, ID: id, SourcedID: "p" + fmt.Sprint(id), Kind: kind, Email: email, Active: true, CreatedAt: now, UpdatedAt: now}).Error)
		return id
	}
	kid := person(store.KindStudent, "Kid@"+students)
	teacher := person(store.KindStaff, "teacher@"+students)
	person(store.KindGuardian, "parent@"+students)
	_, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "lead@" + staffDomain, Role: auth.DistrictAdmin})
	must(err)
	person(store.KindStaff, "lead@"+staffDomain)

	fp := authtest.NewProvider(t)
	cfg := func(provider string) auth.OIDCConfig {
		return auth.OIDCConfig{Provider: provider, Issuer: fp.URL, ClientID: authtest.ClientID, ClientSecret: authtest.ClientSecret,
			RedirectURL: "http://example.test/login/oidc/callback", AllowedDomains: []string{staffDomain},
			RespondentDomains: []string{" " + students + " "}, RespondentRedirectURL: "http://example.test/me/callback"}
	}
	yes, no := true, false
	tests := []struct {
		name     string
		provider string
		claims   map[string]any
		want     int64 // the person signed in; 0: refused with wantErr
		wantErr  error
	}{
		{"google student", auth.ProviderGoogle, map[string]any{"email": "kid@" + students, "email_verified": yes, "hd": students}, kid, nil},
		{"google unverified", auth.ProviderGoogle, map[string]any{"email": "kid@" + students, "email_verified": no, "hd": students}, 0, auth.ErrOIDCRejected},
		{"google without hd", auth.ProviderGoogle, map[string]any{"email": "kid@" + students, "email_verified": yes}, 0, auth.ErrOIDCRejected},
		{"microsoft staff member by sign-in name", auth.ProviderMicrosoft, map[string]any{"preferred_username": "Teacher@" + students}, teacher, nil},
		{"microsoft another tenant", auth.ProviderMicrosoft, map[string]any{"email": "kid@" + students, "iss": "https://login.microsoftonline.com/other/v2.0"}, 0, auth.ErrOIDCRejected},
		{"staff-only domain is not a respondent domain", auth.ProviderGeneric, map[string]any{"email": "lead@" + staffDomain, "email_verified": yes}, 0, auth.ErrOIDCRejected},
		{"guardians do not sign in to answer", auth.ProviderGeneric, map[string]any{"email": "parent@" + students, "email_verified": yes}, 0, auth.ErrNoPerson},
		{"wrong nonce", auth.ProviderGeneric, map[string]any{"email": "kid@" + students, "email_verified": yes, "nonce": "replayed"}, 0, auth.ErrOIDCRejected},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := auth.NewOIDC(svc, cfg(tc.provider))
			authURL, flow, err := o.StartRespondent(ctx)
			must(err)
			state, code := fp.Authorize(authURL, tc.claims)
			token, err := o.FinishRespondent(ctx, flow, state, code, "")
			if tc.want == 0 {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("want %v, got %v", tc.wantErr, err)
				}
				return
			}
			must(err)
			r, err := svc.RespondentSession(ctx, token)
			if err != nil || r.DistrictID != d || r.PersonID != tc.want {
				t.Fatalf("respondent session %+v, %v", r, err)
			}
			// A respondent token is no staff session.
			if _, err := svc.Session(ctx, token); !errors.Is(err, auth.ErrNoSession) {
				t.Fatalf("respondent token as staff session: %v", err)
			}
		})
	}
	// A respondent-domain account at the staff callback is refused: the lists are separate.
	o := auth.NewOIDC(svc, cfg(auth.ProviderGeneric))
	authURL, flow, err := o.Start(ctx)
	must(err)
	state, code := fp.Authorize(authURL, map[string]any{"email": "teacher@" + students, "email_verified": yes})
	if _, _, err := o.Finish(ctx, flow, state, code, "10.0.0.1", ""); !errors.Is(err, auth.ErrOIDCRejected) {
		t.Fatalf("respondent domain at the staff sign-in: %v", err)
	}
	var n int64
	must(st.DB.Model(&store.Session{}).Where("district_id = ?", d).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d staff sessions made", n)
	}
	// Sessions end: after two hours, and when the person leaves the roster.
	authURL, flow, err = o.StartRespondent(ctx)
	must(err)
	state, code = fp.Authorize(authURL, map[string]any{"email": "kid@" + students, "email_verified": yes})
	token, err := o.FinishRespondent(ctx, flow, state, code, "")
	must(err)
	must(st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", d, kid).Update("active", false).Error)
	if _, err := svc.RespondentSession(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("session of a deactivated person: %v", err)
	}
	must(st.DB.Model(&store.Person{}).Where("district_id = ? AND id = ?", d, kid).Update("active", true).Error)
	if _, err := svc.RespondentSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	offset = auth.RespondentSessionTTL + time.Second
	if _, err := svc.RespondentSession(ctx, token); !errors.Is(err, auth.ErrNoSession) {
		t.Fatalf("session after two hours: %v", err)
	}
	if _, err := svc.PurgeSessions(ctx); err != nil {
		t.Fatal(err)
	}
	must(st.DB.Model(&store.RespondentSession{}).Where("district_id = ?", d).Count(&n).Error)
	if n != 0 {
		t.Fatalf("%d expired respondent sessions left after purge", n)
	}
	// Off without respondent domains.
	off := cfg(auth.ProviderGeneric)
	off.RespondentDomains = nil
	if oo := auth.NewOIDC(svc, off); oo.RespondentEnabled() {
		t.Fatal("respondent sign-in offered without respondent domains")
	} else if _, _, err := oo.StartRespondent(ctx); err == nil {
		t.Fatal("StartRespondent without respondent domains")
	}
}
