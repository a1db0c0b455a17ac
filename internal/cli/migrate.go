package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/config"
)

func runMigrate(ctx context.Context, env *Env, args []string) error {
	cfg, _, err := parseConfig(env, "migrate", args, func(c *config.Config, fs *flag.FlagSet) { c.DatabaseFlag(fs) })
	if err != nil {
		return err
	}
	cfg.Migrate = true
	log := newLogger(cfg, env.Stderr)
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	db, _ := config.ParseDatabaseURL(cfg.DatabaseURL)
	fmt.Fprintf(env.Stdout, "database %s is up to date\n", db.Redacted())
	return nil
}
