// Package demo seeds the synthetic district behind `trustpulse demo`. Production code never imports it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/wave"
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

// Seed builds the demo district (idempotently) and returns the links to try.
func Seed(ctx context.Context, s *store.Store, waves *wave.Service, baseURL string, log *slog.Logger) (Links, error) {
	d, err := ensureDistrict(ctx, s)
	if err != nil {
		return Links{}, err
	}
	ids, err := ensureOpenWaves(ctx, s, waves, d.DistrictID)
	if err != nil {
		return Links{}, err
	}
	var l Links
	if l.StudentSurvey, err = surveyLink(ctx, s, waves, baseURL, d.DistrictID, ids["student-pulse"], ""); err != nil {
		return l, err
	}
	if l.StaffSurvey, err = surveyLink(ctx, s, waves, baseURL, d.DistrictID, ids["staff-pulse"], ""); err != nil {
		return l, err
	}
	// A family whose language is not English: the page must open in their language.
	if l.FamilySurvey, err = surveyLink(ctx, s, waves, baseURL, d.DistrictID, ids["family-pulse"], "p.preferred_language NOT IN ('', 'en')"); err != nil {
		return l, err
	}
	log.Info("demo district ready", "district_id", d.DistrictID)
	return l, nil
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
