package httpserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// TestHelpTextPagesPassAxe walks the help text form as a school leader (as saved, and showing a
// refused text back) and a student's thank-you page with the text (English, and Arabic showing
// the school's English text), at phone and desktop width. Each passes axe-core's WCAG 2.1 A/AA
// rules and scrolls no wider than the screen.
func TestHelpTextPagesPassAxe(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	now := f.st.Now()
	w, err := f.waves.Create(ctx, wave.Spec{DistrictID: f.district, Name: "Adams winter", InstrumentID: "student-pulse", InstrumentVersion: 1,
		Mode: store.ModeConfidential, SchoolIDs: []int64{f.school}, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), Channels: []string{"link"}})
	must(t, err)
	must(t, f.waves.SetStatus(ctx, f.district, w.ID, store.StatusOpen))
	issued, err := f.waves.Invite(ctx, f.district, w.ID)
	must(t, err)
	if len(issued) < 2 {
		t.Fatalf("%d invitations", len(issued))
	}
	br := browsertest.Start(t)
	for i, width := range browsertest.Widths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{Width: width})
			check := func(page string, got, want int) {
				t.Helper()
				if got != want {
					t.Fatalf("%s: HTTP %d, want %d (at %s)", page, got, want, tab.Location())
				}
				tab.AssertAxe(page)
				tab.AssertFits(page)
			}
			tab.Open(f.srv.URL + "/admin")
			tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("leaderA")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
			tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
			check("help texts", tab.Open(f.srv.URL+"/admin/help-texts"), 200)
			tab.Do(chromedp.SetValue(chromedp.CSS(`#text_en`), "Ms. Diaz, counselor, room 12\nCall or text 988 any time"),
				chromedp.SetValue(chromedp.CSS(`#text_es`), strings.Repeat("demasiado largo ", 20)))
			check("help texts, a text refused", tab.Follow(browsertest.ClickCSS(`main form[method="post"] button[type="submit"]`)), 422)
			tab.Do(chromedp.SetValue(chromedp.CSS(`#text_es`), "Sra. Díaz, consejera, salón 12"))
			check("help texts saved", tab.Follow(browsertest.ClickCSS(`main form[method="post"] button[type="submit"]`)), 200)
			if text := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(text, "Help texts saved") {
				t.Fatalf("after saving: %s", text)
			}

			// A student answers (outside the browser), then reads the thank-you page in it.
			b := f.browser()
			base := "/s/" + issued[i].Token
			b.answerAll(base, 4, func(string) string { return "0" })
			check("thanks (en)", tab.Open(f.srv.URL+base+"/thanks?lang=en"), 200)
			if text := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`.help-now`))); !strings.Contains(text, "Ms. Diaz, counselor, room 12") {
				t.Fatalf("thanks: %s", text)
			}
			check("thanks (ar, the school's English text)", tab.Open(f.srv.URL+base+"/thanks?lang=ar"), 200)
		})
	}
}
