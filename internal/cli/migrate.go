package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/trustpulse/trustpulse/internal/config"
)

// runMigrate applies pending migrations. On PostgreSQL with a split of roles (#19 line 2) it runs
// as the owner (TRUSTPULSE_MIGRATE_DATABASE_URL, or --db) and then grants the application role
// (TRUSTPULSE_APP_ROLE, or the user of TRUSTPULSE_DATABASE_URL) what serve needs: SELECT and
// INSERT only on the audit log (store.GrantApp).
func runMigrate(ctx context.Context, env *Env, args []string) error {
	cfg, fs, err := parseConfig(env, "migrate", args, func(c *config.Config, fs *flag.FlagSet) { c.DatabaseFlag(fs) })
	if err != nil {
		return err
	}
	role := cfg.AppRoleName()
	dbFlag := false
	fs.Visit(func(f *flag.Flag) { dbFlag = dbFlag || f.Name == "db" })
	if cfg.MigrateDatabaseURL != "" && !dbFlag {
		cfg.DatabaseURL = cfg.MigrateDatabaseURL
	}
	cfg.Migrate = true
	log := newLogger(cfg, env.Stderr)
	s, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer s.Close()
	db, _ := config.ParseDatabaseURL(cfg.DatabaseURL)
	// Again, for a database already at the newest version (openStore then migrates nothing): one
	// that got the citus extension since, or whose distribution an earlier run left unfinished.
	layout, err := s.Distribute(ctx, log)
	if err != nil {
		return failure(err)
	}
	if layout.Citus {
		fmt.Fprintf(env.Stdout, "citus: %d tables distributed on district_id, reference tables: %s; goose_db_version stays local\n",
			len(layout.Distributed), strings.Join(layout.Reference, ", "))
	}
	if role != "" {
		if err := s.GrantApp(ctx, role); err != nil {
			return usageError("%v", err)
		}
		fmt.Fprintf(env.Stdout, "application role %s granted: SELECT, INSERT, UPDATE, DELETE on its tables; SELECT, INSERT only on audit_log\n", role)
	}
	fmt.Fprintf(env.Stdout, "database %s is up to date\n", db.Redacted())
	return nil
}
