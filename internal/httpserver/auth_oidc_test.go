package httpserver_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/auth/authtest"
	"github.com/trustpulse/trustpulse/internal/httpserver"
)

// TestOIDCRoutes walks single sign-on through the routes: the button, the redirect with its
// flow cookie, the callback that signs in, and a callback from a browser that never started.
func TestOIDCRoutes(t *testing.T) {
	f := newAdminFixture(t)
	fp := authtest.NewProvider(t)
	oidc := auth.NewOIDC(f.auth, auth.OIDCConfig{Provider: auth.ProviderMicrosoft, Issuer: fp.URL, ClientID: authtest.ClientID,
		ClientSecret: authtest.ClientSecret, RedirectURL: "http://example.test/login/oidc/callback", AllowedDomains: []string{"d" + itoa64(f.district) + ".test"}})
	srv, err := httpserver.New(httpserver.Deps{Config: f.cfg(), Store: f.st, Log: quietLog(), Surveys: f.waves.Surveys, Locales: f.locales, Waves: f.waves, Auth: f.auth, OIDC: oidc})
	must(t, err)
	f.serve(srv)

	b := f.browser()
	if _, page, _ := b.do("GET", "/login", nil); !strings.Contains(page, "Sign in with Microsoft") {
		t.Fatal("no single sign-on button")
	}
	code, _, h := b.do("GET", "/login/oidc", nil)
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), fp.URL+"/auth?") {
		t.Fatalf("start: %d %q", code, h.Get("Location"))
	}
	state, authCode := fp.Authorize(h.Get("Location"), map[string]any{"preferred_username": f.email("leaderA")})
	cb := "/login/oidc/callback?" + url.Values{"state": {state}, "code": {authCode}}.Encode()
	// Another browser replaying the callback has no flow cookie: refused.
	if code, page, _ := f.browser().do("GET", cb, nil); code != http.StatusForbidden || !strings.Contains(page, "Single sign-on did not work for this account.") {
		t.Fatalf("callback without flow cookie: %d", code)
	}
	// The refusal is in the sign-in page's language, like the rest of the page.
	if code, page, _ := f.browser().do("GET", cb+"&lang=es", nil); code != http.StatusForbidden || !strings.Contains(page, "El inicio de sesión único no funcionó con esta cuenta.") {
		t.Fatalf("callback without flow cookie, in Spanish: %d", code)
	}
	if code, _, h := b.do("GET", cb, nil); code != http.StatusSeeOther || h.Get("Location") != "/admin" {
		t.Fatalf("callback: %d %q", code, h.Get("Location"))
	}
	if code, page, _ := b.do("GET", "/admin", nil); code != http.StatusOK || !strings.Contains(page, strings.ToLower(f.email("leaderA"))) {
		t.Fatalf("after single sign-on: %d", code)
	}
}
