package httpserver_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/store"
)

// HEAD answers like GET without a body on every GET route: a HEAD health check must not mark
// the service down.
func TestHeadOnEveryGetRoute(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	_, tokens := f.openWave(store.ModeAnonymous, "link")
	tok := tokens[f.students[0]]
	b := f.browser()
	for _, path := range []string{"/healthz", "/readyz", "/static/app.css", "/login", "/s/" + tok, "/s/" + tok + "/p/1"} {
		getCode, _, getH := b.do("GET", path, nil)
		code, body, h := b.do("HEAD", path, nil)
		if code != getCode || code >= 400 {
			t.Errorf("HEAD %s = %d, GET = %d", path, code, getCode)
		}
		if body != "" {
			t.Errorf("HEAD %s sent a body of %d bytes", path, len(body))
		}
		if h.Get("Content-Type") != getH.Get("Content-Type") {
			t.Errorf("HEAD %s Content-Type %q, GET %q", path, h.Get("Content-Type"), getH.Get("Content-Type"))
		}
	}
	// HEAD on a POST-only route is not a way around the method: it answers what GET answers.
	getCode, _, _ := b.do("GET", "/logout", nil)
	if code, _, _ := b.do("HEAD", "/logout", nil); code != getCode || code < 400 {
		t.Errorf("HEAD /logout = %d, GET = %d", code, getCode)
	}
}

// rawRequest sends one request line as written, bypassing the client's own URL checks.
func rawRequest(t *testing.T, addr, target string) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET " + target + " HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%q: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Malformed paths are the client's fault: a 4xx, never a 500.
func TestMalformedPathsAreNot500(t *testing.T) {
	f := newFixture(t, httpserver.Limits{})
	addr := strings.TrimPrefix(f.srv.URL, "http://")
	long := "/static/" + strings.Repeat("a", 9000)
	for _, target := range []string{
		"/static/%ff", "/static/%ff%fe", "/static/a%00b", "/static/%c0%af", "/%ff", "/s/%ff", "/j/%ff/p/1",
		"/static/%zz", "/static/%", "/s/%e2%82", "/static/..%2f..%2fgo.mod", "/static/%2e%2e/%2e%2e/etc/passwd",
		"/static/../../etc/passwd", "/s/..", "/admin/%ff", "/api/v1/%ff", "/login%00", long, "/s/" + strings.Repeat("x", 5000),
	} {
		code := rawRequest(t, addr, target)
		if code >= 500 {
			name := target
			if len(name) > 40 {
				name = name[:40] + "…"
			}
			t.Errorf("GET %s = %d", name, code)
		}
	}
}
