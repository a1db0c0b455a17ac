package cli

import (
	"context"
	"flag"
	"time"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/sms"
	"github.com/trustpulse/trustpulse/internal/store"
)

func runServe(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := parseConfig(env, "serve", args, func(c *config.Config, fs *flag.FlagSet) {
		c.ServerFlags(fs)
		c.RoleFlag(fs)
		fs.BoolVar(&c.Migrate, "migrate", false, "apply pending migrations before serving (default: refuse a schema older than this program)")
	})
	if err != nil {
		return err
	}
	log := newLogger(cfg, env.Stderr)
	log.Info("starting", "config", cfg.Masked())
	c, s, err := openRuntime(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.CheckOwnAppendOnly(ctx); err != nil {
		// Not fatal: a single-role install still refuses audit changes by its own revoked
		// privileges (migration 00030), but the owner could grant them back.
		log.Warn("audit log: this database user could change audit records; run serve as an application role of its own (README: Database roles)", "reason", err.Error())
	}
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	svc := newServices(cfg, s, c, log)
	svc = env.apply(cfg, s, svc)
	return serveUntilDone(ctx, cfg, s, log, ln, c, svc, false)
}

// apply puts a test's clock and HTTP client (if any) into the store and the services.
func (env *Env) apply(cfg config.Config, s *store.Store, svc services) services {
	if env.Clock != nil {
		clk := env.Clock
		s.Now = func() time.Time { return clk.Now().UTC().Truncate(time.Second) }
		svc.clock = clk
		svc.sms.Bucket.Now, svc.sms.Bucket.After = clk.Now, clk.After
	}
	if env.HTTPClient != nil && cfg.TwilioEnabled() {
		svc.sms.Sender = sms.NewTwilioSender(cfg.TwilioAccountSID, cfg.TwilioAuthToken, cfg.TwilioMessagingServiceSID, cfg.TwilioFromNumber, env.HTTPClient)
	}
	return svc
}
