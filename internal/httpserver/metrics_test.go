package httpserver_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/metrics"
	"github.com/trustpulse/trustpulse/internal/store"
)

// /metrics after a request and a submission: counted by route pattern (never a token), served
// on the main address only to loopback without forwarding headers, or with the token.
func TestMetricsAfterARequestAndASubmission(t *testing.T) {
	m := metrics.New()
	const token = "0123456789abcdef0123456789abcdef"
	f := newFixtureDeps(t, httpserver.Limits{}, func(d *httpserver.Deps) {
		d.Metrics = m
		d.Config.MetricsToken = token
	})
	w, tokens := f.openWave(store.ModeAnonymous, "link")
	tok := tokens[f.students[0]]
	b := f.browser()
	if st, _, _ := b.do("GET", "/healthz", nil); st != http.StatusOK {
		t.Fatalf("healthz: %d", st)
	}
	_, intro, _ := b.do("GET", "/s/"+tok, nil)
	_ = intro
	b.answerAll("/s/"+tok, pageCount(t, b, "/s/"+tok), func(string) string { return "3" })
	if n := countResponses(t, f, w.ID); n != 1 {
		t.Fatalf("%d responses", n)
	}
	b.do("GET", "/no/such/page", nil)
	b.do("GET", "/static/%ff", nil)

	st, body, h := b.do("GET", "/metrics", nil)
	if st != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics from loopback: %d %s", st, h.Get("Content-Type"))
	}
	for _, want := range []string{
		`trustpulse_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`trustpulse_http_requests_total{method="GET",route="/s/:token",status="200"} 1`,
		`trustpulse_http_requests_total{method="POST",route="/s/:token/submit",status="303"} 1`,
		`trustpulse_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`trustpulse_http_requests_total{method="GET",route="malformed",status="400"} 1`,
		`trustpulse_submissions_total{channel="web"} 1`,
		`trustpulse_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s\n%s", want, grepLines(body, "http_requests_total"))
		}
	}
	if strings.Contains(body, tok) || strings.Contains(body, "/no/such") {
		t.Error("/metrics holds a path (a survey token travels in paths)")
	}
	// Through a reverse proxy (any forwarding header) it is not served, even from loopback...
	if st, _, _ := b.do("GET", "/metrics", nil, "X-Forwarded-For", "203.0.113.9"); st != http.StatusNotFound {
		t.Errorf("/metrics through a proxy: %d, want 404", st)
	}
	// ...unless the request carries the metrics token.
	if st, _, _ := b.do("GET", "/metrics", nil, "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer "+token); st != http.StatusOK {
		t.Errorf("/metrics with the token: %d, want 200", st)
	}
	if st, _, _ := b.do("GET", "/metrics", nil, "X-Forwarded-For", "203.0.113.9", "Authorization", "Bearer wrong"); st != http.StatusNotFound {
		t.Errorf("/metrics with a wrong token: %d, want 404", st)
	}
}

func grepLines(body, sub string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
