package httpserver_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/store"
)

// TestAdminPagesFitPhone opens every staff page a district admin has, at phone width (390 px)
// and desktop width: each passes axe-core's WCAG 2.1 A/AA rules and none scrolls sideways
// (issue 16 line 7). The wave page carries its delivery report and the close confirmation.
func TestAdminPagesFitPhone(t *testing.T) {
	f := newAdminFixture(t)
	must(t, f.st.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", f.district, f.waveA.ID).Update("channels", "link,code,sms,email").Error)
	wa := itoa64(f.waveA.ID)
	br := browsertest.Start(t)
	for _, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			tab.Open(f.srv.URL + "/admin")
			tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("admin")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
			tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
			for _, p := range []string{"/admin", "/admin/waves", "/admin/waves/new", "/admin/waves/" + wa, "/admin/waves/" + wa + "/close",
				"/admin/waves/" + wa + "/codes", "/admin/roster", "/admin/users", "/admin/audit", "/admin/password", "/admin/results/settings",
				"/admin/sms/settings", "/admin/tokens"} {
				if got := tab.Open(f.srv.URL + p); got != 200 {
					t.Fatalf("%s: HTTP %d", p, got)
				}
				tab.AssertAxe(p)
				tab.AssertFits(p)
			}
		})
	}
}
