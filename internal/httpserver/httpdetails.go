package httpserver

import (
	"net/http"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// maxPathBytes bounds the request path: no route of ours is longer than a few hundred bytes.
const maxPathBytes = 2048

// badPath reports why a request path is malformed, with the status to answer (0 when it is
// fine). Go's server already refuses bad percent-escapes in the request line with 400; what gets
// through decodes to bytes a handler must never see: invalid UTF-8 (http.FileServerFS answered
// 500 to /static/%ff), NUL and other control characters, and ".." segments.
func badPath(r *http.Request) int {
	p := r.URL.Path
	switch {
	case len(r.URL.EscapedPath()) > maxPathBytes || len(p) > maxPathBytes:
		return http.StatusRequestURITooLong
	case !utf8.ValidString(p):
		return http.StatusBadRequest
	case strings.ContainsFunc(p, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return http.StatusBadRequest
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return http.StatusBadRequest
		}
	}
	return 0
}

// headWriter answers a HEAD request with the GET route's status and headers and no body. Go's
// server drops HEAD bodies itself; this also holds for any other writer (tests, middleware).
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }

// Unwrap lets http.ResponseController reach the real writer.
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// asGet returns r as a GET (Echo registers no HEAD routes): a copy, so the server still
// sees the HEAD it received.
func asGet(r *http.Request) *http.Request {
	g := new(http.Request)
	*g = *r
	g.Method = http.MethodGet
	return g
}

// fromTrustedProxy reports whether the direct peer of the request is a configured proxy, the
// only sender whose X-Forwarded-* headers are believed.
func fromTrustedProxy(proxies []netip.Prefix, remoteAddr string) bool {
	if len(proxies) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	var a netip.Addr
	if err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remoteAddr); err != nil {
		return false
	}
	a = a.Unmap()
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// scheme is the request's scheme: https when it came over TLS, or when a trusted proxy says so
// in X-Forwarded-Proto. Echo's c.Scheme() believes X-Forwarded-Proto (and three other headers)
// from any client, so a client could switch our Secure cookies and HSTS decision.
func (s *Server) scheme(c echo.Context) string {
	r := c.Request()
	if r.TLS != nil {
		return "https"
	}
	if fromTrustedProxy(s.Config.TrustedProxies, r.RemoteAddr) {
		if p := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get(echo.HeaderXForwardedProto), ",")[0])); p == "https" || p == "http" {
			return p
		}
	}
	return "http"
}
