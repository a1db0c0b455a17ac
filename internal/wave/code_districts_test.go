package wave_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

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

// A slip printed before slip_code_districts existed (#19 line 3) still opens by its personal code
// after the upgrade: the migration copies every slip code's district in, by hash. A reprint then
// drops the old code's row, and no row holds a code in clear.
func TestLegacySlipCodeStillOpens(t *testing.T) {
	ctx := context.Background()
	pg, err := store.Open(ctx, config.Database{Dialect: config.Postgres, DSN: testdb.Fresh(t)}, slog.New(slog.DiscardHandler))
	must(t, err)
	defer pg.Close()
	for _, st := range []*store.Store{pg, testdb.SQLite(t)} {
		t.Run(st.Dialect, func(t *testing.T) {
			w := newWorld(t, st)
			ana := w.person(t, store.KindStudent, "04", w.schools[0], named("Ana", "Zamora"))
			w.homeroomOf(t, w.schools[0], "Room 12", ana)
			wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link"})
			_, err := w.svc.Invite(ctx, w.district, wv.ID)
			must(t, err)
			batch, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0]})
			must(t, err)
			if len(batch.Slips) != 1 {
				t.Fatalf("slips %+v", batch.Slips)
			}
			code := batch.Slips[0].Code

			sub, err := fs.Sub(migrations.FS, st.Dialect)
			must(t, err)
			dialect := goose.DialectSQLite3
			if st.Dialect == config.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, st.SQL(), sub, goose.WithDisableGlobalRegistry(true))
			must(t, err)
			if _, err := p.ApplyVersion(ctx, 70, false); err != nil {
				t.Fatalf("down 00070: %v", err)
			}
			if n, err := st.Migrate(ctx, nil); err != nil || n != 1 {
				t.Fatalf("migrate applied %d: %v", n, err)
			}
			sess, err := w.svc.ByToken(ctx, code)
			if err != nil || sess.Wave.ID != wv.ID || sess.Wave.DistrictID != w.district {
				t.Fatalf("slip code after the upgrade: %+v %v", sess, err)
			}
			var rows []store.SlipCodeDistrict
			must(t, st.DB.Where("district_id = ?", w.district).Find(&rows).Error)
			if len(rows) != 1 || !bytes.Equal(rows[0].TokenHash, wave.HashToken(wave.NormalizeCode(code))) {
				t.Fatalf("slip_code_districts rows %+v: want the code's hash only", rows)
			}
			re, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], InvitationID: batch.Slips[0].InvitationID})
			must(t, err)
			must(t, st.DB.Where("district_id = ?", w.district).Find(&rows).Error)
			if len(rows) != 1 || !bytes.Equal(rows[0].TokenHash, wave.HashToken(wave.NormalizeCode(re.Slips[0].Code))) {
				t.Fatalf("after a reprint slip_code_districts holds %d rows, want the new code's only", len(rows))
			}
			if _, err := w.svc.ByToken(ctx, code); !errors.Is(err, wave.ErrUnknown) {
				t.Fatalf("the reprinted slip's old code: %v", err)
			}
		})
	}
}

// codeReads is a GORM logger that counts the statements reading a code's district.
type codeReads struct {
	logger.Interface
	mu sync.Mutex
	n  int
}

func (r *codeReads) LogMode(logger.LogLevel) logger.Interface { return r }
func (r *codeReads) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	if sql, _ := fc(); strings.Contains(sql, "code_districts") {
		r.mu.Lock()
		r.n++
		r.mu.Unlock()
	}
}

func (r *codeReads) take() int { r.mu.Lock(); defer r.mu.Unlock(); n := r.n; r.n = 0; return n }

// A typed code's district is read once per process (#19 line 3): a respondent's later pages send
// no statement more than before codes were routed. A slip code replaced by a reprint still stops
// working, though its district was kept.
func TestTypedCodeDistrictIsReadOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		ana := w.person(t, store.KindStudent, "04", w.schools[0], named("Ana", "Zamora"))
		w.homeroomOf(t, w.schools[0], "Room 12", ana)
		wv := w.wave(t, "student-pulse", store.ModeAnonymous, []string{"link", "code"})
		_, err := w.svc.Invite(ctx, w.district, wv.ID)
		must(t, err)
		class, err := w.svc.IssueCode(ctx, w.district, wv.ID, w.schools[0], nil)
		must(t, err)
		batch, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0]})
		must(t, err)
		slip := batch.Slips[0].Code

		reads := &codeReads{Interface: logger.Discard}
		st.DB.Config.Logger = reads
		browser := strings.Repeat("b", 32)
		for i, want := range []int{1, 0, 0} {
			if _, err := w.svc.ByCode(ctx, class, browser); err != nil {
				t.Fatalf("class code, visit %d: %v", i, err)
			}
			if _, err := w.svc.ByToken(ctx, slip); err != nil {
				t.Fatalf("slip code, visit %d: %v", i, err)
			}
			if got := reads.take(); got != 2*want {
				t.Fatalf("visit %d read a code's district %d times, want %d", i, got, 2*want)
			}
		}
		re, err := w.svc.IssueSlips(ctx, wave.SlipRequest{DistrictID: w.district, WaveID: wv.ID, SchoolID: w.schools[0], InvitationID: batch.Slips[0].InvitationID})
		must(t, err)
		if _, err := w.svc.ByToken(ctx, slip); !errors.Is(err, wave.ErrUnknown) {
			t.Fatalf("the reprinted slip's old code, its district kept: %v", err)
		}
		if _, err := w.svc.ByToken(ctx, re.Slips[0].Code); err != nil {
			t.Fatalf("the new slip code: %v", err)
		}
	})
}
