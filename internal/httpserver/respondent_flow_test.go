package httpserver_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
)

var itemRE = regexp.MustCompile(`name="q_([a-z0-9_-]+)" value="0"`)

// pageItems lists the item ids of a page's HTML.
func pageItems(page string) []string {
	var out []string
	for _, m := range itemRE.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// Switching language on a page of questions keeps what is ticked: the switcher's entries are
// submit buttons of the page's form, so the answers are saved and the same page comes back in
// the new language with them still ticked. No JavaScript is involved.
func TestLanguageSwitchKeepsTickedAnswers(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	base := "/s/" + tokens[f.students[0]]
	b := f.browser()
	_, page, _ := b.do("GET", base+"/p/1?lang=en", nil)
	if !strings.Contains(page, `<button type="submit" form="answers" name="switch_lang" value="ar"`) || !strings.Contains(page, `id="answers"`) {
		t.Fatalf("the switcher on an item page is not part of its form:\n%s", page)
	}
	items := pageItems(page)
	form := url.Values{"_csrf": {csrfOf(t, page)}, "switch_lang": {"ar"}, "q_" + items[0]: {"1"}, "q_" + items[1]: {"skip"}}
	code, _, h := b.do("POST", base+"/p/1?lang=en", form)
	if code != http.StatusSeeOther || h.Get("Location") != base+"/p/1?lang=ar" {
		t.Fatalf("switch: %d to %q", code, h.Get("Location"))
	}
	_, again, _ := b.do("GET", h.Get("Location"), nil)
	if !strings.Contains(again, `<html lang="ar" dir="rtl"`) {
		t.Fatalf("the page did not come back in Arabic")
	}
	if want := `name="q_` + items[0] + `" value="1" checked`; !strings.Contains(again, want) {
		t.Errorf("after the switch the page lacks %s", want)
	}
	// Pages without answers to keep (intro, review) switch by plain links.
	if _, intro, _ := b.do("GET", base, nil); strings.Contains(intro, `name="switch_lang"`) || !strings.Contains(intro, `hreflang="ar"`) {
		t.Errorf("intro page switcher:\n%s", intro)
	}
}

// Next with nothing chosen asks once ("that's OK"), keeps the person on the page, and goes on
// when Next is pressed again; Back never asks.
func TestNextWithNothingChosenAsksOnce(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	base := "/s/" + tokens[f.students[0]]
	b := f.browser()
	_, page, _ := b.do("GET", base+"/p/2?lang=en", nil)
	csrf := csrfOf(t, page)
	code, asked, _ := b.do("POST", base+"/p/2?lang=en", url.Values{"_csrf": {csrf}, "nav": {"next"}})
	if code != http.StatusOK || !strings.Contains(asked, "You skipped these questions. That&#39;s OK!") || !strings.Contains(asked, `name="skip_ok" value="1"`) {
		t.Fatalf("first Next with nothing chosen: %d\n%s", code, asked)
	}
	if code, _, h := b.do("POST", base+"/p/2?lang=en", url.Values{"_csrf": {csrf}, "nav": {"next"}, "skip_ok": {"1"}}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), base+"/p/3") {
		t.Fatalf("second Next: %d to %q", code, h.Get("Location"))
	}
	if code, _, h := b.do("POST", base+"/p/2?lang=en", url.Values{"_csrf": {csrf}, "nav": {"back"}}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), base+"/p/1") {
		t.Fatalf("Back with nothing chosen: %d to %q", code, h.Get("Location"))
	}
	// An explicit "skip" is a choice: no question asked.
	items := pageItems(page)
	form := url.Values{"_csrf": {csrf}, "nav": {"next"}}
	for _, it := range items {
		form.Set("q_"+it, "skip")
	}
	if code, _, _ := b.do("POST", base+"/p/2?lang=en", form); code != http.StatusSeeOther {
		t.Fatalf("Next with every question skipped on purpose: %d", code)
	}
}

// The review page has a full-size "change" button per question, leading to that question's page,
// and "Change answers" leads to the first skipped question's page rather than page 1.
func TestReviewChangeGoesToTheQuestionsPage(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	base := "/s/" + tokens[f.students[0]]
	b := f.browser()
	for p := 1; p <= 4; p++ {
		_, page, _ := b.do("GET", base+"/p/"+itoa(p)+"?lang=en", nil)
		form := url.Values{"_csrf": {csrfOf(t, page)}, "nav": {"next"}}
		for _, it := range pageItems(page) {
			v := "2"
			if p == 3 {
				v = "skip"
			}
			form.Set("q_"+it, v)
		}
		if code, _, _ := b.do("POST", base+"/p/"+itoa(p)+"?lang=en", form); code != http.StatusSeeOther {
			t.Fatalf("page %d: %d", p, code)
		}
	}
	_, review, _ := b.do("GET", base+"/review?lang=en", nil)
	if !regexp.MustCompile(`<a class="button secondary change" href="` + regexp.QuoteMeta(base) + `/p/4\?lang=en">Change answer 1[3-6]</a>`).MatchString(review) {
		t.Errorf("review lacks a change button to page 4:\n%s", review)
	}
	if !strings.Contains(review, `<a class="button secondary" href="`+base+`/p/3?lang=en">Change answers</a>`) {
		t.Errorf("Change answers does not lead to the first skipped question's page:\n%s", review)
	}
}

// A finished survey reopened later shows the language it was answered in, not the invitation's.
func TestFinishedSurveyKeepsItsLanguage(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	base := "/s/" + tokens[f.students[0]] // the invitation's language is Spanish
	b := f.browser()
	b.answerAll(base, 4, func(string) string { return "2" }) // answered in the language of ?lang=: none, so Spanish…
	// …so answer a second student's survey in English, chosen by the switcher.
	base2 := "/s/" + tokens[f.students[1]]
	b2 := f.browser()
	for p := 1; p <= 4; p++ {
		_, page, _ := b2.do("GET", base2+"/p/"+itoa(p)+"?lang=en", nil)
		form := url.Values{"_csrf": {csrfOf(t, page)}, "nav": {"next"}}
		for _, it := range pageItems(page) {
			form.Set("q_"+it, "1")
		}
		b2.do("POST", base2+"/p/"+itoa(p)+"?lang=en", form)
	}
	_, review, _ := b2.do("GET", base2+"/review?lang=en", nil)
	if code, _, _ := b2.do("POST", base2+"/submit?lang=en", url.Values{"_csrf": {csrfOf(t, review)}}); code != http.StatusSeeOther {
		t.Fatalf("submit: %d", code)
	}
	for _, tc := range []struct{ base, lang string }{{base, "es"}, {base2, "en"}} {
		nb := f.browser()
		code, page, h := nb.do("GET", tc.base, nil)
		if code == http.StatusSeeOther {
			code, page, _ = nb.do("GET", h.Get("Location"), nil)
		}
		if code != http.StatusOK || !strings.Contains(page, `<html lang="`+tc.lang+`"`) {
			t.Errorf("reopened %s: %d, want the thank-you page in %s:\n%.300s", tc.base, code, tc.lang, page)
		}
	}
}
