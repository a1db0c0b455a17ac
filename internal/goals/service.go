package goals

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// ErrNotFound is a school, goal, action or wave out of the viewer's reach: the same answer as one
// that does not exist, so a leader of one school learns nothing of another's.
var ErrNotFound = errors.New("not found")

// Problem is a refused form: the field at fault, and why (a message of
// locales/dashboard-refusals.*.toml, with its English sentence).
type Problem = refusal.Error

// Service holds the use cases of this package.
type Service struct {
	Store   *store.Store
	Surveys *survey.Catalog
	Results *report.Service
}

// Viewer is who asks: their account, role, schools (none for a district admin: all) and the
// actor recorded in the audit log.
type Viewer struct {
	DistrictID int64
	UserID     int64
	Role       auth.Role
	Schools    []int64
	Actor      auth.Actor
}

// ViewerOf is the viewer of a request by p from ip.
func ViewerOf(p *auth.Principal, ip string) Viewer {
	return Viewer{DistrictID: p.User.DistrictID, UserID: p.User.ID, Role: p.Role(), Schools: p.Schools, Actor: auth.ActorOf(p, ip)}
}

// can reports whether the viewer reads the goals of school (0: the district's, admins only).
func (v Viewer) can(school int64) bool {
	if !CanRead(v.Role) {
		return false
	}
	return v.Role == auth.DistrictAdmin || (school != 0 && slices.Contains(v.Schools, school))
}

func (v Viewer) audit(tx *gorm.DB, st *store.Store, action, target, detail string) error {
	return auth.AuditTx(tx, st.Now(), v.Actor.Entry(v.DistrictID, action, target, detail))
}

// Place is a school, or the district (ID 0, Name "").
type Place struct {
	store.School
	District bool
}

// place loads a school the viewer covers (0: the district, for district admins).
func (s *Service) place(tx *gorm.DB, v Viewer, schoolID int64) (Place, error) {
	if !v.can(schoolID) {
		return Place{}, ErrNotFound
	}
	if schoolID == 0 {
		return Place{School: store.School{DistrictID: v.DistrictID}, District: true}, nil
	}
	var sc store.School
	if err := tx.Where("district_id = ? AND id = ?", v.DistrictID, schoolID).First(&sc).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Place{}, ErrNotFound
		}
		return Place{}, fmt.Errorf("load school: %w", err)
	}
	return Place{School: sc}, nil
}

// Places lists where the viewer reads goals: the district first (district admins), then their
// schools by name.
func (s *Service) Places(ctx context.Context, v Viewer) ([]Place, error) {
	if !CanRead(v.Role) {
		return nil, nil
	}
	q := s.Store.DB.WithContext(ctx).Where("district_id = ? AND active = ?", v.DistrictID, true)
	var out []Place
	if v.Role == auth.DistrictAdmin {
		out = append(out, Place{School: store.School{DistrictID: v.DistrictID}, District: true})
	} else {
		q = q.Where("id IN ?", append([]int64{-1}, v.Schools...))
	}
	var scs []store.School
	if err := q.Order("name, id").Find(&scs).Error; err != nil {
		return nil, fmt.Errorf("list schools: %w", err)
	}
	for _, sc := range scs {
		out = append(out, Place{School: sc})
	}
	return out, nil
}

// Adult is a staff account that can own a goal or an action.
type Adult struct {
	ID   int64
	Name string
}

// owners lists who can own a school's goal or action: the active accounts with the school, and
// the district admins (who cover every school); analysts read figures and own nothing. For the
// district, every active account but analysts.
func owners(tx *gorm.DB, district, school int64) ([]Adult, error) {
	q := tx.Table("users u").Where("u.district_id = ? AND u.active = ? AND u.role <> ?", district, true, string(auth.Analyst))
	if school != 0 {
		q = q.Where("(u.role = ? OR EXISTS (SELECT 1 FROM user_schools us WHERE us.district_id = u.district_id AND us.user_id = u.id AND us.school_id = ?))",
			string(auth.DistrictAdmin), school)
	}
	var out []Adult
	if err := q.Select("u.id, CASE WHEN u.name = '' THEN u.email ELSE u.name END AS name").Order("name, u.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list owners: %w", err)
	}
	return out, nil
}

func nameOf(as []Adult, id int64) string {
	for _, a := range as {
		if a.ID == id {
			return a.Name
		}
	}
	return ""
}

// userNames names accounts by id (name, or email when unnamed), whoever they are now.
func userNames(tx *gorm.DB, district int64, ids []int64) (map[int64]string, error) {
	var us []store.User
	if err := tx.Where("district_id = ? AND id IN ?", district, append([]int64{0}, ids...)).Find(&us).Error; err != nil {
		return nil, fmt.Errorf("load staff names: %w", err)
	}
	out := map[int64]string{}
	for _, u := range us {
		out[u.ID] = strings.TrimSpace(u.Name)
		if out[u.ID] == "" {
			out[u.ID] = u.Email
		}
	}
	return out, nil
}

// today is the date at a place (the school's zone; the district's first school's otherwise UTC).
func today(now time.Time, tz string) string {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		now = now.In(loc)
	}
	return now.Format(time.DateOnly)
}
