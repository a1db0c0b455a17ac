package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
)

// runBackup is `trustpulse backup PATH`: a consistent copy of the embedded SQLite database, taken
// while serve keeps running (VACUUM INTO reads one snapshot). PostgreSQL has pg_dump for this.
func runBackup(ctx context.Context, env *Env, args []string) error {
	cfg, fs, err := parseConfig(env, "backup", args, func(c *config.Config, fs *flag.FlagSet) { c.DatabaseFlag(fs) })
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "usage: trustpulse backup [--db sqlite:PATH] BACKUP_FILE")
		return usageError("backup: want one BACKUP_FILE")
	}
	db, err := config.ParseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return usageError("%v", err)
	}
	if db.Dialect != config.SQLite {
		return usageError("backup: %s is PostgreSQL: use pg_dump --format=custom (see the README's Backup and restore)", db.Redacted())
	}
	log := newLogger(cfg, env.Stderr)
	// No schema check: a backup is what an operator takes before migrating a stale schema.
	s, err := store.Open(ctx, db, log)
	if err != nil {
		return usageError("%v", err)
	}
	defer s.Close()
	out := fs.Arg(0)
	if err := s.BackupSQLite(ctx, out); err != nil {
		if errors.Is(err, store.ErrBackupExists) {
			return usageError("backup: %v", err)
		}
		return failure(fmt.Errorf("backup: %w", err))
	}
	fmt.Fprintf(env.Stdout, "backed up %s to %s\n", db.DSN, out)
	return nil
}
