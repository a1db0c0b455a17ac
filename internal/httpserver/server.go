// Package httpserver is the Echo web server: every route in one list with its permission,
// middleware, one handler per file, template rendering and language negotiation.
// Handlers parse, call one capability, and render; business rules live in the capability packages.
package httpserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/email"
	"github.com/trustpulse/trustpulse/internal/goals"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/metrics"
	"github.com/trustpulse/trustpulse/internal/pdf"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/success"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
)

// Deps are the capabilities the handlers call.
type Deps struct {
	Config  config.Config
	Store   *store.Store
	Log     *slog.Logger
	Surveys *survey.Catalog
	Locales *locale.Catalog
	Waves   *wave.Service
	Limits  Limits // zero value means DefaultLimits
	// SMS texts families and answers Twilio's webhooks; nil means the webhooks answer 503.
	SMS *sms.Service
	// Email mails staff and students their links; its outbox shows at /dev/email with DevOutbox.
	Email *email.Service
	// Results answers the dashboards, exports and API; nil means built over Store and Surveys.
	Results *report.Service
	// DevOutbox shows the SMS outbox at /dev/outbox (demo mode only: it shows live survey links).
	DevOutbox bool
	// Measures holds the calibrations and runs the language checks; nil means built over Store and Surveys.
	Measures *measures.Service
	// Auth runs staff accounts and sessions; nil means auth.New(Store, auth.Options{Log: Log}).
	Auth *auth.Service
	// OIDC is staff single sign-on; nil with OIDC settings in Config means built from them.
	OIDC *auth.OIDC
	// Metrics receives request counts and submissions, and is served at /metrics unless
	// Config.MetricsAddr serves it elsewhere; nil means no metrics.
	Metrics *metrics.Metrics
	// Success runs relationship mapping, the team page and follow-up; nil means built over Store and Surveys.
	Success *success.Service
	// Goals runs goals, their actions and the reached/not-reached comparison; nil means built over Store, Surveys and Results.
	Goals *goals.Service
}

// Server is the HTTP side of TrustPulse.
type Server struct {
	echo *echo.Echo
	Deps
	render       *renderer
	guesses      *guessLimiter // misses of links and codes: see ratelimit.go
	adminPages   *adminRenderer
	resultsPages *resultsRenderer // the dashboards: see admin_results_render.go
	pdf          *pdf.Printer     // the printable reports' PDFs over Config.Chromium; see admin_results_pdf.go
	familyPages  *familyRenderer  // the family summary, in every respondent locale
	failedLogins *failureLimiter
	codeSubmits  *codeSubmitLimiter // class-code submissions per code and address
	// routePatterns are the registered route paths: the only values of the metrics route label.
	routePatterns map[string]bool
}

// New builds the server and its routes.
func New(d Deps) (*Server, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.IPExtractor = ipExtractor(d.Config)
	if d.Limits == (Limits{}) {
		d.Limits = DefaultLimits()
	}
	r, err := newRenderer(d.Locales)
	if err != nil {
		return nil, err
	}
	if d.Auth == nil {
		d.Auth = auth.New(d.Store, auth.Options{Log: d.Log, DistrictHosts: d.Config.DistrictHosts})
	}
	if d.OIDC == nil && d.Config.OIDCClientID != "" {
		d.OIDC = auth.NewOIDC(d.Auth, auth.OIDCConfig{Provider: d.Config.OIDCProvider, Issuer: d.Config.OIDCIssuer,
			ClientID: d.Config.OIDCClientID, ClientSecret: d.Config.OIDCClientSecret,
			RedirectURL: d.Config.BaseURL + "/login/oidc/callback", AllowedDomains: d.Config.OIDCAllowedDomains,
			RespondentDomains: d.Config.OIDCRespondentDomains, RespondentRedirectURL: d.Config.BaseURL + "/me/callback"})
	}
	if d.Results == nil {
		d.Results = &report.Service{Store: d.Store, Surveys: d.Surveys, Floor: d.Config.MinGroupSize, Log: d.Log}
	}
	if d.Success == nil {
		d.Success = &success.Service{Store: d.Store, Surveys: d.Surveys, Log: d.Log}
	}
	if d.Goals == nil {
		d.Goals = &goals.Service{Store: d.Store, Surveys: d.Surveys, Results: d.Results}
	}
	if d.Measures == nil {
		d.Measures = &measures.Service{Store: d.Store, Surveys: d.Surveys, Log: d.Log}
	}
	rr, err := newResultsRenderer()
	if err != nil {
		return nil, err
	}
	ar, err := newAdminRenderer(rr.cat)
	if err != nil {
		return nil, err
	}
	fr, err := newFamilyRenderer(d.Locales)
	if err != nil {
		return nil, err
	}
	s := &Server{echo: e, Deps: d, render: r, guesses: newGuessLimiter(d.Limits, storeClock(d.Store)),
		adminPages: ar, resultsPages: rr, pdf: newPrinter(d), familyPages: fr, failedLogins: newFailureLimiter(loginLimits()),
		codeSubmits: newCodeSubmitLimiter(d.Config.CodeSubmitsPerMinute, func() time.Time { return d.Store.Now() })}
	e.HTTPErrorHandler = s.handleError
	e.Use(
		middleware.RequestID(),
		s.accessLog(),
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			DisableErrorHandler: false,
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				s.Log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "err", err, "stack", string(stack))
				return err
			},
		}),
		secureHeaders(s.scheme),
		// Roster uploads get their own, larger limit; every other body stays under 1 MB.
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "1M", Skipper: func(c echo.Context) bool { return isRosterUpload(c) || isIndicatorsUpload(c) }}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: indicatorsUploadLimit, Skipper: func(c echo.Context) bool { return !isIndicatorsUpload(c) }}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: rosterUploadLimit, Skipper: func(c echo.Context) bool { return !isRosterUpload(c) }}),
		// BestSpeed: pages are a few KB and far under their 30 KB budget at any level, and above
		// level 1 compress/flate clears 640 KB of hash tables on every reset, twice per request.
		middleware.GzipWithConfig(middleware.GzipConfig{Level: 1, MinLength: 512}), // 1 = gzip.BestSpeed
		middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: d.Config.RequestTimeout}),
	)
	s.routes()
	if s.Metrics != nil && s.Config.MetricsAddr == "" {
		e.GET("/metrics", s.metricsEndpoint) // loopback without forwarding headers, or bearer TRUSTPULSE_METRICS_TOKEN
	}
	s.routePatterns = map[string]bool{}
	for _, r := range e.Routes() {
		s.routePatterns[r.Path] = true
	}
	return s, nil
}

// ServeHTTP makes the server an http.Handler. Malformed paths are refused before routing, and
// HEAD is served by the GET route without a body (see httpdetails.go).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if code := badPath(r); code != 0 {
		s.Metrics.Request("malformed", r.Method, code, 0)
		s.handleError(echo.NewHTTPError(code), s.echo.NewContext(r, w))
		return
	}
	if r.Method == http.MethodHead {
		s.echo.ServeHTTP(headWriter{w}, asGet(r))
		return
	}
	s.echo.ServeHTTP(w, r)
}

// ipExtractor trusts forwarded headers only from configured proxies; anyone else could forge them
// to dodge the rate limits.
func ipExtractor(c config.Config) echo.IPExtractor {
	if len(c.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	var opts []echo.TrustOption
	opts = append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
	for _, p := range c.TrustedProxies {
		n := &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func (s *Server) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		LogRemoteIP: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			// The path, never the query or the full URI: survey tokens travel in paths we redact.
			s.Metrics.Request(s.routeLabel(c), v.Method, v.Status, v.Latency)
			attrs := []any{"method", v.Method, "path", redactPath(v.URIPath), "status", v.Status,
				"latency_ms", float64(v.Latency.Microseconds()) / 1000, "request_id", v.RequestID, "ip", v.RemoteIP}
			if v.Error != nil && v.Status >= 500 {
				attrs = append(attrs, "err", v.Error.Error())
				s.Log.Error("request", attrs...)
				return nil
			}
			s.Log.Info("request", attrs...)
			return nil
		},
	})
}

// Run serves h on ln until ctx is cancelled, then lets in-flight requests finish (up to 10 s).
func Run(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", "10s")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
