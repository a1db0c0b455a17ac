package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/store"
)

// ErrSettings wraps a reporting setting that cannot be accepted; the message names the field.
var ErrSettings = errors.New("invalid reporting settings")

// Reporting is a district's choice of privacy floor and reported breakdowns.
type Reporting struct {
	Floor      int      // the district's own floor (the deployment's may be stricter)
	MinFloor   int      // the lowest floor this deployment accepts
	Attributes []string // chosen keys; empty means every one
	Pairs      []string // chosen two-way breakdowns ("a,b"); empty means none
}

// Reporting returns a district's current reporting settings.
func (s *Service) Reporting(ctx context.Context, districtID int64) (Reporting, error) {
	var d store.District
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ?", districtID).First(&d).Error; err != nil {
		return Reporting{}, store.NotFound(err, "district")
	}
	r := Reporting{Floor: s.floor(d), MinFloor: max(s.Floor, 5)}
	if v := strings.TrimSpace(d.Settings[SettingAttributes]); v != "" {
		r.Attributes = strings.Split(v, ",")
	}
	r.Pairs = splitTrim(d.Settings[SettingPairs], ";")
	return r, nil
}

// SetReporting changes a district's floor and breakdowns and marks every wave for a rebuild, so no
// cell decided under the old rules outlives the change.
func (s *Service) SetReporting(ctx context.Context, districtID int64, floor int, attrs, pairs []string) error {
	return s.ChangeReporting(ctx, districtID, floor, attrs, pairs, auth.Actor{})
}

// ChangeReporting is the use case behind the results settings page: SetReporting and its audit
// row (ActionReportingSettings, by) in one transaction, so no change goes unrecorded and no
// record names a change that did not happen.
func (s *Service) ChangeReporting(ctx context.Context, districtID int64, floor int, attrs, pairs []string, by auth.Actor) error {
	if minimum := max(s.Floor, 5); floor < minimum {
		return fmt.Errorf("%w: minimum group size %d: must be at least %d", ErrSettings, floor, minimum)
	}
	for _, a := range attrs {
		if !slices.Contains(AllAttributes(), a) {
			return fmt.Errorf("%w: unknown attribute %q", ErrSettings, a)
		}
	}
	for _, p := range pairs {
		if !slices.Contains(AllPairs(), p) {
			return fmt.Errorf("%w: unknown two-way breakdown %q", ErrSettings, p)
		}
	}
	return s.Store.Tx(ctx, func(tx *gorm.DB) error {
		err := s.Store.ChangeSettings(tx, districtID, func(settings store.Attrs) {
			settings[SettingAttributes] = strings.Join(attrs, ",")
			settings[SettingPairs] = strings.Join(pairs, ";")
		}, map[string]any{"min_group_size": floor})
		if err != nil {
			return fmt.Errorf("save reporting settings: %w", err)
		}
		var waves []int64
		if err := tx.Model(&store.Wave{}).Where("district_id = ? AND status <> ?", districtID, store.StatusDraft).Pluck("id", &waves).Error; err != nil {
			return err
		}
		for _, w := range waves {
			if err := store.MarkWaveStale(tx, districtID, w); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("floor %d, attributes %s", floor, strings.Join(attrs, ","))
		if len(pairs) > 0 {
			detail += ", two-way " + strings.Join(pairs, ";")
		}
		return auth.AuditTx(tx, s.Store.Now(), by.Entry(districtID, ActionReportingSettings, "district", detail))
	})
}

// ActionReportingSettings is the audit action for a change of the privacy floor or breakdowns.
const ActionReportingSettings = "results.settings"
