package httpserver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestResultsPagesPassAxe signs in as a school leader and runs axe-core (WCAG 2.1 A/AA) on the
// results pages at the phone viewport, in English and Spanish, and the school page again at a
// laptop viewport. On the phone nothing but the marked scroll regions may scroll sideways.
func TestResultsPagesPassAxe(t *testing.T) {
	f := newResultsFixture(t)
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{})
	f.signInTab(tab, "leaderA")
	check := func(page string, status int) {
		t.Helper()
		if status != 200 {
			t.Fatalf("%s: HTTP %d (at %s)", page, status, tab.Location())
		}
		tab.AssertFits(page)
		tab.Screenshot(page)
		tab.AssertAxe(page)
	}
	check("overview", tab.Follow(browsertest.ClickCSS(`header nav a[href="/admin/results"]`)))
	// Sorting by a measure is the picker's plain GET form: no script needed.
	tab.Do(chromedp.SetValue(chromedp.CSS(`#pick-sort`), f.in.Measures[1].ID))
	check("overview sorted", tab.Follow(browsertest.ClickCSS(`form.picker button[type="submit"]`)))
	if !strings.Contains(tab.Location(), "sort="+f.in.Measures[1].ID) {
		t.Errorf("the sort form led to %s", tab.Location())
	}
	check("school", tab.Follow(browsertest.ClickCSS(fmt.Sprintf(`main a[href^="/admin/results/schools/%d"]`, f.school))))
	tab.Do(chromedp.SetValue(chromedp.CSS(`#pick-by`), "gender"))
	check("school by gender", tab.Follow(browsertest.ClickCSS(`form.picker button[type="submit"]`)))
	if !strings.Contains(tab.Location(), "by=gender") {
		t.Errorf("the breakdown form led to %s", tab.Location())
	}
	if pooled := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`.results-table tbody`))); !strings.Contains(pooled, "Combined") {
		t.Errorf("no combined group in the subgroup table: %s", pooled)
	}
	check("school by English learner", tab.Open(f.srv.URL+f.schoolPage(f.school)+"&by=english_learner"))
	hidden := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`.results-table tbody`)))
	if !strings.Contains(hidden, "fewer than 10 responses") || !strings.Contains(hidden, "hidden to protect a smaller group") {
		t.Errorf("no small and protected group in the subgroup table: %s", hidden)
	}
	check("measure", tab.Follow(browsertest.ClickCSS(`section.trend h3 a`)))
	check("school in Spanish", tab.Open(f.srv.URL+f.schoolPage(f.school)+"&by=gender&lang=es"))
	if lang := browsertest.Run(tab, chromedp.Attributes(chromedp.CSS("html")))["lang"]; lang != "es" {
		t.Errorf(`<html lang=%q>, want "es"`, lang)
	}
	check("overview in Spanish", tab.Follow(browsertest.ClickCSS(`main a[href^="/admin/results?"]`)))
	single := fmt.Sprintf("/admin/results/schools/%d/measures/adult-connection?wave=%d", f.school, f.fall.ID)
	check("single-item measure", tab.Open(f.srv.URL+single))

	tab.Do(chromedp.EmulateViewport(1280, 800))
	check("school on a laptop", tab.Open(f.srv.URL+f.schoolPage(f.school)+"&by=gender"))
	check("overview on a laptop", tab.Open(f.srv.URL+"/admin/results"))
	check("measure on a laptop", tab.Open(f.srv.URL+fmt.Sprintf("/admin/results/schools/%d/measures/%s?wave=%d", f.school, f.in.Measures[0].ID, f.fall.ID)))
	check("single-item measure on a laptop", tab.Open(f.srv.URL+single))
	tab.AssertSameOrigin(f.srv.URL)
	for _, e := range tab.Logs() {
		if e.Source == "security" { // a CSP violation
			t.Errorf("browser: %s (%s)", e.Text, e.URL)
		}
	}
}

// TestRestOfDistrictPassesAxe runs axe-core on a school page with the rest of the district
// shown (and changed since the previous wave) and with it hidden, at the phone and laptop
// viewports: the table scrolls in its own region and nothing else goes sideways.
func TestRestOfDistrictPassesAxe(t *testing.T) {
	f := newRestFixture(t)
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{})
	f.signInTab(tab, "leaderA")
	shown := fmt.Sprintf("%s/admin/results/schools/%d?wave=%d", f.srv.URL, f.school, f.lateWinter.ID)
	hidden := fmt.Sprintf("%s/admin/results/schools/%d?wave=%d", f.srv.URL, f.school, f.fall.ID)
	check := func(page, url, want string) {
		t.Helper()
		if status := tab.Open(url); status != 200 {
			t.Fatalf("%s: HTTP %d", page, status)
		}
		if got := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`.rest-table tbody`))); !strings.Contains(got, want) {
			t.Errorf("%s: rest table lacks %q: %s", page, want, got)
		}
		tab.AssertFits(page)
		tab.Screenshot(page)
		tab.AssertAxe(page)
	}
	check("rest shown", shown, "Rest of district (2 other schools)")
	check("rest hidden", hidden, "not shown: too few other schools")
	tab.Do(chromedp.EmulateViewport(1280, 800))
	check("rest shown on a laptop", shown, "% favorable")
	check("rest hidden on a laptop", hidden, "Rest of district (1 other school)")
}
