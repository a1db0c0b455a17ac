package httpserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/success"
)

// TestSuccessPagesPassAxe opens every page of the success loop at phone and desktop width: the
// teacher's mapping list (marked with a tap, saved with the form, no JavaScript needed) and home
// page, and the counselor's team page and follow-up list. Each passes axe-core's WCAG 2.1 A/AA
// rules and scrolls no wider than the screen.
func TestSuccessPagesPassAxe(t *testing.T) {
	f, confA, _ := successFixture(t)
	svc := &success.Service{Store: f.st, Surveys: f.waves.Surveys}
	lead := f.users["leaderA"]
	round, err := svc.StartRound(context.Background(), success.Viewer{DistrictID: f.district, UserID: lead.ID, Role: auth.SchoolLeader, Schools: []int64{f.school},
		Actor: auth.Actor{UserID: &lead.ID, Email: lead.Email}}, f.school, "Fall term")
	must(t, err)
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
			teacher, check := signIn("staffA")
			check("teacher's mapping list", teacher.Open(fmt.Sprintf("%s/admin/mapping?round=%d", f.srv.URL, round.ID)))
			teacher.Do(browsertest.ClickCSS(`main form[action^="/admin/mapping/"] input[name^="known_"]`))
			check("mapping list after saving", teacher.Follow(browsertest.ClickCSS(`main form[action^="/admin/mapping/"] button[type="submit"]`)))
			if text := browsertest.Run(teacher, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Your marks are saved.") {
				t.Fatalf("after saving: %s", text)
			}
			check("teacher's home", teacher.Open(f.srv.URL+"/admin"))
			counselor, check := signIn("counselorA")
			check("team page", counselor.Open(fmt.Sprintf("%s/admin/team?school=%d", f.srv.URL, f.school)))
			if text := browsertest.Run(counselor, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Claimed by no adult (") {
				t.Fatalf("team page: %s", text)
			}
			check("follow-up list", counselor.Open(fmt.Sprintf("%s/admin/followup?wave=%d&school=%d", f.srv.URL, confA.ID, f.school)))
			check("mapping page for a counselor", counselor.Open(f.srv.URL+"/admin/mapping"))
			check("team's student list", counselor.Open(fmt.Sprintf("%s/admin/team/students?school=%d&no_adult=1", f.srv.URL, f.school)))
			admin, check := signIn("admin")
			check("grading periods", admin.Open(f.srv.URL+"/admin/indicators"))
		})
	}
}
