package wave_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/migrations"
)

// A class code made before code_districts existed (#19 line 3) still opens after the upgrade: the
// migration copies every code's district in. The database is taken back to before 00065, a code
// is written the old way (a wave_codes row alone), and migrating again makes it open — in its own
// district, on both dialects.
func TestLegacyClassCodeStillOpens(t *testing.T) {
	ctx := context.Background()
	pg, err := store.Open(ctx, config.Database{Dialect: config.Postgres, DSN: testdb.Fresh(t)}, slog.New(slog.DiscardHandler))
	must(t, err)
	defer pg.Close()
	for _, st := range []*store.Store{pg, testdb.SQLite(t)} {
		t.Run(st.Dialect, func(t *testing.T) {
			w, other := newWorld(t, st), newWorld(t, st)
			wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"code"})
			made, err := w.svc.IssueCode(ctx, w.district, wv.ID, w.schools[0], nil)
			must(t, err)

			sub, err := fs.Sub(migrations.FS, st.Dialect)
			must(t, err)
			dialect := goose.DialectSQLite3
			if st.Dialect == config.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, st.SQL(), sub, goose.WithDisableGlobalRegistry(true))
			must(t, err)
			if _, err := p.ApplyVersion(ctx, 65, false); err != nil {
				t.Fatalf("down 00065: %v", err)
			}
			// Before the upgrade a code was its wave_codes row, nothing else.
			legacy := "LEGACY2345"
			must(t, st.DB.Create(&store.WaveCode{DistrictID: w.district, Code: legacy, WaveID: wv.ID, SchoolID: w.schools[1]}).Error)
			if n, err := st.Migrate(ctx, nil); err != nil || n != 1 {
				t.Fatalf("migrate applied %d: %v", n, err)
			}

			browser := strings.Repeat("b", 32)
			for _, code := range []string{legacy, strings.ToLower(made)} {
				sess, err := w.svc.ByCode(ctx, code, browser)
				if err != nil {
					t.Fatalf("code %s after the upgrade: %v", code, err)
				}
				if sess.Wave.DistrictID != w.district || sess.Wave.ID != wv.ID {
					t.Fatalf("code %s opens wave %d of district %d", code, sess.Wave.ID, sess.Wave.DistrictID)
				}
			}
			// Unique across districts: another district's code cannot be the same text.
			err = st.DB.Create(&store.CodeDistrict{Code: legacy, DistrictID: other.district}).Error
			if !errors.Is(err, gorm.ErrDuplicatedKey) {
				t.Fatalf("a second district took the code %s: %v", legacy, err)
			}
			if _, err := w.svc.ByCode(ctx, "ZZZZZZZZZZ", browser); !errors.Is(err, wave.ErrUnknown) {
				t.Fatalf("unknown code: %v", err)
			}
		})
	}
}
