package httpserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
)

// overlapJS lists what overlaps on the code sheet: a part of a card (where, code, link, QR)
// sticking out of its card, text wider than its box, or two cards on top of each other.
const overlapJS = `(() => {
  const out = [];
  const cards = [...document.querySelectorAll('.codes li')];
  cards.forEach((li, i) => {
    const r = li.getBoundingClientRect();
    for (const el of li.children) {
      const c = el.getBoundingClientRect();
      if (c.left < r.left - 0.5 || c.right > r.right + 0.5 || c.top < r.top - 0.5 || c.bottom > r.bottom + 0.5)
        out.push('card ' + i + ': ' + el.className + ' sticks out of its card');
      if (el.scrollWidth > el.clientWidth + 1 && el.tagName !== 'IMG')
        out.push('card ' + i + ': ' + el.className + ' text wider than its box');
    }
    cards.forEach((other, j) => {
      if (j <= i) return;
      const o = other.getBoundingClientRect();
      if (r.left < o.right - 0.5 && o.left < r.right - 0.5 && r.top < o.bottom - 0.5 && o.top < r.bottom - 0.5)
        out.push('cards ' + i + ' and ' + j + ' overlap');
    });
  });
  return cards.length + ' cards; ' + (out.length ? out.join('; ') : 'ok');
})()`

// TestCodeSheetLaysOutWithoutOverlap (#14 line 2): the printed class-code sheet, with a long public
// address and long class names, on a phone and printed on A4 and Letter: no text leaves its card,
// no card covers another. The screenshots go to TRUSTPULSE_SCREENSHOT_DIR when set, to look at.
func TestCodeSheetLaysOutWithoutOverlap(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	cfg := f.cfg()
	cfg.BaseURL = "https://pulse-surveys.springfield-unified.k12.example.org"
	srv, err := httpserver.New(httpserver.Deps{Config: cfg, Store: f.st, Log: quietLog(), Surveys: f.waves.Surveys, Locales: f.locales, Waves: f.waves, Auth: f.auth})
	must(t, err)
	f.serve(srv)
	for i, title := range []string{"Room 214 – Ms. Alexandrova-Whitfield's Grade 5 Homeroom", "Room 7", "Portable classroom B (Mr. Nguyễn Văn Thành)", "Gymnasium"} {
		cid := store.NewID()
		must(t, f.st.DB.Create(&store.Class{DistrictID: f.district, ID: cid, SourcedID: fmt.Sprintf("long%d", i), SchoolID: f.school, Title: title, ClassType: "homeroom", Active: true}).Error)
		_, err := f.waves.IssueCode(ctx, f.district, f.waveA.ID, f.school, &cid)
		must(t, err)
	}
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{})
	tab.Open(f.srv.URL + "/admin")
	tab.Do(chromedp.SetValue(chromedp.CSS(`#email`), f.email("admin")), chromedp.SetValue(chromedp.CSS(`#password`), staffPassword))
	tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`))
	if status := tab.Open(fmt.Sprintf("%s/admin/waves/%d/codes", f.srv.URL, f.waveA.ID)); status != 200 {
		t.Fatalf("codes page: %d", status)
	}
	tab.AssertAxe("class codes")
	for _, v := range []struct {
		name  string
		media string
		width int64
	}{
		{"phone", "", browsertest.ViewportWidth},
		{"a4-print", "print", 794},     // 210 mm at 96 dpi
		{"letter-print", "print", 816}, // 8.5 in
	} {
		tab.Do(
			chromedp.EmulateViewport(v.width, 1100),
			chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: v.media})
				return err
			}),
		)
		got := browsertest.Eval[string](tab, overlapJS)
		if !strings.HasPrefix(got, "4 cards; ") || !strings.HasSuffix(got, "; ok") {
			t.Errorf("%s: %s", v.name, got)
		}
		if dir := os.Getenv("TRUSTPULSE_SCREENSHOT_DIR"); dir != "" {
			png := browsertest.Run(tab, chromedp.FullScreenshot(90))
			must(t, os.WriteFile(filepath.Join(dir, "codes-"+v.name+".png"), png, 0o644))
		}
	}
}

// TestNextStudentOnASharedPhone (#14 line 2, #17 line 4) in Chromium, in Arabic (right to left):
// a student answers by class code; the thank-you page has a Next student button, which starts a
// new respondent on the code's page rather than the previous student's thank-you; the class (of
// one) has answered, so that page says the code is full. Each page passes axe. (The fresh, empty
// survey after Next student is TestClassCodeFullAndNextStudent.)
func TestNextStudentOnASharedPhone(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	class := f.addStudents(1, true)
	f.waves.CodeMargin = -1 // a class of one: the second student finds the code full
	w, _ := f.openWave(store.ModeAnonymous, "code")
	code, err := f.waves.IssueCode(context.Background(), f.district, w.ID, f.school, &class)
	must(t, err)
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{})
	base := f.srv.URL + "/j/" + code
	check := func(page string, got, want int) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: HTTP %d, want %d (at %s)", page, got, want, tab.Location())
		}
		if l, d := htmlLangDir(tab); l != "ar" || d != "rtl" {
			t.Errorf("%s: lang=%q dir=%q", page, l, d)
		}
		tab.AssertAxe(page)
	}
	check("intro", tab.Open(base+"?lang=ar"), 200)
	tab.Follow(browsertest.ClickCSS(`main a.button`))
	for page := 1; page <= 10 && !strings.Contains(tab.Location(), "/review"); page++ {
		names, values := radioItems(t, tab)
		for _, name := range names {
			tab.Do(browsertest.ClickCSS(radioLabel(name, values[name][1])))
		}
		tab.Follow(browsertest.ClickCSS(`button[name="nav"][value="next"]`))
	}
	check("thank-you", tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)), 200)
	if got := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`form.next-student button`))); got != "الطالب التالي" {
		t.Fatalf("Next student button reads %q", got)
	}
	// The next student: the button leads to the code's intro; the code is now full for them.
	check("next student on a full code", tab.Follow(browsertest.ClickCSS(`form.next-student button`)), 403)
	if !strings.HasPrefix(tab.Location(), base) || strings.Contains(tab.Location(), "/thanks") {
		t.Fatalf("Next student led to %s", tab.Location())
	}
	if body := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(body, "رمز الصف هذا ممتلئ") {
		t.Fatalf("full-code page: %s", body)
	}
}
