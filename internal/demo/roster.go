package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/trustpulse/trustpulse/internal/roster"
	"github.com/trustpulse/trustpulse/internal/roster/rostergen"
	"github.com/trustpulse/trustpulse/internal/store"
)

// importDemoRoster builds the demo district the way a real one is built: rostergen writes its
// OneRoster files (the same ones every time for a school year) into a temporary folder, and the
// importer reads them into the district with slug Slug, creating it if needed. Running it again
// changes nothing: the importer only writes rows that differ.
func importDemoRoster(ctx context.Context, s *store.Store, log *slog.Logger) (districtID int64, err error) {
	dir, err := os.MkdirTemp("", "trustpulse-demo-roster-")
	if err != nil {
		return 0, fmt.Errorf("demo roster: %w", err)
	}
	defer os.RemoveAll(dir)
	if _, err := rostergen.Write(dir, rostergen.Demo(rostergen.SchoolYearOf(s.Now()))); err != nil {
		return 0, err
	}
	res, err := roster.Import(ctx, s, dir, roster.Options{DistrictSlug: Slug, Source: "demo (rostergen)", Log: log})
	var ierr *roster.ImportError
	if errors.As(err, &ierr) {
		// The generator and the importer disagree: a bug, so say exactly where.
		return 0, fmt.Errorf("demo roster: %w: %v", err, roster.Report(ierr.Problems, 5, "problems"))
	}
	if err != nil {
		return 0, err
	}
	log.Info("demo roster imported", "summary", res.Summary(), "created", res.PeopleCreated, "updated", res.PeopleUpdated)
	return res.DistrictID, nil
}
