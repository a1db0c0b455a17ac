package cli

import (
	"context"
	"flag"

	"github.com/trustpulse/trustpulse/internal/config"
)

func runServe(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := parseConfig(env, "serve", args, func(c *config.Config, fs *flag.FlagSet) {
		c.ServerFlags(fs)
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
	ln, err := listen(cfg.Addr)
	if err != nil {
		return err
	}
	return serveUntilDone(ctx, cfg, s, log, ln, c, newServices(cfg, s, c, log), false)
}
