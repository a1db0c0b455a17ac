package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/migrations"
)

// ErrStaleSchema means the database is behind this binary: run `trustpulse migrate`.
var ErrStaleSchema = errors.New("database schema is older than this program")

func (s *Store) provider(log *slog.Logger) (*goose.Provider, error) {
	return s.providerOn(s.SQL(), log)
}

// providerOn is provider on the connections of db.
func (s *Store) providerOn(db *sql.DB, log *slog.Logger) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, s.Dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.Dialect, err)
	}
	dialect := goose.DialectSQLite3
	// Out of order: changes land with the numbers reserved for them, not in number order, so a
	// database migrated by one release may lack a lower-numbered migration the next release
	// brings (00042 landed after 00050 and 00060). Each migration touches only its own tables and
	// columns, so applying the missing one later is what its author meant.
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true), goose.WithAllowOutofOrder(true)}
	if s.Dialect == config.Postgres {
		dialect = goose.DialectPostgres
		// Several app servers may start at once; one migrates, the others wait.
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	if log != nil {
		opts = append(opts, goose.WithSlog(log))
	}
	return goose.NewProvider(dialect, db, sub, opts...)
}

// Migrate applies pending migrations and returns how many it applied. Running it again is a no-op.
// On a database with the citus extension it then distributes every project table (Distribute),
// after every run, so a table a later migration adds is distributed too.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) (int, error) {
	db := s.SQL()
	citus, err := s.HasCitus(ctx)
	if err != nil {
		return 0, err
	}
	if citus {
		if db, err = s.citusMigrationDB(); err != nil {
			return 0, err
		}
		defer db.Close()
	}
	p, err := s.providerOn(db, log)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate %s: %w", s.Dialect, err)
	}
	if _, err := s.Distribute(ctx, log); err != nil {
		return len(res), err
	}
	return len(res), nil
}

// CheckSchema refuses a database whose schema is behind the migrations this binary carries.
func (s *Store) CheckSchema(ctx context.Context) error {
	p, err := s.provider(nil)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check schema version: %w", err)
	}
	if pending {
		return ErrStaleSchema
	}
	return nil
}

// SchemaVersion returns the newest migration applied to the database (0 for an empty database)
// and the newest this binary carries. serve compares them to refuse a stale or a newer schema.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := s.provider(nil)
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read schema version: %w", err)
	}
	if src := p.ListSources(); len(src) > 0 {
		latest = src[len(src)-1].Version
	}
	return current, latest, nil
}
