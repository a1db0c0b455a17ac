package httpserver_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// TestPrintableReportsPassAxe runs axe-core (WCAG 2.1 A/AA) on the printable report pages at
// the phone viewport (360) and at a laptop's (1280), as a school leader who opens them from the
// school page; nothing but the marked scroll regions may scroll sideways. Printed, the page
// leaves out the menus.
func TestPrintableReportsPassAxe(t *testing.T) {
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
	if status := tab.Open(f.srv.URL + f.schoolPage(f.school)); status != 200 {
		t.Fatalf("school page: %d", status)
	}
	check("school report", tab.Follow(browsertest.ClickCSS(`ul.report-links a[href*="/report"]`)))
	check("school report in Spanish", tab.Open(f.srv.URL+f.reportPage(f.school, f.fall)+"&lang=es"))
	if status := tab.Open(f.srv.URL + f.schoolPage(f.school)); status != 200 {
		t.Fatalf("school page: %d", status)
	}
	check("family summary", tab.Follow(browsertest.ClickCSS(`ul.report-links a[href*="/family-summary"]`)))
	check("family summary in Arabic", tab.Follow(browsertest.ClickCSS(`.family-tools a[hreflang="ar"]`)))
	if lang, dir := htmlLangDir(tab); lang != "ar" || dir != "rtl" {
		t.Errorf("Arabic family summary: <html lang=%q dir=%q>", lang, dir)
	}
	check("family summary in Chinese", tab.Open(f.srv.URL+f.familyPage(f.school, f.fall, "zh-Hans")))

	tab.Do(chromedp.EmulateViewport(1280, 800))
	check("family summary in English on a laptop", tab.Open(f.srv.URL+f.familyPage(f.school, f.fall, "en")))
	check("family summary in Arabic on a laptop", tab.Open(f.srv.URL+f.familyPage(f.school, f.fall, "ar")))
	tab.Do(emulateMedia("print"))
	if shown := browsertest.Eval[bool](tab, `getComputedStyle(document.querySelector("header.family-tools")).display !== "none"`); shown {
		t.Errorf("printed, the family summary still shows the staff bar")
	}
	tab.Do(emulateMedia(""))
	check("school report on a laptop", tab.Open(f.srv.URL+f.reportPage(f.school, f.fall)))
	tab.Do(emulateMedia("print"))
	if shown := browsertest.Eval[bool](tab, `getComputedStyle(document.querySelector("header.admin-top")).display !== "none"`); shown {
		t.Errorf("printed, the report still shows the menu")
	}
	tab.Do(emulateMedia(""))
	tab.AssertSameOrigin(f.srv.URL)
	for _, e := range tab.Logs() {
		if e.Source == "security" || strings.Contains(e.Text, "Content Security Policy") {
			t.Errorf("browser: %s (%s)", e.Text, e.URL)
		}
	}
}

// emulateMedia makes the tab lay pages out for a CSS media type ("print"; "" for the screen).
func emulateMedia(media string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return err
	})
}
