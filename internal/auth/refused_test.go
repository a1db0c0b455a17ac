package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/locales"
)

// TestRefusalsWorded (#16 line 6): every form refusal of the account use cases is ErrInvalid, reads
// as it always has (the command line prints it), and carries a refusal whose message in the
// staff catalog's English renders exactly as its English sentence.
func TestRefusalsWorded(t *testing.T) {
	ctx := context.Background()
	st, svc, _, d := setup(t)
	cat, err := httpserver.LoadDashboardLocales(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	en := cat.Localizer("en")
	now := st.Now()
	school := store.NewID()
	if err := st.DB.Create(&store.School{DistrictID: d, ID: school, SourcedID: "a", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	admin, err := svc.CreateUser(ctx, nil, auth.NewUser{DistrictID: d, Email: "admin@x.org", Role: auth.DistrictAdmin, Password: "admin password 1"})
	if err != nil {
		t.Fatal(err)
	}
	p := &auth.Principal{User: admin}
	staff := &auth.Principal{User: store.User{DistrictID: d, ID: admin.ID, Role: string(auth.Staff)}}
	create := func(nu auth.NewUser) error {
		nu.DistrictID = d
		_, err := svc.CreateUser(ctx, nil, nu)
		return err
	}
	token := func(p *auth.Principal, name string) error {
		_, _, err := svc.CreateAPIToken(ctx, p, name, "10.0.0.1")
		return err
	}
	for _, tc := range []struct {
		err  error
		id   string
		want string
	}{
		{create(auth.NewUser{Email: "nope", Role: auth.Staff, Schools: []int64{school}}), "email", `create user: invalid input: "nope" is not an email address`},
		{create(auth.NewUser{Email: "a@x.org", Role: "root", Schools: []int64{school}}), "role", `create user: invalid input: unknown role "root"`},
		{create(auth.NewUser{Email: "a@x.org", Role: auth.SchoolLeader}), "schools", "create user: invalid input: the role school_leader needs at least one school"},
		{create(auth.NewUser{Email: "a@x.org", Role: auth.Staff, Schools: []int64{school}, Password: "short"}), "password_short", "create user: invalid input: password shorter than 12 characters"},
		{create(auth.NewUser{Email: "ADMIN@x.org", Role: auth.Staff, Schools: []int64{school}}), "duplicate", "create user: invalid input: admin@x.org already has an account"},
		{create(auth.NewUser{Email: "a@x.org", Role: auth.Staff, Schools: []int64{12345}}), "school_unknown", "create user: invalid input: a school does not exist in this district"},
		{svc.SetRole(ctx, p, d, admin.ID, "root", nil), "role", `set role: invalid input: unknown role "root"`},
		{svc.SetRole(ctx, p, d, admin.ID, auth.Counselor, nil), "schools", "set role: invalid input: the role counselor needs at least one school"},
		{svc.SetRole(ctx, p, d, admin.ID, auth.Staff, []int64{school}), "own_admin", "set role: invalid input: you cannot remove your own admin role"},
		{svc.ChangePassword(ctx, p, "wrong", "a new long password", "", ""), "current_wrong", "change password: invalid input: the current password is wrong"},
		{svc.ChangePassword(ctx, p, "admin password 1", "short", "", ""), "new_short", "change password: invalid input: the new password needs at least 12 characters"},
		{token(staff, "x"), "token_role", "create API token: invalid input: the role staff cannot use the API"},
		{token(p, "  "), "token_name", "create API token: invalid input: give the token a name"},
		{token(p, strings.Repeat("x", 101)), "token_name_long", "create API token: invalid input: the name is longer than 100 characters"},
	} {
		checkRefusal(t, en.T, tc.err, "refusal.auth."+tc.id, tc.want)
	}
	_, _, err = svc.CreateAPITokenFor(ctx, d, "Nobody@x.org", "x")
	checkRefusal(t, en.T, err, "refusal.auth.no_account", "create API token: invalid input: no active account nobody@x.org")
}

func checkRefusal(t *testing.T, T func(string, ...map[string]any) string, err error, id, want string) {
	t.Helper()
	var r *refusal.Error
	switch {
	case !errors.Is(err, auth.ErrInvalid) || !errors.As(err, &r):
		t.Errorf("%s: %v is not an ErrInvalid refusal", id, err)
	case err.Error() != want || r.ID != id:
		t.Errorf("%s: %s %q, want %s %q", id, r.ID, err, id, want)
	case !strings.HasSuffix(want, ": "+r.Msg):
		t.Errorf("%s: sentence %q is not the end of %q", id, r.Msg, want)
	default:
		if got := T(r.ID, r.Data); got != r.Msg {
			t.Errorf("%s renders %q in English, want %q", r.ID, got, r.Msg)
		}
	}
}
