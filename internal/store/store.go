// Package store opens the database (PostgreSQL or embedded SQLite), runs migrations, and holds the
// GORM models and the queries. It knows nothing of HTTP or of business rules.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/ncruces/go-sqlite3/gormlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/trustpulse/trustpulse/internal/config"
)

// ErrNotFound is returned for a row that does not exist (never a nil result with a nil error).
var ErrNotFound = errors.New("not found")

// ErrUnavailable marks a database that cannot be reached or opened: a configuration problem.
var ErrUnavailable = errors.New("database unavailable")

// Store is an open database.
type Store struct {
	DB      *gorm.DB
	Dialect string
	// Now is the clock every stored timestamp comes from; tests replace it. Whole seconds, UTC:
	// the precision both dialects keep, so a row reads back exactly as written.
	Now func() time.Time
	// dsn is the PostgreSQL connection string Open was given: Migrate opens its own connections
	// with Citus settings from it (citusMigrationDB).
	dsn string
	// routes caches districts' routes (routes.go); shared by copies of the Store.
	routes *routeCache
}

// Open connects to the database and checks that it answers. It does not migrate.
func Open(ctx context.Context, db config.Database, log *slog.Logger) (*Store, error) {
	gcfg := &gorm.Config{
		TranslateError:         true,
		SkipDefaultTransaction: true,
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	}
	var dialector gorm.Dialector
	switch db.Dialect {
	case config.Postgres:
		dialector = postgres.Open(db.DSN)
	case config.SQLite:
		if err := checkSQLitePath(db.DSN); err != nil {
			return nil, err
		}
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(5000)")
		q.Add("_pragma", "journal_mode(wal)")
		q.Add("_pragma", "foreign_keys(on)")
		// FULL: a commit is fsynced (WAL and all) before it returns, so an answer that got its
		// thank-you page survives an OS crash or power cut, not only a crash of the program.
		q.Add("_pragma", "synchronous(full)")
		// Deleted content (mixed ballots, a submitted draft's answers) is overwritten with zeros,
		// not left in free pages and cells for anyone who reads the file.
		q.Add("_pragma", "secure_delete(on)")
		q.Set("_txlock", "immediate")
		// "sqlite" writes fixed-width UTC text (whole seconds), so text comparison orders times, and
		// reads every format SQLite itself writes (goose's own datetime('now') among them).
		q.Set("_timefmt", "sqlite")
		dialector = gormlite.Open("file:" + (&url.URL{Path: db.DSN}).EscapedPath() + "?" + q.Encode())
	default:
		return nil, fmt.Errorf("%w: unknown dialect %q", ErrUnavailable, db.Dialect)
	}
	g, err := gorm.Open(dialector, gcfg)
	if err != nil {
		return nil, describeOpenError(db, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, describeOpenError(db, err)
	}
	if db.Dialect == config.Postgres {
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
	} else {
		sqlDB.SetMaxOpenConns(8)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, describeOpenError(db, err)
	}
	if db.Dialect == config.SQLite {
		// The first write creates the file; do it now so an unwritable folder fails at start.
		if err := g.WithContext(ctx).Exec("CREATE TABLE IF NOT EXISTS trustpulse_probe (x INTEGER); DROP TABLE trustpulse_probe").Error; err != nil {
			sqlDB.Close()
			return nil, describeOpenError(db, err)
		}
	}
	log.Debug("database open", "db", db.Redacted())
	st := &Store{DB: g, Dialect: db.Dialect, routes: newRouteCache(), Now: func() time.Time { return time.Now().UTC().Truncate(time.Second) }}
	if db.Dialect == config.Postgres {
		st.dsn = db.DSN
	}
	return st, nil
}

// checkSQLitePath gives a plain answer for the commonest SQLite mistake, an unwritable folder.
func checkSQLitePath(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("%w: cannot open SQLite database %s: folder %s: %v", ErrUnavailable, path, dir, errors.Unwrap(err))
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: cannot open SQLite database %s: %s is not a folder", ErrUnavailable, path, dir)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("%w: cannot open SQLite database %s: %v", ErrUnavailable, path, errors.Unwrap(err))
	}
	return f.Close()
}

// describeOpenError says what failed and where, never echoing a password.
func describeOpenError(db config.Database, err error) error {
	if db.Dialect == config.SQLite {
		return fmt.Errorf("%w: cannot open SQLite database %s: %v", ErrUnavailable, db.DSN, err)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Errorf("%w: cannot reach PostgreSQL at %s: %v", ErrUnavailable, db.Host, opErr.Err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Errorf("%w: PostgreSQL at %s refused the connection: %s", ErrUnavailable, db.Host, pgErr.Message)
	}
	msg := err.Error()
	if u, perr := url.Parse(db.DSN); perr == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return fmt.Errorf("%w: cannot reach PostgreSQL at %s: %s", ErrUnavailable, db.Host, msg)
}

// SQL returns the underlying connection pool.
func (s *Store) SQL() *sql.DB {
	d, err := s.DB.DB()
	if err != nil {
		// gorm only fails here for a pool that is not a *sql.DB, which Open never makes.
		panic(err)
	}
	return d
}

// Ping reports whether the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error {
	return s.SQL().PingContext(ctx)
}

// Close releases the connection pool.
func (s *Store) Close() error { return s.SQL().Close() }

// Tx runs fn in one short transaction. On SQLite it is BEGIN IMMEDIATE (see _txlock), so
// concurrent writers queue on the busy timeout instead of failing with "database is locked".
func (s *Store) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.DB.WithContext(ctx).Transaction(fn)
}

// NewID returns a random positive 62-bit row id. Random ids keep arrival order out of the keys,
// which anonymous responses depend on, and let any app server mint ids without coordination.
func NewID() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err)) // the platform is unusable without randomness
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 2)
}

// NotFound maps gorm's not-found to ErrNotFound, wrapped with what was looked for.
func NotFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// ChangeSettings changes a district's settings map in tx: change edits the map as stored, and
// columns, when not nil, names other district columns to set with it. The district row is read FOR UPDATE
// on PostgreSQL (SQLite's transactions hold the whole database), so two admins saving different
// settings at once both keep their change.
func (s *Store) ChangeSettings(tx *gorm.DB, districtID int64, change func(settings Attrs), columns map[string]any) error {
	q := tx
	if s.Dialect == config.Postgres {
		q = tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	var d District
	if err := q.Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return NotFound(err, "district")
	}
	if d.Settings == nil {
		d.Settings = Attrs{}
	}
	change(d.Settings)
	set := map[string]any{"settings": d.Settings, "updated_at": s.Now()}
	for k, v := range columns {
		set[k] = v
	}
	if err := tx.Model(&District{}).Where("district_id = ?", districtID).Updates(set).Error; err != nil {
		return fmt.Errorf("update district: %w", err)
	}
	return nil
}
