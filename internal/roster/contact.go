package roster

import (
	"context"
	"fmt"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Who may be contacted is one rule, sms.Refusal (opt-out, do not text, STOP, active, wave open,
// already answered), asked at queue and send time; a roster import that opts someone out or
// removes them cancels their queued texts in its transaction (sms.CancelQueuedTx, from people()).

// Imports lists a district's roster imports, newest first, at most limit of them.
func Imports(ctx context.Context, s *store.Store, districtID int64, limit int) ([]store.RosterImport, error) {
	var out []store.RosterImport
	err := s.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("started_at DESC, finished_at DESC, id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list roster imports: %w", err)
	}
	return out, nil
}
