package httpserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustpulse/trustpulse/internal/browsertest"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
)

// These tests drive the respondent pages in headless Chromium at a 360×740 phone viewport: every
// page passes axe-core's WCAG 2.1 A/AA rules in English and Arabic (right to left), a student can
// answer a whole survey with JavaScript turned off, and no page loads anything from another origin.
// Without Chromium they fail (apt-get install chromium); they never skip.

// radioItems lists the item names (q_…) on the page now shown, in page order, with their values.
func radioItems(t *testing.T, tab *browsertest.Tab) (names []string, values map[string][]string) {
	t.Helper()
	nodes := browsertest.Run(tab, chromedp.Nodes(chromedp.CSSAll(`form fieldset.item input[type="radio"]`)))
	values = map[string][]string{}
	for _, n := range nodes {
		name, value := n.AttributeValue("name"), n.AttributeValue("value")
		if _, seen := values[name]; !seen {
			names = append(names, name)
		}
		values[name] = append(values[name], value)
	}
	return names, values
}

// radioLabel is the label a person taps to choose value for item name.
func radioLabel(name, value string) string {
	return fmt.Sprintf(`form label.choice:has(> input[type="radio"][name=%q][value=%q])`, name, value)
}

// htmlLangDir reads <html lang dir> from the DOM (no page script needed).
func htmlLangDir(tab *browsertest.Tab) (string, string) {
	attrs := browsertest.Run(tab, chromedp.Attributes(chromedp.CSS("html")))
	return attrs["lang"], attrs["dir"]
}

func TestRespondentPagesPassAxeInEnglishAndArabic(t *testing.T) {
	start := time.Now()
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	br := browsertest.Start(t)
	for i, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) {
			tab := br.NewTab(t, browsertest.TabOptions{})
			base := f.srv.URL + "/s/" + tokens[f.students[i]]
			wantDir := map[string]string{"en": "ltr", "ar": "rtl"}[lang]
			check := func(page string, gotStatus, wantStatus int) {
				t.Helper()
				if gotStatus != wantStatus {
					t.Fatalf("%s: HTTP %d, want %d (at %s)", page, gotStatus, wantStatus, tab.Location())
				}
				if l, d := htmlLangDir(tab); l != lang || d != wantDir {
					t.Errorf(`%s: <html lang=%q dir=%q>, want lang=%q dir=%q`, page, l, d, lang, wantDir)
				}
				// WCAG 1.4.10 (reflow), which axe does not test: nothing scrolls sideways on a phone.
				if w := browsertest.Eval[[]int](tab, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] || w[1] != browsertest.ViewportWidth {
					t.Errorf("%s: page is %dpx wide in a %dpx viewport: it scrolls sideways", page, w[0], w[1])
				}
				tab.Screenshot(lang + " " + page)
				res := tab.AssertAxe(lang + " " + page)
				t.Logf("%s: axe: %d rules pass, %d violations, %d to review by hand", page, res.Passes, len(res.Violations), len(res.Incomplete))
				for _, v := range res.Incomplete {
					t.Logf("  needs review: %s: %s (%d nodes)", v.ID, v.Help, len(v.Nodes))
				}
			}

			check("intro", tab.Open(base+"?lang="+lang), 200)
			// The skip link is off screen until focused, then on screen (in both directions).
			skip := `(() => { const r = document.querySelector("a.skip").getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })()`
			if r := browsertest.Eval[[]float64](tab, skip); r[3] > 0 {
				t.Errorf("skip link visible before focus at %v", r)
			}
			tab.Do(chromedp.Focus(chromedp.CSS("a.skip"), chromedp.NodeReady))
			if r := browsertest.Eval[[]float64](tab, skip); r[0] < 0 || r[1] < 0 || r[2] > browsertest.ViewportWidth || r[3] > browsertest.ViewportHeight {
				t.Errorf("focused skip link is not fully on screen: %v", r)
			}
			check("item page 1", tab.Follow(browsertest.ClickCSS(`main a.button`)), 200)
			if loc := tab.Location(); !strings.Contains(loc, "/p/1") {
				t.Fatalf("Start led to %s, want page 1", loc)
			}

			// The error state: a value the form never offers (JavaScript rewrites a radio's value).
			names, _ := radioItems(t, tab)
			tab.Do(chromedp.SetAttributeValue(chromedp.CSS(fmt.Sprintf(`input[name=%q][value="0"]`, names[0])), "value", "9"),
				browsertest.ClickCSS(radioLabel(names[0], "9")))
			check("item page 1 with a validation error", tab.Follow(browsertest.ClickCSS(`button[name="nav"][value="next"]`)), 422)
			if n := browsertest.Run(tab, chromedp.Nodes(chromedp.CSSAll(`[role="alert"]`))); len(n) == 0 {
				t.Errorf("the validation error page has no role=alert summary")
			}

			// Answer every page, then review, send and thank.
			for page := 1; ; page++ {
				names, values := radioItems(t, tab)
				if len(names) == 0 {
					t.Fatalf("page %d has no items (at %s)", page, tab.Location())
				}
				for _, name := range names {
					tab.Do(browsertest.ClickCSS(radioLabel(name, values[name][1])))
				}
				status := tab.Follow(browsertest.ClickCSS(`button[name="nav"][value="next"]`))
				if strings.Contains(tab.Location(), "/review") {
					check("review", status, 200)
					break
				}
				if page > 10 {
					t.Fatal("never reached the review page")
				}
				if page > 1 {
					continue // page 1 was checked above; one more item page is enough for axe
				}
				check(fmt.Sprintf("item page %d", page+1), status, 200)
			}
			check("thank-you", tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)), 200)
			if loc := tab.Location(); !strings.Contains(loc, "/thanks") {
				t.Fatalf("sending led to %s, want the thank-you page", loc)
			}
			check("used link (410)", tab.Open(base+"/p/1?lang="+lang), 410)
			check("unknown link (404)", tab.Open(f.srv.URL+"/s/"+strings.Repeat("a", 32)+"?lang="+lang), 404)

			tab.AssertSameOrigin(f.srv.URL)
			for _, e := range tab.Logs() {
				if e.Source == "security" { // a CSP violation: something the pages tried to load or run
					t.Errorf("browser: %s (%s)", e.Text, e.URL)
				}
			}
		})
	}
	t.Logf("browser accessibility run took %s", time.Since(start).Round(time.Millisecond))
}

func TestStudentCanAnswerWithJavaScriptDisabled(t *testing.T) {
	start := time.Now()
	f := newFixture(t, httpserver.Limits{})
	w, tokens := f.openWave(store.ModeAnonymous, "link")
	br := browsertest.Start(t)
	tab := br.NewTab(t, browsertest.TabOptions{NoScript: true})
	base := f.srv.URL + "/s/" + tokens[f.students[2]]

	if status := tab.Open(base + "?lang=en"); status != 200 {
		t.Fatalf("student link: HTTP %d", status)
	}
	// Every step below is a real mouse click on what a person would tap; the page runs no script
	// (browsertest's own test shows NoScript stops page scripts).
	if status := tab.Follow(browsertest.ClickCSS(`main a.button`)); status != 200 || !strings.Contains(tab.Location(), "/p/1") {
		t.Fatalf("Start: HTTP %d at %s", status, tab.Location())
	}

	// On each page tap a label per item: the (i mod choices)th answer, and "skip" for every fifth item.
	var want strings.Builder
	item := 0
	for page := 1; ; page++ {
		names, values := radioItems(t, tab)
		if len(names) == 0 {
			t.Fatalf("page %d has no items (at %s)", page, tab.Location())
		}
		for _, name := range names {
			choices := values[name][:len(values[name])-1] // the last radio is "skip"
			value := choices[item%len(choices)]
			if item%5 == 4 {
				value = "skip"
				want.WriteByte('-')
			} else {
				want.WriteString(value)
			}
			tab.Do(browsertest.ClickCSS(radioLabel(name, value)))
			item++
		}
		if status := tab.Follow(browsertest.ClickCSS(`button[name="nav"][value="next"]`)); status != 200 {
			t.Fatalf("Next on page %d: HTTP %d at %s", page, status, tab.Location())
		}
		if strings.Contains(tab.Location(), "/review") {
			break
		}
		if page > 10 {
			t.Fatal("never reached the review page")
		}
	}
	sendLabel := browsertest.Run(tab, chromedp.Text(chromedp.CSS(`main form button[type="submit"]`), chromedp.NodeReady))
	if sendLabel != "Send my answers" {
		t.Errorf(`review page's button says %q, want "Send my answers"`, sendLabel)
	}
	if status := tab.Follow(browsertest.ClickCSS(`main form button[type="submit"]`)); status != 200 || !strings.Contains(tab.Location(), "/thanks") {
		t.Fatalf("Send my answers: HTTP %d at %s", status, tab.Location())
	}

	_, err := f.waves.Mix(context.Background()) // the anonymous ballot into responses
	must(t, err)
	var rs []store.Response
	must(t, f.st.DB.Where("wave_id = ?", w.ID).Find(&rs).Error)
	if len(rs) != 1 {
		t.Fatalf("%d responses for the wave, want exactly 1", len(rs))
	}
	if rs[0].Answers != want.String() {
		t.Fatalf("stored answers %q, want the ones tapped %q", rs[0].Answers, want.String())
	}
	tab.AssertSameOrigin(f.srv.URL)
	t.Logf("%d items answered without JavaScript in %s", item, time.Since(start).Round(time.Millisecond))
}
