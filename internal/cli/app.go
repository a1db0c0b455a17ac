package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
	"github.com/trustpulse/trustpulse/surveys"
)

// parseConfig reads the environment, then the flags that register() adds, then validates.
// Any problem is a usage error: one line on stderr, exit code 2.
func parseConfig(env *Env, name string, args []string, register func(*config.Config, *flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	cfg, err := config.FromEnv(env.Getenv)
	if err != nil {
		return cfg, nil, usageError("%v", err)
	}
	fs := flag.NewFlagSet("trustpulse "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	register(&cfg, fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, fs, &ExitError{Code: 0}
		}
		return cfg, fs, &ExitError{Code: 2}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fs, usageError("%v", err)
	}
	return cfg, fs, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStore opens and migrates the configured database. An unreachable or unopenable database is
// bad configuration (exit 2), named by host and port or path, never by password.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.Store, error) {
	db, err := config.ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, usageError("%v", err)
	}
	s, err := store.Open(ctx, db, log)
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return nil, usageError("%s", strings.TrimPrefix(err.Error(), store.ErrUnavailable.Error()+": "))
		}
		return nil, err
	}
	n, err := s.Migrate(ctx, log)
	if err != nil {
		s.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("migrations applied", "count", n, "db", db.Redacted())
	}
	return s, nil
}

// listen opens the listening socket before anything is printed, so links printed are live.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError("cannot listen on %s: %v", addr, errors.Unwrap(err))
	}
	return ln, nil
}

// content is everything embedded that the server checks at start: instruments and translations.
type content struct {
	surveys *survey.Catalog
	locales *locale.Catalog
}

// loadContent validates the embedded instruments and locales; any problem stops the program with
// one `file:line: problem` line each.
func loadContent(log *slog.Logger) (content, error) {
	cat, err := survey.Load(surveys.FS)
	if err != nil {
		return content{}, failure(fmt.Errorf("invalid instruments:\n%w", err))
	}
	loc, err := locale.Load(locales.FS, locale.WithLogger(log))
	if err != nil {
		return content{}, failure(fmt.Errorf("invalid locales: %w", err))
	}
	return content{surveys: cat, locales: loc}, nil
}

// services are the capabilities serve and demo run, built once from the configuration.
type services struct {
	measures *measures.Service
	waves    *wave.Service
	sms      *sms.Service
	results  *report.Service
	clock    jobs.Clock // nil: the wall clock; tests share a fake one between servers
}

func newServices(cfg config.Config, s *store.Store, c content, log *slog.Logger) services {
	m := &measures.Service{Store: s, Surveys: c.surveys, Log: log}
	text := sms.New(cfg, s, c.locales, log) // its quiet hours: cfg.SMSWindowStart–SMSWindowEnd
	waves := &wave.Service{Store: s, Surveys: c.surveys, Scorer: m, Notifier: text}
	text.Waves = waves // answering by text submits through the same path as the web
	results := &report.Service{Store: s, Surveys: c.surveys, Floor: cfg.MinGroupSize, Log: log}
	return services{measures: m, sms: text, waves: waves, results: results}
}

// openRuntime loads the embedded content, then opens and migrates the database: the start-up
// shared by every command that works on survey data.
func openRuntime(ctx context.Context, cfg config.Config, log *slog.Logger) (content, *store.Store, error) {
	c, err := loadContent(log)
	if err != nil {
		return c, nil, err
	}
	s, err := openStore(ctx, cfg, log)
	return c, s, err
}

// periodicJobs is every periodic background job. Each runs once per interval across all worker
// processes on the database (internal/jobs). Add a job here: one line, name, interval, func.
// An old-style `svc.X.RunY(ctx, interval, log)` ticker loop becomes the one pass inside its loop,
// as a func(ctx) error (or func(ctx) (int, error) wrapped in jobs.Counted), listed here. Work
// that must run on every worker instance — a queue drained with FOR UPDATE SKIP LOCKED, like the
// SMS sender — is a component in serveUntilDone instead.
func periodicJobs(svc services, log *slog.Logger) []jobs.Job {
	return []jobs.Job{
		{Name: "wave-purge", Interval: 10 * time.Minute, Run: jobs.Counted(svc.waves.PurgeEnded, log, slog.LevelInfo, "purged drafts of ended waves")},
		// Dashboards read rollups only; this keeps them a few seconds behind the answers at most.
		{Name: "results-refresh", Interval: 5 * time.Second, Run: jobs.Counted(svc.results.Refresh, log, slog.LevelDebug, "refreshed results")},
		{Name: "measures-calibrate", Interval: time.Minute, Run: jobs.Counted(svc.measures.CalibrateDue, log, slog.LevelInfo, "calibrated instrument versions")},
		{Name: "sms-housekeeping", Interval: time.Minute, Run: svc.sms.Housekeep}, // stuck sends, reminders
	}
}

// serveUntilDone runs the process's components until ctx ends (SIGTERM/SIGINT from main) or one
// of them fails: the web server (for --role worker, only its health checks) and, unless --role
// web, the SMS sender and the periodic jobs. A component that fails or stops by itself stops the
// others and the process exits non-zero; a stop drains HTTP, lets in-flight texts and jobs finish,
// and returns nil. devOutbox shows the local SMS outbox page (demo only: it shows links).
func serveUntilDone(ctx context.Context, cfg config.Config, s *store.Store, log *slog.Logger, ln net.Listener, c content, svc services, devOutbox bool) error {
	deps := httpserver.Deps{Config: cfg, Store: s, Log: log, Surveys: c.surveys, Locales: c.locales,
		Waves: svc.waves, SMS: svc.sms, Results: svc.results, DevOutbox: devOutbox}
	var handler http.Handler = httpserver.HealthOnly(deps)
	if cfg.ServesWeb() {
		srv, err := httpserver.New(deps)
		if err != nil {
			ln.Close()
			return err
		}
		handler = srv
	}
	g, gctx := errgroup.WithContext(ctx)
	component := func(name string, run func(context.Context) error) {
		g.Go(func() error {
			err := run(gctx)
			if gctx.Err() != nil { // stopping: asked to, or another component failed first
				if err != nil {
					log.Warn("stopped with an error", "component", name, "err", err)
				}
				return nil
			}
			if err == nil {
				err = errors.New("stopped by itself")
			}
			log.Error("component failed; stopping the process", "component", name, "err", err)
			return fmt.Errorf("%s: %w", name, err)
		})
	}
	component("http server", func(ctx context.Context) error { return httpserver.Run(ctx, ln, handler, log) })
	if cfg.RunsWorkers() {
		component("sms sender", svc.sms.Run)
		runner := &jobs.Runner{Store: s, Log: log, Clock: svc.clock}
		component("jobs", func(ctx context.Context) error { return runner.Run(ctx, periodicJobs(svc, log)) })
	}
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "role", cfg.Role)
	if err := g.Wait(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
