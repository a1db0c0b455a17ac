package store_test

import (
	"context"
	"io/fs"
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
