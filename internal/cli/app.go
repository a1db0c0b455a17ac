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
	"github.com/trustpulse/trustpulse/internal/email"
	"github.com/trustpulse/trustpulse/internal/httpserver"
	"github.com/trustpulse/trustpulse/internal/jobs"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/measures"
	"github.com/trustpulse/trustpulse/internal/metrics"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/retention"
	"github.com/trustpulse/trustpulse/internal/roster"
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

// openStore opens the configured database and checks its schema (see prepareSchema). An unreachable or unopenable database is
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
	if err := prepareSchema(ctx, s, cfg.Migrate, log, db); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// prepareSchema brings an empty database to the current schema, and a populated one only when the
// command may migrate (cfg.Migrate): an upgrade is the operator's step, taken after a backup, not a
// side effect of restarting a service with a new binary. A schema newer than this binary is refused
// too: old code must not write to tables it does not know.
func prepareSchema(ctx context.Context, s *store.Store, migrate bool, log *slog.Logger, db config.Database) error {
	current, latest, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch {
	case current > latest:
		return usageError("database %s has schema version %d, newer than this program's %d: run the newer trustpulse", db.Redacted(), current, latest)
	case current < latest && current > 0 && !migrate:
		return usageError("database %s has schema version %d, this program needs %d: back up the database, then run `trustpulse migrate` (or start serve with --migrate)", db.Redacted(), current, latest)
	case current == latest:
		return nil
	}
	n, err := s.Migrate(ctx, log)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("migrations applied", "count", n, "from", current, "to", latest, "db", db.Redacted())
	}
	return nil
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
	email    *email.Service
	results  *report.Service
	purges   *retention.Service
	roster   *roster.Jobs
	clock    jobs.Clock // nil: the wall clock; tests share a fake one between servers
}

func newServices(cfg config.Config, s *store.Store, c content, log *slog.Logger) services {
	m := &measures.Service{Store: s, Surveys: c.surveys, Log: log}
	text := sms.New(cfg, s, c.locales, log)                // its quiet hours: cfg.SMSWindowStart–SMSWindowEnd
	mail := email.New(cfg, s, c.locales, text.Sealer, log) // shares the SMS outbox's sealing key
	waves := &wave.Service{Store: s, Surveys: c.surveys, Scorer: m, Notifier: wave.Notifiers{text, mail},
		ReportedKeys: reportedKeys, CohortK: cfg.SnapshotK, CodeMargin: codeMargin(cfg)}
	text.Waves = waves // answering by text submits through the same path as the web
	results := &report.Service{Store: s, Surveys: c.surveys, Floor: cfg.MinGroupSize, Log: log}
	imports := &roster.Jobs{Store: s, Log: log, MassDeactivationShare: cfg.MassDeactivationShare}
	return services{measures: m, sms: text, email: mail, waves: waves, results: results, purges: &retention.Service{Store: s}, roster: imports}
}

// reportedKeys is report.Attributes for wave, which cannot import report: responses store only
// the attributes the district reports.
func reportedKeys(audience string, settings store.Attrs) []string {
	return report.Attributes(survey.Audience(audience), settings)
}

// codeMargin maps the configured margin onto wave.Service.CodeMargin, where zero means the default.
func codeMargin(cfg config.Config) int {
	if cfg.CodeMargin == 0 {
		return -1
	}
	return cfg.CodeMargin
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

// newMetrics builds the Prometheus registry of serve: DB pool, SMS outbox depth, and the SMS
// service's send results (requests and submissions are counted by the web server, job runs by
// the job runner).
func newMetrics(s *store.Store, svc services, log *slog.Logger) *metrics.Metrics {
	m := metrics.New()
	if db, err := s.DB.DB(); err == nil {
		m.WatchDB(db)
	}
	m.WatchQueue("sms_outbox", "SMS outbox rows not yet settled, by status.", "status", svc.sms.QueueDepths, log)
	svc.sms.Metrics = m
	return m
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
		{Name: "ballot-mix", Interval: 5 * time.Second, Run: jobs.Counted(svc.waves.Mix, log, slog.LevelInfo, "mixed anonymous ballots")}, // ballots into responses, in batches
		{Name: "wave-scheduler", Interval: 30 * time.Second, Run: jobs.Counted(svc.waves.OpenDue, log, slog.LevelInfo, "opened scheduled waves")},
		// Dashboards read rollups only; this keeps them a few seconds behind the answers at most.
		{Name: "results-refresh", Interval: 5 * time.Second, Run: jobs.Counted(svc.results.RefreshJob, log, slog.LevelDebug, "refreshed results")},
		{Name: "measures-calibrate", Interval: time.Minute, Run: jobs.Counted(svc.measures.CalibrateDue, log, slog.LevelInfo, "calibrated instrument versions")},
		{Name: "sms-housekeeping", Interval: time.Minute, Run: svc.sms.Housekeep},     // stuck sends, reminders
		{Name: "email-housekeeping", Interval: time.Minute, Run: svc.email.Housekeep}, // stuck mails, one reminder
		{Name: "retention", Interval: time.Hour, Run: svc.purges.Once(log)},           // expired sessions, sent texts' bodies, old markers (README: Retention)
	}
}

// PeriodicJobNames lists serve's periodic jobs by name, for tests and operators.
func PeriodicJobNames() []string {
	var out []string
	for _, j := range periodicJobs(services{}, slog.New(slog.DiscardHandler)) {
		out = append(out, j.Name)
	}
	return out
}

// serveUntilDone runs the process's components until ctx ends (SIGTERM/SIGINT from main) or one
// of them fails: the web server (for --role worker, only its health checks) and, unless --role
// web, the SMS sender and the periodic jobs. A component that fails or stops by itself stops the
// others and the process exits non-zero; a stop drains HTTP, lets in-flight texts and jobs finish,
// and returns nil. devOutbox shows the local SMS outbox page (demo only: it shows links).
func serveUntilDone(ctx context.Context, cfg config.Config, s *store.Store, log *slog.Logger, ln net.Listener, c content, svc services, devOutbox bool) error {
	m := newMetrics(s, svc, log)
	deps := httpserver.Deps{Config: cfg, Store: s, Log: log, Surveys: c.surveys, Locales: c.locales,
		Waves: svc.waves, SMS: svc.sms, Email: svc.email, Results: svc.results, Measures: svc.measures, DevOutbox: devOutbox, Metrics: m}
	var handler http.Handler = httpserver.HealthOnly(deps)
	if cfg.ServesWeb() {
		srv, err := httpserver.New(deps)
		if err != nil {
			ln.Close()
			return err
		}
		defer srv.Close() // the PDF printer's browser, if a report was printed
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
	if cfg.MetricsAddr != "" { // metrics on their own address (TRUSTPULSE_METRICS_ADDR)
		mln, err := listen(cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		log.Info("metrics listening", "addr", mln.Addr().String())
		component("metrics server", func(ctx context.Context) error { return httpserver.RunMetrics(ctx, mln, m, log) })
	}
	if cfg.RunsWorkers() {
		component("sms sender", svc.sms.Run)
		component("email sender", svc.email.Run)
		component("roster imports", func(ctx context.Context) error { // uploaded rosters, imported off the request, on every worker
			svc.roster.RunImports(ctx, 2*time.Second, log)
			return nil
		})
		runner := &jobs.Runner{Store: s, Log: log, Clock: svc.clock, Observe: m.JobRun}
		component("jobs", func(ctx context.Context) error { return runner.Run(ctx, periodicJobs(svc, log)) })
	}
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL, "role", cfg.Role)
	if err := g.Wait(); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}
