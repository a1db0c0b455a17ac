package httpserver_test

import (
	"fmt"
	"testing"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestErrorPageInTheBrowser: the error page a browser gets passes axe-core's WCAG 2.1 A/AA rules
// in English and Arabic, at phone and desktop width, signed in and signed out, and does not
// scroll sideways (#16 line 6).
func TestErrorPageInTheBrowser(t *testing.T) {
	f := newAdminFixture(t)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			check := func(path, lang string) {
				t.Helper()
				if got := tab.Open(f.srv.URL + path); got != 404 {
					t.Fatalf("%s: HTTP %d, want 404", path, got)
				}
				if got := browsertest.Eval[string](tab, `document.documentElement.lang`); got != lang {
					t.Errorf("%s: lang %q, want %q", path, got, lang)
				}
				tab.AssertAxe(path)
				tab.AssertFits(path)
			}
			check("/no/such/page?lang=en", "en")
			check("/no/such/page?lang=ar", "ar")
			f.signInTab(tab, "admin")
			check("/admin/waves/999999999?lang=ar", "ar")
			check("/admin/waves/999999999?lang=en", "en")
		})
	}
}
