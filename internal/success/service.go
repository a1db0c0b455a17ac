package success

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/trustpulse/trustpulse/internal/auth"
	"github.com/trustpulse/trustpulse/internal/refusal"
	"github.com/trustpulse/trustpulse/internal/report"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/survey"
)

// ErrNotFound is a school, round, wave or student out of the viewer's reach: the same answer as
// one that does not exist, so a counselor of one school learns nothing of another's.
var ErrNotFound = errors.New("not found")

// Problem is a refused form: the field at fault, and why (a message of
// locales/dashboard-refusals-success.*.toml, with its English sentence).
type Problem = refusal.Error

// Service holds the use cases of this package.
type Service struct {
	Store   *store.Store
	Surveys *survey.Catalog
	Log     *slog.Logger
}

// Viewer is who asks: their account, role, schools (none for a district admin: all) and the
// actor recorded in the audit log.
type Viewer struct {
	DistrictID int64
	UserID     int64
	PersonID   *int64 // the account's roster person (a teacher's classes), if linked
	Role       auth.Role
	Schools    []int64
	Actor      auth.Actor
}

// ViewerOf is the viewer of a request by p from ip.
func ViewerOf(p *auth.Principal, ip string) Viewer {
	return Viewer{DistrictID: p.User.DistrictID, UserID: p.User.ID, PersonID: p.User.PersonID, Role: p.Role(),
		Schools: p.Schools, Actor: auth.ActorOf(p, ip)}
}

// can reports whether the viewer's account covers school.
func (v Viewer) can(school int64) bool {
	return v.Role == auth.DistrictAdmin || slices.Contains(v.Schools, school)
}

func (v Viewer) audit(tx *gorm.DB, st *store.Store, action, target, detail string) error {
	return auth.AuditTx(tx, st.Now(), v.Actor.Entry(v.DistrictID, action, target, detail))
}

// schoolOf loads a school the viewer covers.
func (s *Service) schoolOf(tx *gorm.DB, v Viewer, schoolID int64) (store.School, error) {
	var sc store.School
	if !v.can(schoolID) {
		return sc, ErrNotFound
	}
	if err := tx.Where("district_id = ? AND id = ?", v.DistrictID, schoolID).First(&sc).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return sc, ErrNotFound
		}
		return sc, fmt.Errorf("load school: %w", err)
	}
	return sc, nil
}

// Schools lists the viewer's schools by name.
func (s *Service) Schools(ctx context.Context, v Viewer) ([]store.School, error) {
	q := s.Store.DB.WithContext(ctx).Where("district_id = ? AND active = ?", v.DistrictID, true)
	if v.Role != auth.DistrictAdmin {
		q = q.Where("id IN ?", append([]int64{0}, v.Schools...))
	}
	var out []store.School
	if err := q.Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list schools: %w", err)
	}
	return out, nil
}

// Pupil is a student as the named lists show them.
type Pupil struct {
	ID                    int64
	GivenName, FamilyName string
	Grade, Homeroom       string
	Attrs                 store.Attrs
}

// Name is how lists write a student: family name, given name.
func (p Pupil) Name() string { return strings.TrimSpace(p.FamilyName + ", " + p.GivenName) }

// pupils loads the active students of a school (ids nil: all of them), with their homerooms.
func pupils(tx *gorm.DB, district, school int64, ids []int64) (map[int64]*Pupil, error) {
	q := tx.Table("people p").
		Joins("JOIN person_schools ps ON ps.district_id = p.district_id AND ps.person_id = p.id").
		Where("p.district_id = ? AND ps.school_id = ? AND p.kind = ? AND p.active = ?", district, school, store.KindStudent, true)
	if ids != nil {
		q = q.Where("p.id IN ?", append([]int64{0}, ids...))
	}
	var people []store.Person
	if err := q.Select("p.*").Find(&people).Error; err != nil {
		return nil, fmt.Errorf("load students: %w", err)
	}
	out := make(map[int64]*Pupil, len(people))
	for _, p := range people {
		out[p.ID] = &Pupil{ID: p.ID, GivenName: p.GivenName, FamilyName: p.FamilyName, Grade: p.Grade, Attrs: p.Attributes}
	}
	var homerooms []struct {
		PersonID int64
		Title    string
	}
	hq := tx.Table("enrollments e").
		Joins("JOIN classes cl ON cl.district_id = e.district_id AND cl.id = e.class_id").
		Where("e.district_id = ? AND cl.school_id = ? AND cl.class_type = ? AND cl.active = ? AND e.active = ? AND e.role = ?",
			district, school, "homeroom", true, true, "student")
	if ids != nil {
		hq = hq.Where("e.person_id IN ?", append([]int64{0}, ids...))
	}
	if err := hq.Select("e.person_id, cl.title").Scan(&homerooms).Error; err != nil {
		return nil, fmt.Errorf("load homerooms: %w", err)
	}
	for _, h := range homerooms {
		if p := out[h.PersonID]; p != nil {
			p.Homeroom = h.Title
		}
	}
	return out, nil
}

// sortPupils orders students by grade, homeroom, then name.
func sortPupils(ps []*Pupil) {
	slices.SortFunc(ps, func(a, b *Pupil) int {
		return cmp.Or(report.CompareValues(a.Grade, b.Grade), strings.Compare(a.Homeroom, b.Homeroom),
			strings.Compare(strings.ToLower(a.FamilyName), strings.ToLower(b.FamilyName)),
			strings.Compare(strings.ToLower(a.GivenName), strings.ToLower(b.GivenName)), cmp.Compare(a.ID, b.ID))
	})
}

// Adult is a staff account that can be assigned a student.
type Adult struct {
	ID   int64
	Name string
}

// adults lists the active accounts with the school (district admins excluded: they cover every
// school, not a child's day; analysts too: they read figures, they do not meet students).
func adults(tx *gorm.DB, district, school int64) ([]Adult, error) {
	var out []Adult
	err := tx.Table("users u").
		Joins("JOIN user_schools us ON us.district_id = u.district_id AND us.user_id = u.id").
		Where("u.district_id = ? AND us.school_id = ? AND u.active = ? AND u.role <> ?", district, school, true, "analyst").
		Select("u.id, CASE WHEN u.name = '' THEN u.email ELSE u.name END AS name").Order("name, u.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list adults: %w", err)
	}
	return out, nil
}
