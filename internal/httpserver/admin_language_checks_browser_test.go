package httpserver_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestLanguageChecksPassesAxe: the language checks page with a flagged Spanish item passes
// axe-core's WCAG 2.1 A/AA rules at phone and desktop width and scrolls no wider than the screen
// (its tables scroll inside their box).
func TestLanguageChecksPassesAxe(t *testing.T) {
	f := newAdminFixture(t)
	plantLanguageDIF(t, f.st, f.waveA, f.school)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			tab.Open(f.srv.URL + "/admin")
			tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("admin")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
			tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
			if code := tab.Open(f.srv.URL + "/admin/language-checks"); code != 200 {
				t.Fatalf("HTTP %d", code)
			}
			tab.AssertAxe("language checks")
			tab.AssertFits("language checks")
			if n := browsertest.Eval[int](tab, `document.querySelectorAll("tr.flagged").length`); n != 1 {
				t.Errorf("%d flagged rows", n)
			}
			tab.Screenshot(fmt.Sprintf("language-checks-%d", width))
		})
	}
}
