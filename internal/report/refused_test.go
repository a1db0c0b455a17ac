package report

import (
	"context"
	"errors"
	"testing"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/refusal/refusaltest"
)

// TestSettingsRefusals: every refused reporting setting is ErrSettings, reads "invalid reporting
// settings: <sentence>" and carries a refusal whose message (locales/dashboard-refusals-report)
// renders in English as that sentence, so the settings page reads as before in English and is
// worded in the page's language otherwise (#16 line 6).
func TestSettingsRefusals(t *testing.T) {
	s := &Service{Floor: 10}
	ctx := context.Background()
	errs := []error{
		s.ChangeReporting(ctx, 1, 3, nil, nil, nil, auth.Actor{}),
		s.ChangeReporting(ctx, 1, 10, []string{"shoe_size"}, nil, nil, auth.Actor{}),
		s.ChangeReporting(ctx, 1, 10, nil, []string{"grade,shoe_size"}, nil, auth.Actor{}),
		ReleasePolicy{Mode: "hourly", K: 5, At: "06:00"}.Validate(),
		ReleasePolicy{Mode: ReleaseBatch, K: 2, At: "06:00"}.Validate(),
		ReleasePolicy{Mode: ReleaseBatch, K: 1, At: "06:00"}.Validate(),
		ReleasePolicy{Mode: ReleaseDaily, K: 5, At: "24:00"}.Validate(),
	}
	var rs []*refusal.Error
	for _, err := range errs {
		var r *refusal.Error
		if !errors.Is(err, ErrSettings) || !errors.As(err, &r) || err.Error() != ErrSettings.Error()+": "+r.Msg {
			t.Errorf("%v: want ErrSettings with a refusal", err)
			continue
		}
		rs = append(rs, r)
	}
	refusaltest.Rendered(t, "dashboard-refusals-report.en.toml", rs...)
	// Every refusal.New of the package (the reference values' too: TestCutsFromMoments and
	// TestChangeReference render those) is in the catalog, and every message there is used.
	refusaltest.Sources(t, "dashboard-refusals-report.en.toml", ".")
}
