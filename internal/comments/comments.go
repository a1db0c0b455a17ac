package comments

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/store"
)

// Audit actions: every view of the comment reader, and every export.
const (
	ActionView   = "comments.view"
	ActionExport = "comments.export"
)

// Query names one group (a wave's respondents at one school) and its filters. Band is a measure
// band 0..4 (scoring.BandKey), -1 for any; it needs MeasureID. Lang "" is any language.
type Query struct {
	WaveID, SchoolID int64
	MeasureID        string
	Band             int
	Lang             string
}

// Result is what the reader shows: Group respondents in the wave at the school (released into
// results), N of them in the filter; Comments, redacted and shuffled, unless Hidden says why not.
type Result struct {
	Group, N, Floor int
	Hidden          string
	Comments        []string
}

// Read is the use case behind the comment reader and its export (export true): the floor rule,
// redaction and random order applied to the released responses of q's group, and the audit row
// of the view in the same transaction. resultsFloor is the district's results floor (the comment
// floor is never below it). Who may read which school is the caller's check.
func Read(ctx context.Context, st *store.Store, districtID int64, q Query, resultsFloor int, export bool, by auth.Actor) (Result, error) {
	var res Result
	err := st.Tx(ctx, func(tx *gorm.DB) error {
		var d store.District
		if err := tx.Where("district_id = ?", districtID).First(&d).Error; err != nil {
			return store.NotFound(err, "district")
		}
		res.Floor = FloorOf(d.Settings, resultsFloor)
		base := func() *gorm.DB {
			return tx.Table("responses r").
				Joins("JOIN response_releases rr ON rr.district_id = r.district_id AND rr.response_id = r.id").
				Where("r.district_id = ? AND r.wave_id = ? AND r.school_id = ?", districtID, q.WaveID, q.SchoolID)
		}
		filtered := func() *gorm.DB {
			db := base()
			if q.Lang != "" {
				db = db.Where("r.language = ?", q.Lang)
			}
			if q.MeasureID != "" && q.Band >= 0 {
				db = db.Where("EXISTS (SELECT 1 FROM scores s WHERE s.district_id = r.district_id AND s.response_id = r.id AND s.measure_id = ? AND s.category = ?)", q.MeasureID, q.Band)
			}
			return db
		}
		var group, n int64
		if err := base().Count(&group).Error; err != nil {
			return fmt.Errorf("count respondents: %w", err)
		}
		if err := filtered().Count(&n).Error; err != nil {
			return fmt.Errorf("count respondents: %w", err)
		}
		res.Group, res.N = int(group), int(n)
		res.Hidden = Hidden(res.Group, res.N, res.Floor)
		if res.Hidden == "" {
			var texts []string
			if err := filtered().Where("r.comment <> ''").Pluck("r.comment", &texts).Error; err != nil {
				return fmt.Errorf("read comments: %w", err)
			}
			red, err := rosterRedactor(tx, districtID)
			if err != nil {
				return err
			}
			for i, t := range texts {
				texts[i] = red.Redact(t)
			}
			Shuffle(texts, newRand())
			res.Comments = texts
		}
		action := ActionView
		if export {
			action = ActionExport
		}
		detail := fmt.Sprintf("measure %q band %d language %q: %d respondents of %d, floor %d, ", q.MeasureID, q.Band, q.Lang, res.N, res.Group, res.Floor)
		if res.Hidden != "" {
			detail += "not shown (" + res.Hidden + ")"
		} else {
			detail += fmt.Sprintf("%d comments shown", len(res.Comments))
		}
		return auth.AuditTx(tx, st.Now(), by.Entry(districtID, action, fmt.Sprintf("wave %d school %d", q.WaveID, q.SchoolID), detail))
	})
	if err != nil {
		return Result{}, fmt.Errorf("read comments: %w", err)
	}
	return res, nil
}

// rosterRedactor knows every name in the district's roster and its staff accounts: a comment
// at one school can name a teacher, a child or a parent of another.
func rosterRedactor(tx *gorm.DB, districtID int64) (*Redactor, error) {
	var people []struct{ GivenName, FamilyName string }
	if err := tx.Model(&store.Person{}).Distinct("given_name", "family_name").Where("district_id = ?", districtID).Scan(&people).Error; err != nil {
		return nil, fmt.Errorf("roster names: %w", err)
	}
	var users []string
	if err := tx.Model(&store.User{}).Where("district_id = ?", districtID).Pluck("name", &users).Error; err != nil {
		return nil, fmt.Errorf("staff names: %w", err)
	}
	names := make([]string, 0, 2*len(people)+len(users))
	for _, p := range people {
		names = append(names, p.GivenName, p.FamilyName)
		if unspaced(p.FamilyName + p.GivenName) {
			names = append(names, p.FamilyName+p.GivenName) // written family name first, without a space
		}
	}
	for _, u := range users {
		if strings.TrimSpace(u) != "" {
			names = append(names, u)
		}
	}
	return NewRedactor(names), nil
}

// newRand is a generator seeded from crypto/rand: the order must not be guessable from the time.
func newRand() *rand.Rand {
	var b [16]byte
	crand.Read(b[:])
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])))
}

// ActionFloor is the audit action for a change of the district's comment floor.
const ActionFloor = "comments.floor"

// ErrFloor is a comment floor that cannot be accepted.
var ErrFloor = errors.New("invalid comment floor")

// MaxFloor bounds the setting: above it no school would ever show a comment.
const MaxFloor = 1000

// ChangeFloor is the use case behind the comment floor setting: floor replaces the district's
// (it may not be below resultsFloor, the district's results floor), with its audit row in the
// same transaction.
func ChangeFloor(ctx context.Context, st *store.Store, districtID int64, floor, resultsFloor int, by auth.Actor) error {
	if floor < resultsFloor || floor > MaxFloor {
		// The page words the refusal in its language (its message is in
		// locales/dashboard-refusals-comments.<tag>.toml); errors.Is(err, ErrFloor) still holds.
		return refusal.Of(ErrFloor, refusal.New("floor", "refusal.comments.floor",
			fmt.Sprintf("Comment floor: enter a whole number from %d (the results floor) to %d.", resultsFloor, MaxFloor),
			"Min", resultsFloor, "Max", MaxFloor))
	}
	return st.Tx(ctx, func(tx *gorm.DB) error {
		if err := st.ChangeSettings(tx, districtID, func(s store.Attrs) { s[SettingFloor] = strconv.Itoa(floor) }, nil); err != nil {
			return err
		}
		return auth.AuditTx(tx, st.Now(), by.Entry(districtID, ActionFloor, "district", fmt.Sprintf("comment floor %d", floor)))
	})
}
