package httpserver

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustpulse/trustpulse/internal/metrics"
)

// metricsEndpoint serves /metrics on the main address (when TRUSTPULSE_METRICS_ADDR is not set).
// The figures are not personal, but they are operational detail an outsider should not read:
// only a loopback peer that sent no forwarding header (a reverse proxy on the same host adds
// one to every request it passes on, so proxied requests from the internet are refused), or a
// request with the bearer TRUSTPULSE_METRICS_TOKEN, gets them. Anyone else gets 404.
func (s *Server) metricsEndpoint(c echo.Context) error {
	if !s.mayReadMetrics(c.Request()) {
		return echo.ErrNotFound
	}
	s.Metrics.Handler().ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) mayReadMetrics(r *http.Request) bool {
	if tok := s.Config.MetricsToken; tok != "" {
		if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && subtle.ConstantTimeCompare([]byte(got), []byte(tok)) == 1 {
			return true
		}
	}
	for _, h := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded", "X-Forwarded-Proto", "X-Forwarded-Host"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// routeLabel is the metrics label of a request: the matched route pattern (no tokens or codes,
// which travel in paths), or "unmatched", so a scan of random paths adds no series.
func (s *Server) routeLabel(c echo.Context) string {
	// Echo answers unknown paths through catch-all "/*" routes of its own: unmatched too.
	if p := c.Path(); s.routePatterns[p] && p != "/*" {
		return p
	}
	return "unmatched"
}

// RunMetrics serves the metrics alone on ln (TRUSTPULSE_METRICS_ADDR) until ctx ends. Bind it to
// an address only the monitoring system reaches: it has no access check of its own.
func RunMetrics(ctx context.Context, ln net.Listener, m *metrics.Metrics, log *slog.Logger) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	<-errc
	return nil
}
