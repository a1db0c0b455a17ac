// Package demo seeds the synthetic district behind `trustpulse demo`. Production code never imports it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Slug names the demo district; seeding finds it by slug, so running the demo twice changes nothing.
const Slug = "demo"

// Links are the things to try, printed by the demo command once the server listens.
// An empty field means that capability does not exist yet and nothing is printed for it.
type Links struct {
	StudentSurvey string
	FamilySurvey  string
	StaffSurvey   string
	Dashboard     string
	LoginUser     string
	LoginPassword string
}

// Seed creates the demo district if it does not exist yet and returns the links to try.
func Seed(ctx context.Context, s *store.Store, baseURL string, log *slog.Logger) (Links, error) {
	d, err := ensureDistrict(ctx, s)
	if err != nil {
		return Links{}, err
	}
	log.Info("demo district ready", "district_id", d.DistrictID)
	return Links{}, nil
}

func ensureDistrict(ctx context.Context, s *store.Store) (store.District, error) {
	var d store.District
	err := s.DB.WithContext(ctx).Where("slug = ?", Slug).First(&d).Error
	if err == nil {
		return d, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return d, fmt.Errorf("find demo district: %w", err)
	}
	now := s.Now()
	d = store.District{DistrictID: store.NewID(), Slug: Slug, Name: "Riverside Unified (demo)", MinGroupSize: 10, CreatedAt: now, UpdatedAt: now}
	if err := s.DB.WithContext(ctx).Create(&d).Error; err != nil {
		return d, fmt.Errorf("create demo district: %w", err)
	}
	return d, nil
}
