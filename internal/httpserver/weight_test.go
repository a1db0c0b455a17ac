package httpserver_test

import (
	"compress/gzip"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
)

// pageBudget is what one respondent page may weigh on the wire, HTML and CSS together, gzipped:
// students answer on old phones over school Wi-Fi or a parent's capped data plan.
const pageBudget = 30 * 1024

// fetchGzip asks for a gzipped response, and returns the status, the bytes that crossed the wire
// for the body, and the decoded text.
func (b *browser) fetchGzip(method, path string, form url.Values) (status, wire int, text string) {
	b.t.Helper()
	code, raw, h := b.do(method, path, form, "Accept-Encoding", "gzip")
	text = raw
	if h.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(strings.NewReader(raw))
		if err != nil {
			b.t.Fatalf("%s %s: bad gzip: %v", method, path, err)
		}
		dec, err := io.ReadAll(zr)
		if err != nil {
			b.t.Fatalf("%s %s: bad gzip: %v", method, path, err)
		}
		text = string(dec)
	} else if len(raw) > 1024 {
		b.t.Errorf("%s %s: %d bytes sent without compression", method, path, len(raw))
	}
	return code, len(raw), text
}

var (
	fontFace  = regexp.MustCompile(`(?i)@font-face|@import|\.(woff2?|ttf|otf|eot)\b|fonts\.googleapis|fonts\.gstatic`)
	fontLink  = regexp.MustCompile(`(?i)<link[^>]+(as="font"|\.woff2?|\.ttf|\.otf|fonts\.)`)
	otherHost = regexp.MustCompile(`(?i)(src|href|action)="(https?:)?//`)
)

func TestRespondentPagesWeighUnder30KBWithCSS(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	for i, lang := range []string{"en", "ar"} {
		t.Run(lang, func(t *testing.T) {
			b := f.browser()
			code, css, cssText := b.fetchGzip("GET", "/static/app.css", nil)
			if code != 200 {
				t.Fatalf("app.css: HTTP %d", code)
			}
			if m := fontFace.FindString(cssText); m != "" {
				t.Errorf("app.css loads a web font or another stylesheet (%q): system fonts only", m)
			}
			weigh := func(page string, status, wantStatus, wire int, html string) {
				t.Helper()
				if status != wantStatus {
					t.Fatalf("%s: HTTP %d, want %d", page, status, wantStatus)
				}
				if total := wire + css; total > pageBudget {
					t.Errorf("%s: %d B gzipped HTML + %d B gzipped CSS = %d B, over the %d B budget", page, wire, css, total, pageBudget)
				} else {
					t.Logf("%-34s %5d B html.gz + %4d B css.gz = %5d B (%d B decoded html)", page, wire, css, wire+css, len(html))
				}
				if m := fontLink.FindString(html); m != "" {
					t.Errorf("%s links a font: %q", page, m)
				}
				if m := otherHost.FindString(html); m != "" {
					t.Errorf("%s refers to another origin: %q", page, m)
				}
				if n := strings.Count(html, `rel="stylesheet"`); n != 1 || !strings.Contains(html, `href="/static/app.css"`) {
					t.Errorf("%s: %d stylesheets, want only /static/app.css", page, n)
				}
			}

			base := "/s/" + tokens[f.students[i]]
			status, wire, html := b.fetchGzip("GET", base+"?lang="+lang, nil)
			weigh("intro", status, 200, wire, html)
			for p := 1; p <= 4; p++ {
				path := base + "/p/" + itoa(p) + "?lang=" + lang
				status, wire, html = b.fetchGzip("GET", path, nil)
				weigh("item page "+itoa(p), status, 200, wire, html)
				items := regexp.MustCompile(`name="q_([a-z0-9_-]+)" value="0"`).FindAllStringSubmatch(html, -1)
				if len(items) == 0 {
					t.Fatalf("item page %d has no items", p)
				}
				if p == 1 {
					bad := url.Values{"_csrf": {csrfOf(t, html)}, "nav": {"next"}}
					for _, m := range items {
						bad.Set("q_"+m[1], "9")
					}
					status, wire, errPage := b.fetchGzip("POST", path, bad)
					weigh("item page 1, every answer invalid", status, 422, wire, errPage)
				}
				form := url.Values{"_csrf": {csrfOf(t, html)}, "nav": {"next"}}
				for _, m := range items {
					form.Set("q_"+m[1], "2")
				}
				if status, _, _ := b.fetchGzip("POST", path, form); status != 303 {
					t.Fatalf("save page %d: HTTP %d", p, status)
				}
			}
			status, wire, html = b.fetchGzip("GET", base+"/review?lang="+lang, nil)
			weigh("review", status, 200, wire, html)
			if status, _, _ := b.fetchGzip("POST", base+"/submit?lang="+lang, url.Values{"_csrf": {csrfOf(t, html)}}); status != 303 {
				t.Fatalf("submit: HTTP %d", status)
			}
			status, wire, html = b.fetchGzip("GET", base+"/thanks?lang="+lang, nil)
			weigh("thanks", status, 200, wire, html)
			status, wire, html = b.fetchGzip("GET", base+"/p/1?lang="+lang, nil)
			weigh("used link (410)", status, 410, wire, html)
			status, wire, html = b.fetchGzip("GET", "/s/"+strings.Repeat("a", 32)+"?lang="+lang, nil)
			weigh("unknown link (404)", status, 404, wire, html)
		})
	}
}
