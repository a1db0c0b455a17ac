package report

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// ErrSettings wraps a reporting setting that cannot be accepted; the message names the field. The
// error is also a *refusal.Error (errors.As), which the settings page words in its language.
var ErrSettings = errors.New("invalid reporting settings")

// Reporting is a district's choice of privacy floor and reported breakdowns.
type Reporting struct {
	Floor      int      // the district's own floor (the deployment's may be stricter)
	MinFloor   int      // the lowest floor this deployment accepts
	Attributes []string // chosen keys; empty means every one
	Pairs      []string // chosen two-way breakdowns ("a,b"); empty means none
	Release    ReleasePolicy
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
	r.Release = ReleasePolicyOf(d.Settings)
	return r, nil
}

// SetReporting changes a district's floor and breakdowns and marks every wave for a rebuild, so no
// cell decided under the old rules outlives the change.
func (s *Service) SetReporting(ctx context.Context, districtID int64, floor int, attrs, pairs []string) error {
	return s.ChangeReporting(ctx, districtID, floor, attrs, pairs, nil, auth.Actor{})
}

// SetResults is SetReporting with the release rule of anonymous waves.
func (s *Service) SetResults(ctx context.Context, districtID int64, floor int, attrs, pairs []string, release ReleasePolicy) error {
	return s.ChangeReporting(ctx, districtID, floor, attrs, pairs, &release, auth.Actor{})
}

// ChangeReporting is the use case behind the results settings page: the floor, the breakdowns
// and (when release is not nil) the release rule of anonymous waves, every wave marked for a
// rebuild, and the audit row (ActionReportingSettings, by), in one transaction, so no change goes
// unrecorded and no record names a change that did not happen. The rebuild is queued, not done
// here: the refresher (on whichever instance) picks the stale waves up, and until then pages show
// the results as last built, which were safe under the old rules.
func (s *Service) ChangeReporting(ctx context.Context, districtID int64, floor int, attrs, pairs []string, release *ReleasePolicy, by auth.Actor) error {
	if release != nil {
		if err := release.Validate(); err != nil {
			return err
		}
	}
	if minimum := max(s.Floor, 5); floor < minimum {
		return refusal.Of(ErrSettings, refusal.New("floor", "refusal.report.floor_min", fmt.Sprintf("minimum group size %d: must be at least %d", floor, minimum),
			"Floor", floor, "Min", minimum))
	}
	for _, a := range attrs {
		if !slices.Contains(AllAttributes(), a) {
			return refusal.Of(ErrSettings, refusal.New("attribute", "refusal.report.attribute", fmt.Sprintf("unknown attribute %q", a), "Attribute", strconv.Quote(a)))
		}
	}
	for _, p := range pairs {
		if !slices.Contains(AllPairs(), p) {
			return refusal.Of(ErrSettings, refusal.New("pair", "refusal.report.pair", fmt.Sprintf("unknown two-way breakdown %q", p), "Pair", strconv.Quote(p)))
		}
	}
	return s.Store.Tx(ctx, func(tx *gorm.DB) error {
		effective := release
		err := s.Store.ChangeSettings(tx, districtID, func(settings store.Attrs) {
			settings[SettingAttributes] = strings.Join(attrs, ",")
			settings[SettingPairs] = strings.Join(pairs, ";")
			if release != nil {
				release.apply(settings)
			} else { // unchanged; named in the audit row as it stands
				current := ReleasePolicyOf(settings)
				effective = &current
			}
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
		detail += fmt.Sprintf(", release %s k %d", effective.Mode, effective.K)
		if effective.Mode == ReleaseDaily {
			detail += " at " + effective.At
		}
		return auth.AuditTx(tx, s.Store.Now(), by.Entry(districtID, ActionReportingSettings, "district", detail))
	})
}

// WaveBuild is one wave's results build state, for the pages that say a rebuild is under way or
// failed.
type WaveBuild struct {
	WaveID     int64
	Name       string
	Stale      bool       // waiting to be rebuilt
	Error      string     // the last failure, "" if none
	FailedAt   *time.Time // when it last failed
	ReleasedAt *time.Time // when responses were last released into its results
}

// Builds lists the district's non-draft waves that are waiting for a rebuild or failed to build.
func (s *Service) Builds(ctx context.Context, districtID int64) ([]WaveBuild, error) {
	var out []WaveBuild
	err := s.Store.DB.WithContext(ctx).Table("rollup_waves rw").
		Select("rw.wave_id, w.name, rw.stale, rw.error, rw.failed_at, rw.released_at").
		Joins("JOIN waves w ON w.district_id = rw.district_id AND w.id = rw.wave_id").
		Where("rw.district_id = ? AND w.status <> ? AND (rw.stale OR rw.error <> '')", districtID, store.StatusDraft).
		Order("w.name").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("results build state: %w", err)
	}
	return out, nil
}

// Build is one wave's build state (the zero value before its first refresh).
func (s *Service) Build(ctx context.Context, districtID, waveID int64) (WaveBuild, error) {
	var rows []store.RollupWave
	if err := s.Store.DB.WithContext(ctx).Where("district_id = ? AND wave_id = ?", districtID, waveID).Find(&rows).Error; err != nil {
		return WaveBuild{}, fmt.Errorf("results build state of wave %d: %w", waveID, err)
	}
	b := WaveBuild{WaveID: waveID, Stale: true}
	if len(rows) == 1 {
		r := rows[0]
		b.Stale, b.Error, b.FailedAt, b.ReleasedAt = r.Stale || r.BuiltAt == nil, r.Error, r.FailedAt, r.ReleasedAt
	}
	return b, nil
}

// ActionReportingSettings is the audit action for a change of the privacy floor or breakdowns.
const ActionReportingSettings = "results.settings"
