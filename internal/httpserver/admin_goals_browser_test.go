package httpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestGoalsPagesPassAxe opens the goals pages at phone and desktop width: the leader's goals
// page (with its add-action and status forms), the new-goal form at both steps, and the
// counselor's read-only page. Each passes axe-core's WCAG 2.1 A/AA rules and scrolls no wider
// than the screen.
func TestGoalsPagesPassAxe(t *testing.T) {
	f, _, winter := goalsFixture(t)
	reachedFixture(t, f)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			signIn := func(key string) (*browsertest.Tab, func(string, int)) {
				tab := br.NewTab(t, browsertest.TabOptions{Width: width})
				check := func(page string, got int) {
					t.Helper()
					if got != 200 {
						t.Fatalf("%s: HTTP %d (at %s)", page, got, tab.Location())
					}
					tab.AssertAxe(page)
					tab.Screenshot(page)
					tab.AssertFits(page)
				}
				tab.Open(f.srv.URL + "/admin")
				tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email(key)), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
				tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
				return tab, check
			}
			leader, check := signIn("leaderA")
			check("goals page", leader.Open(fmt.Sprintf("%s/admin/goals?school=%d", f.srv.URL, f.school)))
			leader.Do(browsertest.ClickCSS(`main details summary`))
			check("goals page, add-action form open", 200)
			check("new goal, step 1", leader.Open(fmt.Sprintf("%s/admin/goals/new?school=%d", f.srv.URL, f.school)))
			check("new goal, step 2", leader.Open(fmt.Sprintf("%s/admin/goals/new?school=%d&measure=%d:student-teacher-trust", f.srv.URL, f.school, winter.ID)))
			counselor, check := signIn("counselorA")
			check("goals page for a counselor", counselor.Open(fmt.Sprintf("%s/admin/goals?school=%d", f.srv.URL, f.school)))
			if text := browsertest.Run(counselor, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Met: the change") || !strings.Contains(text, "Difference, reached minus not reached: +8.0") {
				t.Fatalf("goals page: %s", text)
			}
		})
	}
}
