package store

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/trustpulse/trustpulse/internal/config"
)

// ErrBackupExists refuses to overwrite a file with a backup.
var ErrBackupExists = errors.New("backup file already exists")

// BackupSQLite writes a consistent copy of the SQLite database to path with VACUUM INTO, which
// reads one snapshot, so concurrent writers neither block for long nor tear the copy. The file is
// created first, empty and readable by its owner only (it holds children's data), and never
// overwritten; a failed backup leaves no partial file behind.
func (s *Store) BackupSQLite(ctx context.Context, path string) error {
	if s.Dialect != config.SQLite {
		return fmt.Errorf("backup: VACUUM INTO is SQLite's; use pg_dump for PostgreSQL")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %s", ErrBackupExists, path)
	}
	if err != nil {
		return fmt.Errorf("create backup file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create backup file: %w", err)
	}
	if err := s.DB.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		os.Remove(path)
		return fmt.Errorf("vacuum into %s: %w", path, err)
	}
	return nil
}
