package store_test

import (
	"context"
	"io/fs"
	"log/slog"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/migrations"
)

// Migration 00011 rebuilds waves on SQLite (a CHECK cannot be altered there). On a database with
// waves that other tables reference, undoing and redoing it keeps every row and every reference,
// on both dialects, and 'scheduled' is accepted after it.
func TestWaveLifecycleMigrationKeepsReferencedWaves(t *testing.T) {
	testdb.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		d := testdb.NewDistrict(t, s)
		now := s.Now()
		school, waveID := store.NewID(), store.NewID()
		for _, row := range []any{
			&store.School{DistrictID: d, ID: school, SourcedID: "s", Name: "S", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now},
			&store.Instrument{DistrictID: d, InstrumentID: "student-pulse", Version: 1, Audience: "student", CreatedAt: now},
			&store.Wave{DistrictID: d, ID: waveID, Name: "W", InstrumentID: "student-pulse", InstrumentVersion: 1, Audience: "student",
				AudienceFilter: store.Attrs{}, Mode: store.ModeAnonymous, Channels: "link", Status: store.StatusOpen,
				OpensAt: now, ClosesAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now},
			&store.WaveSchool{DistrictID: d, WaveID: waveID, SchoolID: school},
		} {
			if err := s.DB.Create(row).Error; err != nil {
				t.Fatal(err)
			}
		}
		sub, err := fs.Sub(migrations.FS, string(s.Dialect))
		if err != nil {
			t.Fatal(err)
		}
		dialect := goose.DialectSQLite3
		if s.Dialect == config.Postgres {
			dialect = goose.DialectPostgres
		}
		p, err := goose.NewProvider(dialect, s.SQL(), sub, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		// Only 00011, whatever other migrations are applied around it.
		if _, err := p.ApplyVersion(ctx, 11, false); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := p.ApplyVersion(ctx, 11, true); err != nil {
			t.Fatalf("up again: %v", err)
		}
		var n int64
		s.DB.Table("wave_schools ws").Joins("JOIN waves w ON w.district_id = ws.district_id AND w.id = ws.wave_id").Where("ws.district_id = ?", d).Count(&n)
		if n != 1 {
			t.Fatalf("%d wave_schools rows still join their wave, want 1", n)
		}
		if err := s.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", d, waveID).Update("status", store.StatusScheduled).Error; err != nil {
			t.Fatalf("scheduled refused after the migration: %v", err)
		}
		if err := s.DB.Model(&store.Wave{}).Where("district_id = ? AND id = ?", d, waveID).Update("status", "paused").Error; err == nil {
			t.Fatal("an unknown status was accepted")
		}
		// Every reference still holds, and SQLite still enforces them.
		if s.Dialect == config.SQLite {
			var bad []map[string]any
			if err := s.DB.Raw("PRAGMA foreign_key_check").Scan(&bad).Error; err != nil || len(bad) != 0 {
				t.Fatalf("foreign_key_check: %v %v", bad, err)
			}
			if err := s.DB.Create(&store.WaveSchool{DistrictID: d, WaveID: store.NewID(), SchoolID: school}).Error; err == nil {
				t.Fatal("foreign keys are off after the migration")
			}
		}
	})
}

// A migration that lands after higher-numbered ones (00042 after 00050 and 00060) is applied to
// a database already at the higher version, on both dialects: migrate applies it, and the
// schema is then up to date. Here 00042 is undone first (its Down), as if the database had been
// migrated before it existed; its Up numbers the existing districts' routes.
func TestMigrationLandedOutOfOrder(t *testing.T) {
	ctx := context.Background()
	pg, err := store.Open(ctx, config.Database{Dialect: config.Postgres, DSN: testdb.Fresh(t)}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	for _, s := range []*store.Store{pg, testdb.SQLite(t)} {
		t.Run(s.Dialect, func(t *testing.T) {
			a, b := testdb.NewDistrict(t, s), testdb.NewDistrict(t, s)
			sub, err := fs.Sub(migrations.FS, string(s.Dialect))
			if err != nil {
				t.Fatal(err)
			}
			dialect := goose.DialectSQLite3
			if s.Dialect == config.Postgres {
				dialect = goose.DialectPostgres
			}
			p, err := goose.NewProvider(dialect, s.SQL(), sub, goose.WithDisableGlobalRegistry(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.ApplyVersion(ctx, 42, false); err != nil {
				t.Fatalf("down 00042: %v", err)
			}
			if err := s.CheckSchema(ctx); err == nil {
				t.Fatal("a database without 00042 passes the schema check")
			}
			n, err := s.Migrate(ctx, nil)
			if err != nil || n != 1 {
				t.Fatalf("migrate applied %d: %v", n, err)
			}
			if err := s.CheckSchema(ctx); err != nil {
				t.Fatalf("after migrate: %v", err)
			}
			var routes []int
			if err := s.DB.Model(&store.District{}).Where("district_id IN ?", []int64{a, b}).Order("district_id").Pluck("route", &routes).Error; err != nil {
				t.Fatal(err)
			}
			if len(routes) != 2 || routes[0] <= 0 || routes[1] <= routes[0] {
				t.Fatalf("routes after the late migration: %v", routes)
			}
		})
	}
}
