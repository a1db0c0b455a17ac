package httpserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/locales"
)

// TestAdminPagesPassAxe signs in through the form, creates and opens a wave
// through the pages, and runs axe-core (WCAG 2.1 A/AA) on every staff page on the way.
func TestAdminPagesPassAxe(t *testing.T) {
	f := newAdminFixture(t)
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{}) // axe needs script; the pages have none of their own
	check := func(page string, got, want int) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: HTTP %d, want %d (at %s)", page, got, want, tab.Location())
		}
		tab.AssertAxe(page)
	}
	check("sign-in", tab.Open(f.srv.URL+"/admin"), 200)
	tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("admin")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
	check("home", tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)), 200)
	if loc := tab.Location(); !strings.HasSuffix(loc, "/admin") {
		t.Fatalf("sign-in led to %s", loc)
	}
	check("waves", tab.Follow(browsertest.ClickCSS(`header nav a[href="/admin/waves"]`)), 200)
	check("new wave", tab.Follow(browsertest.ClickCSS(`main a[href="/admin/waves/new"]`)), 200)
	tab.Do(
		chromedp.SetValue(chromedp.CSS(`#name`), "Browser pulse"),
		browsertest.ClickCSS(fmt.Sprintf(`label[for="school-%d"]`, f.school)),
		chromedp.SetValue(chromedp.CSS(`#opens`), "2026-01-05T08:00"),
		chromedp.SetValue(chromedp.CSS(`#closes`), "2026-12-18T16:00"),
	)
	check("wave", tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)), 200)
	if !strings.Contains(tab.Location(), "/admin/waves/") {
		t.Fatalf("creating led to %s", tab.Location())
	}
	check("opened wave", tab.Follow(browsertest.ClickCSS(`form[action$="/open"] button`)), 200)
	status := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`.facts`)))
	if !strings.Contains(status, "Open") {
		t.Errorf("wave not open after opening: %s", status)
	}
	check("class codes", tab.Follow(browsertest.ClickCSS(`main a[href$="/codes"]`)), 200)
	check("class codes issued", tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)), 200)
	// A background roster import: queued (a self-refreshing <progress> panel), then failed (the
	// problems banner).
	job, err := roster.Enqueue(context.Background(), f.st, roster.Upload{DistrictID: f.users["admin"].DistrictID, Source: "browser.zip"},
		strings.NewReader("not a zip"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	jobURL := fmt.Sprintf("%s/admin/roster?job=%d", f.srv.URL, job.ID)
	check("roster job queued", tab.Open(jobURL), 200)
	if _, err := (&roster.Jobs{Store: f.st}).RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("roster job failed", tab.Open(jobURL), 200)
	if page := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(page, "not a zip file") {
		t.Errorf("no problems banner: %s", page)
	}
	for _, p := range []string{"/admin/roster", "/admin/users", "/admin/audit", "/admin/password", "/admin/results/settings", "/admin/sms/settings", "/admin/tokens"} {
		check(p, tab.Open(f.srv.URL+p), 200)
	}
	// A new API token is shown once, on the page the form leads to.
	tab.Do(chromedp.SetValue(chromedp.CSS(`#token-name`), "Browser test"))
	check("token created", tab.Follow(browsertest.ClickCSS(`form[action="/admin/tokens"] button[type="submit"]`)), 200)
	if page := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(page, "tp_") {
		t.Errorf("the new token is not shown: %s", page)
	}
	// Every staff page in every dashboard locale (#16 line 6): lang and dir set, the menu in that
	// language, and axe clean (Arabic right to left).
	cat, err := httpserver.LoadDashboardLocales(locales.FS)
	must(t, err)
	for _, tag := range cat.Tags() {
		for _, p := range []string{"/admin", "/admin/waves", "/admin/waves/new", "/admin/roster", "/admin/users", "/admin/audit", "/admin/password", "/admin/results/settings", "/admin/sms/settings", "/admin/tokens"} {
			check(p+" in "+tag, tab.Open(f.srv.URL+p+"?lang="+tag), 200)
			lang := browsertest.Eval[string](tab, `document.documentElement.lang`)
			dir := browsertest.Eval[string](tab, `document.documentElement.dir`)
			if lang != tag || dir != cat.Info(tag).Dir {
				t.Errorf("%s in %s: <html lang=%q dir=%q>", p, tag, lang, dir)
			}
			nav := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`header nav a[href="/admin/waves"]`)))
			if want := cat.Localizer(tag).T("nav.waves"); nav != want {
				t.Errorf("%s in %s: menu says %q, want %q", p, tag, nav, want)
			}
		}
	}
	// Same origin only; data: URLs are Chromium's own date-picker icon, not something we serve.
	for _, r := range tab.Requests() {
		if !strings.HasPrefix(r.URL, f.srv.URL+"/") && !strings.HasPrefix(r.URL, "data:") {
			t.Errorf("request to another origin: %s (%s)", r.URL, r.Type)
		}
	}
}

// signInTab signs the account key in through the sign-in form in tab, failing the test unless
// both the form and the signed-in page answer 200.
func (f *adminFixture) signInTab(tab *browsertest.Tab, key string) {
	f.t.Helper()
	if status := tab.Open(f.srv.URL + "/admin"); status != 200 {
		f.t.Fatalf("sign-in page: %d", status)
	}
	tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email(key)), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
	if status := tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)); status != 200 {
		f.t.Fatalf("sign in: %d", status)
	}
}
