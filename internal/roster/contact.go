package roster

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Contactable narrows a query over people (aliased as alias, e.g. "p", or "" for none) to those
// who may be invited to a survey at all: active and not opted out. Invitation code should build
// its audience on it, so an opt-out kept by the roster is honoured everywhere.
func Contactable(alias string) func(*gorm.DB) *gorm.DB {
	col := colPrefix(alias)
	return func(db *gorm.DB) *gorm.DB {
		return db.Where(col+"active = ? AND "+col+"survey_opt_out = ?", true, false)
	}
}

// Textable narrows a query over people to those who may also be sent SMS: contactable, with a
// phone, and not marked do-not-text. (A number that replied STOP is the SMS outbox's to refuse.)
func Textable(alias string) func(*gorm.DB) *gorm.DB {
	col := colPrefix(alias)
	return func(db *gorm.DB) *gorm.DB {
		return db.Scopes(Contactable(alias)).Where(col+"do_not_text = ? AND "+col+"phone <> ?", false, "")
	}
}

func colPrefix(alias string) string {
	if alias == "" {
		return ""
	}
	return alias + "."
}

// Imports lists a district's roster imports, newest first, at most limit of them.
func Imports(ctx context.Context, s *store.Store, districtID int64, limit int) ([]store.RosterImport, error) {
	var out []store.RosterImport
	err := s.DB.WithContext(ctx).Where("district_id = ?", districtID).Order("started_at DESC, finished_at DESC, id").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list roster imports: %w", err)
	}
	return out, nil
}
