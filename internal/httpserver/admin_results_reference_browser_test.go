package httpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestResultsReferencePageInBrowser: the reference values page at phone and laptop width is
// axe-clean and does not scroll sideways, and its form works without JavaScript: choosing a
// reference wave and saving shows the saved state.
func TestResultsReferencePageInBrowser(t *testing.T) {
	f := newResultsFixture(t)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			tab.Open(f.srv.URL + "/admin")
			tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("admin")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
			tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
			check := func(name string, status int) {
				t.Helper()
				if status != 200 {
					t.Fatalf("%s: HTTP %d", name, status)
				}
				tab.AssertFits(name)
				tab.Screenshot(fmt.Sprintf("%s-%d", name, width))
				tab.AssertAxe(name)
			}
			check("reference", tab.Open(f.srv.URL+"/admin/results/reference"))
			if width != browsertest.ViewportWidth {
				return
			}
			key := f.in.ID + "-" + f.in.Measures[0].ID
			tab.Do(browsertest.ClickCSS(`label[for="` + key + `-wave"]`))
			check("reference saved", tab.Follow(browsertest.ClickCSS(`form:has(#`+key+`-wave) button[type="submit"]`)))
			status := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`#`+key+`-status`)))
			if !strings.Contains(status, "Now from the reference wave Fall results") {
				t.Errorf("after saving: %q", status)
			}
			check("overview with a reference", tab.Open(f.srv.URL+"/admin/results"))
		})
	}
}
