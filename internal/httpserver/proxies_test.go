package httpserver

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/config"
)

// Forwarded headers are believed only from TRUSTPULSE_TRUSTED_PROXIES: any client can write
// them, and X-Forwarded-For picks the rate-limit key, X-Forwarded-Proto the Secure cookies and HSTS.
func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("2001:db8::/32")}
	cases := []struct {
		name           string
		trusted        []netip.Prefix
		remote, xff    string
		proto          string
		wantIP, wantSc string
	}{
		{"no proxies configured: headers ignored", nil, "203.0.113.7:5000", "198.51.100.1", "https", "203.0.113.7", "http"},
		{"untrusted peer: headers ignored", proxies, "203.0.113.7:5000", "198.51.100.1", "https", "203.0.113.7", "http"},
		{"loopback is not trusted unless listed", proxies, "127.0.0.1:5000", "198.51.100.1", "https", "127.0.0.1", "http"},
		{"trusted proxy: client address and scheme", proxies, "10.1.2.3:5000", "198.51.100.1", "https", "198.51.100.1", "https"},
		{"trusted IPv6 proxy", proxies, "[2001:db8::5]:5000", "198.51.100.1", "https", "198.51.100.1", "https"},
		{"forged hop before the proxy is skipped only through trusted hops", proxies, "10.1.2.3:5000", "6.6.6.6, 198.51.100.1", "https", "198.51.100.1", "https"},
		{"trusted proxy saying http", proxies, "10.1.2.3:5000", "198.51.100.1", "http", "198.51.100.1", "http"},
		{"nonsense proto from a trusted proxy", proxies, "10.1.2.3:5000", "198.51.100.1", "gopher", "198.51.100.1", "http"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.TrustedProxies = tc.trusted
			s := &Server{Deps: Deps{Config: cfg}}
			e := echo.New()
			e.IPExtractor = ipExtractor(cfg)
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			req.Header.Set("X-Forwarded-For", tc.xff)
			req.Header.Set("X-Forwarded-Proto", tc.proto)
			rec := httptest.NewRecorder()
			c := e.NewContext(req, rec)
			if got := c.RealIP(); got != tc.wantIP {
				t.Errorf("RealIP = %s, want %s", got, tc.wantIP)
			}
			if got := s.scheme(c); got != tc.wantSc {
				t.Errorf("scheme = %s, want %s", got, tc.wantSc)
			}
			h := secureHeaders(s.scheme)(func(c echo.Context) error { return c.NoContent(http.StatusOK) })
			if err := h(c); err != nil {
				t.Fatal(err)
			}
			if hsts := rec.Header().Get("Strict-Transport-Security") != ""; hsts != (tc.wantSc == "https") {
				t.Errorf("HSTS sent = %v for scheme %s", hsts, tc.wantSc)
			}
		})
	}
}
