package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/browsertest"
)

// page has a known accessibility defect (an image without alt text) and a script that renames it.
const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>static</title></head>
<body><main><h1>Test</h1><img src="/pixel.gif"><script>document.title = "ran"</script></main></body></html>`

func server(t *testing.T) *httptest.Server {
	gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(page))
		case "/pixel.gif":
			w.Header().Set("Content-Type", "image/gif")
			w.Write(gif)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAxeFindsDefectsAndNoScriptStopsScripts(t *testing.T) {
	srv := server(t)
	br := browsertest.Start(t)
	for _, noScript := range []bool{false, true} {
		tab := br.NewTab(t, browsertest.TabOptions{NoScript: noScript})
		if status := tab.Open(srv.URL + "/"); status != 200 {
			t.Fatalf("HTTP %d", status)
		}
		title := browsertest.Eval[string](tab, "document.title")
		if want := map[bool]string{false: "ran", true: "static"}[noScript]; title != want {
			t.Errorf("NoScript=%v: title %q, want %q", noScript, title, want)
		}
		if w := browsertest.Eval[int](tab, "window.innerWidth"); w != browsertest.ViewportWidth {
			t.Errorf("viewport %dpx wide, want %d", w, browsertest.ViewportWidth)
		}
		if noScript {
			continue // axe runs in the page; the pages it checks do not need script, axe does
		}
		res := tab.Axe(browsertest.WCAG2AA...)
		var ids []string
		for _, v := range res.Violations {
			ids = append(ids, v.ID)
		}
		if !strings.Contains(strings.Join(ids, " "), "image-alt") {
			t.Errorf("axe missed the image without alt text; found %v", ids)
		}
		if out := browsertest.FormatViolations(res.Violations); !strings.Contains(out, "image-alt") || !strings.Contains(out, "img") {
			t.Errorf("violation report lacks rule or element:\n%s", out)
		}
		tab.AssertSameOrigin(srv.URL)
		if len(tab.Requests()) < 2 {
			t.Errorf("requests not recorded: %v", tab.Requests())
		}
	}
}
