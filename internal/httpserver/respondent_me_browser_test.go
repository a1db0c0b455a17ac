package httpserver_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/httpserver"
)

// TestMePagePassesAxeInEnglishAndArabic signs a student in to answer in Chromium at phone width
// (the sign-in button, the provider round trip with the fake identity provider, the callback)
// and checks /me signed out and signed in against axe-core's WCAG 2.1 A/AA rules, lang and dir,
// and reflow; then starts the survey by its button (a plain form: no script on the page).
func TestMePagePassesAxeInEnglishAndArabic(t *testing.T) {
	f := newMeFixture(t, httpserver.Limits{})
	br := browsertest.Start(t)
	for _, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{})
			wantDir := map[string]string{"en": "ltr", "ar": "rtl"}[lang]
			check := func(page string, gotStatus, wantStatus int) {
				t.Helper()
				if gotStatus != wantStatus {
					t.Fatalf("%s: HTTP %d, want %d (at %s)", page, gotStatus, wantStatus, tab.Location())
				}
				if l, d := htmlLangDir(tab); l != lang || d != wantDir {
					t.Errorf(`%s: <html lang=%q dir=%q>, want lang=%q dir=%q`, page, l, d, lang, wantDir)
				}
				if w := browsertest.Eval[[]int](tab, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] || w[1] != browsertest.ViewportWidth {
					t.Errorf("%s: page is %dpx wide in a %dpx viewport: it scrolls sideways", page, w[0], w[1])
				}
				tab.Screenshot(lang + " " + page)
				res := tab.AssertAxe(lang + " " + page)
				t.Logf("%s: axe: %d rules pass, %d violations, %d to review by hand", page, res.Passes, len(res.Violations), len(res.Incomplete))
			}
			check("me signed out", tab.Open(f.srv.URL+"/me?lang="+lang), 200)
			// The button takes the browser to the provider (the fake one has no consent page).
			tab.Follow(browsertest.ClickCSS(`a[href^="/me/signin"]`))
			authURL := tab.Location()
			if !strings.HasPrefix(authURL, f.fp.URL+"/auth?") {
				t.Fatalf("sign-in button went to %s", authURL)
			}
			state, code := f.fp.Authorize(authURL, googleClaims(f.alice.Email))
			check("me signed in", tab.Open(f.srv.URL+"/me/callback?"+url.Values{"state": {state}, "code": {code}}.Encode()), 200)
			if !strings.Contains(tab.Location(), "/me?lang="+lang) {
				t.Fatalf("after the callback at %s", tab.Location())
			}
			if st := tab.Follow(browsertest.ClickCSS(`form[action^="/me/start"] button`)); st != 200 || !strings.Contains(tab.Location(), "/s/") {
				t.Fatalf("Start: HTTP %d at %s", st, tab.Location())
			}
			if l, d := htmlLangDir(tab); l != lang || d != wantDir {
				t.Errorf("survey intro after Start: lang=%q dir=%q", l, d)
			}
		})
	}
}
