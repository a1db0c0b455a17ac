package httpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestCommentsPagePassesAxe opens the comment reader as a counselor at phone and desktop width:
// before a choice, with a group's comments, and with a filter under the floor. Each passes
// axe-core's WCAG 2.1 A/AA rules and scrolls no wider than the screen.
func TestCommentsPagePassesAxe(t *testing.T) {
	f, wa, _ := commentsFixture(t)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			check := func(page string, got int) {
				t.Helper()
				if got != 200 {
					t.Fatalf("%s: HTTP %d (at %s)", page, got, tab.Location())
				}
				tab.AssertAxe(page)
				tab.AssertFits(page)
			}
			tab.Open(f.srv.URL + "/admin")
			tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("counselorA")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
			tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
			check("comments, nothing chosen", tab.Open(f.srv.URL+"/admin/comments"))
			check("comments of a group", tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)))
			if text := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Thank you Ms. [name]") {
				t.Fatalf("comments page: %s", text)
			}
			check("comments, a filter under the floor", tab.Open(fmt.Sprintf("%s/admin/comments?wave=%d&school=%d&filter=family-school-trust:0", f.srv.URL, wa.ID, f.school)))
		})
	}
}
